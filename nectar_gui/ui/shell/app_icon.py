"""The application icon, rendered from the SVG shipped in ``resources/icons``.

The SVG is found by ``core.assets`` (the same way from a source tree, a wheel or a
PyInstaller bundle) and drawn with QtSvg into pixmaps at the sizes the
platforms ask for. Rendering ourselves, rather than handing Qt a file name, needs no
SVG image-format or icon-engine plugin, and ``packaging/make_icons.py`` draws the
PNG / ICO / ICNS files with the same function so every copy of the icon matches.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from nectar_gui.core.assets import asset

APP_ID = "io.github.nectar_gui.NectarGUI"  # desktop file, AppStream id, icon name
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def icon_svg() -> bytes:
    """The SVG source of the application icon."""
    return asset("icons", "nectar.svg").read_bytes()


def render_icon(size: int) -> QImage:
    """The icon drawn at ``size`` × ``size`` pixels on a transparent background."""
    renderer = QSvgRenderer(QByteArray(icon_svg()))
    if not renderer.isValid():
        raise ValueError("The application icon (resources/icons/nectar.svg) is not valid SVG.")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def app_icon() -> QIcon:
    """The window / application icon, with a pixmap for each common size."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addPixmap(QPixmap.fromImage(render_icon(size)))
    return icon
