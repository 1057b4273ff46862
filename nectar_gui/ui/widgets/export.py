"""Ask where to save, write, and say plainly when it could not be written."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


def export_with_dialog(parent: QWidget, *, caption: str, proposed: str, suffix: str,
                       kind: str, write: Callable[[str], None]) -> str | None:
    """Ask for a file name, add ``suffix`` when the user left it out, then ``write`` it.

    Args:
        proposed: the file name (or path) the dialog starts with.
        suffix: e.g. ``".png"``; also names the dialog's filter with ``kind``.
        kind: what the file holds, for the filter ("PNG images").
        write: writes the file at the given path; raises OSError when it cannot.

    Returns:
        The path written, or None when the user cancelled or writing failed (the user
        has then been told why).
    """
    path, _filter = QFileDialog.getSaveFileName(parent, caption, proposed,
                                                f"{kind} (*{suffix})")
    if not path:
        return None
    if not path.lower().endswith(suffix):
        path += suffix
    try:
        write(path)
    except OSError as exc:
        QMessageBox.warning(parent, "Export failed", f"Could not write {path}: {exc}. Check "
                            "that the folder exists and is writable.")
        return None
    return path
