"""The list model behind the dataset grid: file names, and thumbnails loaded on demand.

The view asks for ``DecorationRole`` only for the items it paints, so that request is
where decoding starts: a cache hit returns the thumbnail, a miss returns a placeholder
and asks the :class:`ThumbnailLoader` (off the UI thread). Thumbnails live in a small
LRU cache; an evicted one is decoded again if it is painted again.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    Qt,
    QThreadPool,
)
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from nectar_gui.ui.dataset.items import BrowserItem
from nectar_gui.workers.thumbnails import Thumbnail, ThumbnailLoader

ItemRole = Qt.ItemDataRole.UserRole + 1
_Index = QModelIndex | QPersistentModelIndex


def placeholder_image(size: int, *, broken: bool = False) -> QImage:
    """A rounded grey square (loading), or one with a red mark (unreadable file)."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(255, 235, 235) if broken else QColor(128, 128, 128, 40))
    rect = QRect(4, 4, size - 8, size - 8)
    painter.drawRoundedRect(rect, 8, 8)
    if broken:
        painter.setPen(QPen(QColor(200, 40, 40)))
        font = QFont()
        font.setPixelSize(size // 3)
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "!")
    painter.end()
    return image


class ThumbnailModel(QAbstractListModel):
    """Grid items of one dataset split with lazily decoded thumbnails.

    Args:
        pool: Thread pool the thumbnails are decoded on.
        thumb_size: Side of the thumbnail square, in pixels.
        cache_size: Thumbnails kept in memory (well above the number on screen).
    """

    def __init__(self, pool: QThreadPool, *, thumb_size: int = 96, cache_size: int = 600,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = ThumbnailLoader(pool, size=thumb_size, parent=self)
        self.cache_size = cache_size
        self._items: list[BrowserItem] = []
        self._rows: dict[str, int] = {}
        self._cache: OrderedDict[str, QImage] = OrderedDict()
        self._broken: dict[str, str] = {}
        self._loading = placeholder_image(thumb_size)
        self._broken_image = placeholder_image(thumb_size, broken=True)
        self.loader.loaded.connect(self._on_loader_loaded)

    # ---- contents -----------------------------------------------------------------------
    def set_items(self, items: list[BrowserItem]) -> None:
        """Show ``items``; waiting thumbnail requests of the old items are dropped."""
        self.beginResetModel()
        self.loader.clear()
        self._items = list(items)
        self._rows = {}
        for row, item in enumerate(self._items):
            self._rows.setdefault(item.path, row)
        self._cache.clear()
        self._broken.clear()
        self.endResetModel()

    def item(self, row: int) -> BrowserItem | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_of(self, path: str) -> int | None:
        """The row showing ``path`` (the A side of a pair also finds its B), or None."""
        row = self._rows.get(path)
        if row is not None:
            return row
        return next((i for i, it in enumerate(self._items) if it.path_b == path
                     and it.side != "B"), None)

    def has_thumbnail(self, row: int) -> bool:
        """Whether the thumbnail of ``row`` is decoded (or known to be unreadable)."""
        item = self.item(row)
        return item is not None and (item.path in self._cache or item.path in self._broken)

    def thumbnail_error(self, row: int) -> str | None:
        item = self.item(row)
        return None if item is None else self._broken.get(item.path)

    # ---- QAbstractListModel ---------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt default)
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        item = self.item(index.row()) if index.isValid() else None
        if item is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return item.label
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(item.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            error = self._broken.get(item.path)
            return f"{item.path}\n{error}" if error else item.path
        if role == ItemRole:
            return item
        return None

    def _thumbnail(self, path: str) -> QImage:
        image = self._cache.get(path)
        if image is not None:
            self._cache.move_to_end(path)
            return image
        if path in self._broken:
            return self._broken_image
        self.loader.request(path)
        return self._loading

    def _on_loader_loaded(self, thumb: Thumbnail) -> None:
        row = self._rows.get(thumb.path)
        if row is None:
            return
        if thumb.image is None:
            self._broken[thumb.path] = thumb.error or "unreadable"
        else:
            self._cache[thumb.path] = thumb.image
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        index = self.index(row)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
