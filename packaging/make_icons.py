"""Render the application icon (resources/icons/nectar.svg) for the platforms.

Writes into ``packaging/build-icons/`` (generated, not committed):
  png/nectar-<size>.png                       16 … 1024 px
  hicolor/<size>x<size>/apps/<APP_ID>.png     Linux icon theme layout (+ scalable SVG)
  nectar.ico                                  Windows (16 … 256 px in one file)
  nectar.icns                                 macOS (16 … 1024 px in one file)

The drawing is ``nectar_gui.ui.shell.app_icon.render_icon`` — the same function that makes the
window icon at run time — so every copy matches. Run with the project's virtualenv:
``.venv/bin/python packaging/make_icons.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
from io import BytesIO
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QGuiApplication, QImage

from nectar_gui.ui.shell.app_icon import APP_ID, icon_svg, render_icon

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)
DEFAULT_OUT = Path(__file__).resolve().parent / "build-icons"


def to_pillow(image: QImage) -> Image.Image:
    """A QImage as a Pillow RGBA image (through PNG bytes: no stride or byte-order traps)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    with Image.open(BytesIO(bytes(data.data()))) as png:
        return png.convert("RGBA")


def make_icons(out: Path) -> list[Path]:
    """Write every icon file under ``out``; returns the files written."""
    images = {size: to_pillow(render_icon(size)) for size in PNG_SIZES}
    written: list[Path] = []
    for size in PNG_SIZES:
        path = out / "png" / f"nectar-{size}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        images[size].save(path)
        written.append(path)
    for size in HICOLOR_SIZES:
        path = out / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        images[size].save(path)
        written.append(path)
    scalable = out / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    scalable.write_bytes(icon_svg())
    written.append(scalable)
    # Each size drawn from the SVG (not scaled down from 256 px) stays sharp at 16 px.
    ico = out / "nectar.ico"
    images[256].save(ico, sizes=[(s, s) for s in ICO_SIZES],
                     append_images=[images[s] for s in ICO_SIZES if s != 256])
    icns = out / "nectar.icns"
    images[1024].save(icns, append_images=[images[s] for s in ICNS_SIZES if s != 1024])
    return [*written, ico, icns]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    files = make_icons(args.out)
    print(f"wrote {len(files)} icon files to {args.out}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
