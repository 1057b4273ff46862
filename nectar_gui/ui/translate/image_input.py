"""What a drop or a paste brings: image files (or a folder), or image pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QUrl

from nectar_gui.workers.image_files import qimage_to_pixels


def read_mime(mime: QMimeData, *, text_paths: bool) -> tuple[list[Path], np.ndarray | None]:
    """Local files from ``mime``; else its image's pixels; else nothing.

    Args:
        text_paths: also take plain text naming an existing file (a copied path or
            ``file:`` URL) — for paste, where that is how paths arrive from a terminal.
    """
    paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
    text = mime.text().strip() if text_paths and mime.hasText() else ""
    if not paths and text:
        candidate = Path(QUrl(text).toLocalFile() if text.startswith("file:") else text)
        paths = [candidate] if candidate.exists() else []
    if paths:
        return paths, None
    if mime.hasImage():
        return [], qimage_to_pixels(mime.imageData())
    return [], None
