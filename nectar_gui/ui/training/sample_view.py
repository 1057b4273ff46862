"""The latest training sample as a captioned image grid, with a scrubber over older ones."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import QScrollArea, QToolTip, QVBoxLayout, QWidget

from nectar_gui.ui.widgets.images import to_qimage
from nectar_gui.ui.widgets.scrubber import (
    HISTORY_BYTES,
    HISTORY_LIMIT,
    SampleLike,
    SampleLoader,
    SampleScrubber,
)

MAX_COLUMNS = 4
BACKGROUND = QColor("#1e1e1e")
CAPTION = QColor("#d4d4d4")
MUTED = QColor("#8a8a8a")
GAP = 10  # pixels around and between cells
MESSAGE_SIZE = QSize(160, 60)  # room for "No samples yet" when there is no image
MIN_VISIBLE_HEIGHT = 60  # the panel may be this short (or narrow); the samples then scroll
MIN_VISIBLE_WIDTH = 160
NO_SAMPLES = "No samples yet. They appear here while a run trains."
# CycleGAN: one row per input domain, in the reference implementation's order.
CYCLEGAN_ROWS = (("real_A", "fake_B", "rec_A", "idt_B"), ("real_B", "fake_A", "rec_B", "idt_A"))
DESCRIPTIONS = {
    "real_A": "An input image from domain A",
    "real_B": "An input image from domain B",
    "fake_B": "real A translated to domain B",
    "fake_A": "real B translated to domain A",
    "rec_A": "fake B translated back to A; should match real A (cycle consistency)",
    "rec_B": "fake A translated back to B; should match real B (cycle consistency)",
    "idt_A": "real B through the A→B generator; should come out unchanged (identity)",
    "idt_B": "real A through the B→A generator; should come out unchanged (identity)",
    "grid": "The saved sample grid (this sample has no raw images on disk)",
}


def arrange(names: Sequence[str]) -> list[list[str]]:
    """Rows of image names: CycleGAN's A and B rows, otherwise up to MAX_COLUMNS a row."""
    if "rec_A" in names or "rec_B" in names:
        rows = [[n for n in row if n in names] for row in CYCLEGAN_ROWS]
        placed = {n for row in rows for n in row}
        rows.append([n for n in names if n not in placed])
        return [row for row in rows if row]
    return [list(names[i:i + MAX_COLUMNS]) for i in range(0, len(names), MAX_COLUMNS)]


class _SampleCanvas(QWidget):
    """Paints rows of captioned images at their own size or larger, never smaller.

    Its minimum size is the grid at 1×, so in the scroll area around it a short panel
    scrolls instead of shrinking 64-pixel samples to 40 pixels.
    """

    image_activated = Signal(str)  # name of the image double-clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[list[tuple[str, QImage]]] = []
        self._message = ""
        self._cells: list[tuple[QRect, str]] = []  # painted image rects, for tooltips
        # The composed grid, drawn once per sample or size: the window repaints this
        # widget for many reasons while training, and scaling images each time is what
        # costs (UI-thread time that also holds the GIL the training thread needs).
        self._composed: QPixmap | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # we fill every pixel
        self.setMinimumSize(MESSAGE_SIZE)

    def sizeHint(self) -> QSize:
        return QSize(720, 420)

    def set_rows(self, rows: list[list[tuple[str, QImage]]]) -> None:
        self._rows, self._message = rows, ""
        self.setMinimumSize(self._natural_size().expandedTo(MESSAGE_SIZE))
        self._invalidate()

    def set_message(self, message: str) -> None:
        self._rows, self._message = [], message
        self.setMinimumSize(MESSAGE_SIZE)
        self._invalidate()

    def _natural_size(self) -> QSize:
        """The grid with every image at 1×: the least room it is ever drawn in."""
        if not self._rows:
            return QSize(0, 0)
        cell_w = max(img.width() for row in self._rows for _, img in row)
        cell_h = max(img.height() for row in self._rows for _, img in row)
        caption_h = self.fontMetrics().height() + 6
        cols, rows = max(len(r) for r in self._rows), len(self._rows)
        return QSize(cols * cell_w + GAP * (cols + 1),
                     rows * (cell_h + caption_h) + GAP * (rows + 1))

    def _invalidate(self) -> None:
        self._composed = None
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._composed = None
        super().resizeEvent(event)

    def cell_names(self) -> list[list[str]]:
        return [[name for name, _ in row] for row in self._rows]

    def message(self) -> str:
        return self._message

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._composed is None or self._composed.deviceIndependentSize() != self.size():
            self._composed = self._compose()
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._composed)
        painter.end()

    def _compose(self) -> QPixmap:
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(self.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(BACKGROUND)
        painter = QPainter(pixmap)
        painter.setFont(self.font())
        self._cells = []
        if not self._rows:
            painter.setPen(MUTED)
            painter.drawText(self.rect().adjusted(GAP, GAP, -GAP, -GAP),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self._message)
        else:
            self._paint_grid(painter)
        painter.end()
        return pixmap

    def _scale(self, cell_w: int, cell_h: int, caption_h: int) -> float:
        cols, rows = max(len(r) for r in self._rows), len(self._rows)
        fit = min((self.width() - GAP * (cols + 1)) / (cols * cell_w),
                  (self.height() - GAP * (rows + 1) - rows * caption_h) / (rows * cell_h))
        # Whole factors keep small images crisp (each pixel a sharp square); below 2× a
        # whole factor would waste up to half the room, so those scale smoothly. Never
        # below 1×: the scroll area around the canvas shows what does not fit.
        return float(math.floor(fit)) if fit >= 2 else max(fit, 1.0)

    def _paint_grid(self, painter: QPainter) -> None:
        cell_w = max(img.width() for row in self._rows for _, img in row)
        cell_h = max(img.height() for row in self._rows for _, img in row)
        caption_h = self.fontMetrics().height() + 6
        scale = self._scale(cell_w, cell_h, caption_h)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not scale.is_integer())
        pitch_w, pitch_h = round(cell_w * scale), round(cell_h * scale)
        cols = max(len(r) for r in self._rows)
        left0 = (self.width() - cols * pitch_w - (cols - 1) * GAP) // 2
        top = (self.height() - len(self._rows) * (pitch_h + caption_h + GAP) + GAP) // 2
        for row in self._rows:
            for col, (name, image) in enumerate(row):
                left = left0 + col * (pitch_w + GAP)
                w, h = round(image.width() * scale), round(image.height() * scale)
                target = QRect(left + (pitch_w - w) // 2, top + (pitch_h - h) // 2, w, h)
                painter.drawImage(target, image)
                self._cells.append((target, name))
                caption = QRect(left, top + pitch_h + 2, pitch_w, caption_h - 2)
                text = self.fontMetrics().elidedText(name.replace("_", " "),
                                                     Qt.TextElideMode.ElideRight, pitch_w)
                painter.setPen(CAPTION)
                painter.drawText(caption, Qt.AlignmentFlag.AlignHCenter, text)
            top += pitch_h + caption_h + GAP

    def name_at(self, x: int, y: int) -> str | None:
        """Name of the image painted at widget position (x, y), if any."""
        return next((n for rect, n in self._cells if rect.contains(x, y)), None)

    def image_rect(self, name: str) -> QRect | None:
        """Where the image ``name`` was last painted, in widget coordinates."""
        return next((QRect(rect) for rect, n in self._cells if n == name), None)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = event.pos()  # type: ignore[attr-defined]  # a QHelpEvent
            name = self.name_at(pos.x(), pos.y())
            if name is None:
                QToolTip.hideText()
            else:
                hint = "" if name == "grid" else "\nDouble-click to inspect D's patch scores."
                QToolTip.showText(event.globalPos(),  # type: ignore[attr-defined]
                                  f"{name}: {DESCRIPTIONS.get(name, 'sample image')}{hint}",
                                  self)
            return True
        return super().event(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        name = self.name_at(pos.x(), pos.y())
        if name is not None and event.button() == Qt.MouseButton.LeftButton:
            self.image_activated.emit(name)
        super().mouseDoubleClickEvent(event)


class SampleView(QWidget):
    """The newest training sample, and a scrubber back through earlier ones.

    The history (live samples in memory, a run folder's steps loaded lazily, latest wins
    while live) lives in a ``SampleScrubber``; this widget paints the sample it hands
    over as a captioned grid. Double-clicking an image asks to inspect it.
    """

    sample_shown = Signal(object)  # the sample now on screen (SampleReport/SampleRecord)
    image_activated = Signal(str)  # name of an image of the shown sample, double-clicked

    def __init__(self, parent: QWidget | None = None, *, history_limit: int = HISTORY_LIMIT,
                 history_bytes: int = HISTORY_BYTES) -> None:
        super().__init__(parent)
        self.scrubber = SampleScrubber(history_limit=history_limit,
                                       history_bytes=history_bytes)
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self._canvas = _SampleCanvas()
        self._canvas.set_message(NO_SAMPLES)
        # The bar's widgets, under the names the tests and older callers use.
        self._slider = self.scrubber.slider
        self._position = self.scrubber.position
        self._live_button = self.scrubber.live_button
        self._scroll = QScrollArea()
        self._scroll.setWidget(self._canvas)
        self._scroll.setWidgetResizable(True)  # fills the room; scrolls below its 1× size
        self._scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self._scroll.setMinimumSize(MIN_VISIBLE_WIDTH, MIN_VISIBLE_HEIGHT)
        self._scroll.viewport().setStyleSheet(f"background: {BACKGROUND.name()};")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self._scroll, 1)
        layout.addWidget(self.scrubber)

    def _connect(self) -> None:
        self.scrubber.sample_due.connect(self._on_scrubber_sample_due)
        self.scrubber.load_failed.connect(self._canvas.set_message)
        self._canvas.image_activated.connect(self.image_activated)

    # ---- the history (see SampleScrubber) --------------------------------------------
    def add_sample(self, sample: SampleLike) -> None:
        """Keep a new sample; in live mode it replaces whatever was waiting to be shown."""
        self.scrubber.add_sample(sample)

    def set_steps(self, steps: Iterable[int], loader: SampleLoader) -> None:
        """Steps that have a sample on disk, and how to load one (called when shown)."""
        self.scrubber.set_steps(steps, loader)

    def clear(self) -> None:
        """Forget every sample and step (a new run)."""
        self.scrubber.clear()
        self._canvas.set_message(NO_SAMPLES)

    def set_live(self, live: bool) -> None:
        """Follow the newest sample (True), or stay on the one shown (False)."""
        self.scrubber.set_live(live)

    def is_live(self) -> bool:
        return self.scrubber.is_live()

    def show_step(self, step: int) -> None:
        """Leave live mode and show the sample at ``step`` (at the next repaint)."""
        self.scrubber.show_step(step)

    def refresh(self) -> None:
        """Update the scrubber and show the pending sample now (the timer calls this)."""
        self.scrubber.refresh()

    def steps(self) -> list[int]:
        """The steps the scrubber can show, ascending (after the next repaint)."""
        return self.scrubber.steps()

    def current_sample(self) -> SampleLike | None:
        return self.scrubber.current_sample()

    def current_step(self) -> int | None:
        shown = self.scrubber.current_sample()
        return None if shown is None else int(shown.step)

    def memory_steps(self) -> list[int]:
        """Steps of the samples held in memory."""
        return self.scrubber.memory_steps()

    # ---- what is on screen -----------------------------------------------------------
    def image_rows(self) -> list[list[str]]:
        """Names of the images on screen, row by row."""
        return self._canvas.cell_names()

    def image_rect(self, name: str) -> QRect | None:
        """Where image ``name`` is painted, in the coordinates of ``canvas()``."""
        return self._canvas.image_rect(name)

    def canvas(self) -> QWidget:
        """The widget the images are painted on (for mouse events in tests)."""
        return self._canvas

    def message(self) -> str:
        """The text shown instead of images ('' while a sample is shown)."""
        return self._canvas.message()

    def _on_scrubber_sample_due(self, sample: SampleLike) -> None:
        try:
            rows = [[(name, to_qimage(name, sample.images[name])) for name in row]
                    for row in arrange(list(sample.images))]
        except ValueError as exc:
            self._canvas.set_message(f"Cannot show the sample of step {sample.step:,}: {exc}")
            return
        self._canvas.set_rows(rows)
        self.scrubber.set_shown(sample)
        self.sample_shown.emit(sample)
