"""The selected item: its A and B as stored, and the augmented crop the model trains on.

The crop is drawn the way training draws an item: one seed, from which the crop and flip
come first and the extra augmentation (``data.augment``) after, so the preview shows what
the model would see and a setting change shows its effect on the same draw.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.core.config import DataSection
from nectar_gui.core.data import TransformParams
from nectar_gui.core.data.augment import AugmentParams
from nectar_gui.core.data.augment_text import augment_summary, geometric_text, pixel_text
from nectar_gui.ui.dataset.items import BrowserItem
from nectar_gui.workers.thumbnails import (
    PreviewLoader,
    PreviewRequest,
    PreviewResult,
    array_to_qimage,
)

_PREPROCESS_TEXT = {
    "resize_and_crop": "resized to {load}×{load}, random {crop}×{crop} crop",
    "crop": "random {crop}×{crop} crop at full resolution",
    "resize": "resized to {crop}×{crop}",
    "none": "used as it is",
}


class ImageView(QWidget):
    """An image scaled to fit, centred, aspect kept; pixels stay sharp when enlarged."""

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = QImage()
        self._placeholder = placeholder
        self.setMinimumSize(64, 64)  # a preview fits what room there is
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def image(self) -> QImage:
        return self._image

    def set_image(self, image: QImage) -> None:
        self._image = image
        self.update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self._image = QImage()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(220, 220)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.AlternateBase))
        if self._image.isNull():
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._placeholder)
            return
        size = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        scale = size.width() / max(1, self._image.width())
        # Enlarged crops show their real pixels; reduced images are smoothed.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 1.5)
        x = (self.width() - size.width()) / 2
        y = (self.height() - size.height()) / 2
        painter.drawImage(QRectF(x, y, size.width(), size.height()), self._image)


def _caption() -> QLabel:
    label = QLabel()
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return label


class PreviewPanel(QWidget):
    """The selected pair (A | B) and what the model sees after resize, crop and flip."""

    shuffle_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build_ui()
        self.shuffle_button.clicked.connect(self.shuffle_requested)
        self.show_message("Select an image to see it here.")

    def _build_ui(self) -> None:
        self.pair_a, self.pair_b = ImageView(), ImageView()
        self.crop_a, self.crop_b = ImageView(), ImageView()
        self.pair_captions = (_caption(), _caption())
        self.crop_captions = (_caption(), _caption())
        self.crop_title = QLabel()
        self.crop_title.setWordWrap(True)
        self.augment_note = QLabel()
        self.augment_note.setWordWrap(True)
        self.shuffle_button = QPushButton("Shuffle")
        self.shuffle_button.setToolTip("Draw a new random crop, flip and augmentation, as "
                                       "training would")
        self.status = QLabel()
        self.status.setWordWrap(True)
        grid = QGridLayout()
        grid.addWidget(self.pair_a, 0, 0)
        grid.addWidget(self.pair_b, 0, 1)
        grid.addWidget(self.pair_captions[0], 1, 0)
        grid.addWidget(self.pair_captions[1], 1, 1)
        crop_row = QHBoxLayout()
        crop_row.addWidget(self.crop_title, 1)
        crop_row.addWidget(self.shuffle_button)
        grid.addLayout(crop_row, 2, 0, 1, 2)
        grid.addWidget(self.augment_note, 3, 0, 1, 2)
        grid.addWidget(self.crop_a, 4, 0)
        grid.addWidget(self.crop_b, 4, 1)
        grid.addWidget(self.crop_captions[0], 5, 0)
        grid.addWidget(self.crop_captions[1], 5, 1)
        grid.setRowStretch(0, 1)
        grid.setRowStretch(4, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.status)
        column.addLayout(grid, 1)

    def show_message(self, text: str) -> None:
        """Clear the images and say why (nothing selected, file unreadable …)."""
        self.status.setText(text)
        self.status.setVisible(bool(text))
        for view in (self.pair_a, self.pair_b, self.crop_a, self.crop_b):
            view.set_placeholder("")
        for label in (*self.pair_captions, *self.crop_captions, self.augment_note):
            label.clear()
        self.crop_title.setText("<b>What the model sees</b>")

    def show_result(self, result: PreviewResult, item: BrowserItem, cfg: DataSection,
                    params: TransformParams, augment: AugmentParams) -> None:
        """Show a rendered preview of ``item``, drawn with ``params`` and ``augment``
        under ``cfg``."""
        if result.error or result.pair is None or result.crops is None:
            self.show_message(f"Cannot show {Path(item.path).name}: {result.error}")
            return
        self.status.hide()
        self.pair_a.set_image(array_to_qimage(result.pair[0]))
        self.pair_b.set_image(array_to_qimage(result.pair[1]))
        self.crop_a.set_image(array_to_qimage(result.crops[0]))
        self.crop_b.set_image(array_to_qimage(result.crops[1]))
        roles = ("input", "target") if cfg.direction == "AtoB" else ("target", "input")
        names = self._side_names(item)
        for i, (side, caption) in enumerate(zip("AB", self.pair_captions, strict=True)):
            width, height = result.sizes[i]
            caption.setText(f"<b>{side}</b> ({roles[i]}) · {names[i]} · {width}×{height}")
        square = all(crop.shape[0] == crop.shape[1] for crop in result.crops)
        for i, (side, caption) in enumerate(zip("AB", self.crop_captions, strict=True)):
            crop = result.crops[i]
            changes = pixel_text(augment, cfg, side)
            caption.setText(" · ".join([f"{side}", f"{crop.shape[1]}×{crop.shape[0]} px",
                                        *([", ".join(changes)] if changes else [])]))
        shape_text = ", ".join([_augment_text(cfg, params),
                                *geometric_text(augment, square=square)])
        self.crop_title.setText(f"<b>What the model sees</b> — {shape_text}")
        self.augment_note.setText(_augment_note(cfg))

    @staticmethod
    def _side_names(item: BrowserItem) -> tuple[str, str]:
        if item.path_b is None:
            name = Path(item.path).name
            return f"left half of {name}", f"right half of {name}"
        names = Path(item.path_a).name, Path(item.path_b).name
        if item.paired:
            return names
        # Unaligned: the other side is just a neighbour, not this image's partner.
        return ((names[0], f"{names[1]} (any B; not a pair)") if item.side == "A"
                else (f"{names[0]} (any A; not a pair)", names[1]))


def _augment_text(cfg: DataSection, params: TransformParams) -> str:
    text = _PREPROCESS_TEXT[cfg.preprocess].format(load=cfg.load_size, crop=cfg.crop_size)
    if cfg.flip:
        text += ", flipped" if params.flip else ", not flipped"
    return text


def _augment_note(cfg: DataSection) -> str:
    summary = augment_summary(cfg)
    if not summary:
        return ("<i>Extra augmentation: off</i> (set it in the config's Augmentation "
                "section)")
    return f"<b>Extra augmentation:</b> {summary}"


class PreviewFeed(QObject):
    """Asks the pool for the selected pair and its augmented crop, and shows the newest.

    One item seed stands for the draw, as in training; it stays until the user shuffles,
    so changing a setting (a size, the flip, an augmentation's strength) shows its effect
    on the same crop and draw.
    """

    def __init__(self, parent: QObject, *, panel: PreviewPanel, loader: PreviewLoader
                 ) -> None:
        super().__init__(parent)
        self.panel = panel
        self.loader = loader
        self._rng = np.random.default_rng()
        self._seed = self._new_seed()
        self._cfg = DataSection()
        self._key = 0
        self._item: BrowserItem | None = None
        self._params = TransformParams.centre()
        self._augment = AugmentParams()
        loader.ready.connect(self._on_loader_ready)

    def request(self, item: BrowserItem | None, channels: tuple[int, int],
                cfg: DataSection) -> None:
        """Show ``item`` as ``cfg`` would crop and augment it (nothing for no item)."""
        self._cfg = cfg
        if item is None:
            return
        self._key += 1
        self._item = item
        rng = np.random.default_rng(self._seed)  # the dataset's order of draws
        self._params = TransformParams.draw(rng, flip=cfg.flip)
        self._augment = AugmentParams.draw(rng, cfg.augment)
        self.loader.request(PreviewRequest(self._key, item.path_a, item.path_b, channels[0],
                                           channels[1], self._params, cfg,
                                           augment=self._augment))

    @property
    def seed(self) -> int:
        """The item seed of the draw shown (a dataset item ``(index, seed)`` matches it)."""
        return self._seed

    def shuffle(self, item: BrowserItem | None, channels: tuple[int, int]) -> None:
        """Draw another crop, flip and augmentation for the same image."""
        self._seed = self._new_seed()
        self.request(item, channels, self._cfg)

    def _new_seed(self) -> int:
        return int(self._rng.integers(2**63))

    def _on_loader_ready(self, result: PreviewResult) -> None:
        if self._item is not None and result.key == self._key:
            self.panel.show_result(result, self._item, self._cfg, self._params,
                                   self._augment)
