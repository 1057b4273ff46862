"""The latest training sample as a captioned image grid, with a scrubber over older ones."""

from __future__ import annotations

import bisect
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.core.sample_grid import to_rgb

SampleLike = Any  # SampleReport or SampleRecord: anything with .step, .epoch and .images
SampleLoader = Callable[[int], SampleLike]

HISTORY_LIMIT = 500  # samples kept in memory for the scrubber …
HISTORY_BYTES = 256 * 2**20  # … and at most this many bytes of them; older ones are dropped
LOADED_CACHE = 8  # samples loaded from disk kept, so scrubbing back and forth is quick
REPAINT_INTERVAL_MS = 100
MAX_COLUMNS = 4
BACKGROUND = QColor("#1e1e1e")
CAPTION = QColor("#d4d4d4")
MUTED = QColor("#8a8a8a")
GAP = 10  # pixels around and between cells
LIVE_TEXT, PAUSED_TEXT = "● Live", "Back to live"
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


def to_qimage(name: str, image: np.ndarray) -> QImage:
    """An owned RGB QImage of a uint8 grey, RGB or RGBA array (ValueError if not one)."""
    rgb = to_rgb(name, image)  # contiguous (H, W, 3)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def sample_bytes(sample: SampleLike) -> int:
    maps = getattr(sample, "patch_maps", None) or {}
    return sum(int(np.asarray(a).nbytes) for a in (*sample.images.values(), *maps.values()))


class _SampleCanvas(QWidget):
    """Paints rows of captioned images, scaled by a whole factor when they are small."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[list[tuple[str, QImage]]] = []
        self._message = ""
        self._cells: list[tuple[QRect, str]] = []  # painted image rects, for tooltips
        self.setMinimumSize(200, 150)

    def sizeHint(self) -> QSize:
        return QSize(720, 420)

    def set_rows(self, rows: list[list[tuple[str, QImage]]]) -> None:
        self._rows, self._message = rows, ""
        self.update()

    def set_message(self, message: str) -> None:
        self._rows, self._message = [], message
        self.update()

    def cell_names(self) -> list[list[str]]:
        return [[name for name, _ in row] for row in self._rows]

    def message(self) -> str:
        return self._message

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        self._cells = []
        if not self._rows:
            painter.setPen(MUTED)
            painter.drawText(self.rect().adjusted(GAP, GAP, -GAP, -GAP),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self._message)
        else:
            self._paint_grid(painter)
        painter.end()

    def _scale(self, cell_w: int, cell_h: int, caption_h: int) -> float:
        cols, rows = max(len(r) for r in self._rows), len(self._rows)
        fit = min((self.width() - GAP * (cols + 1)) / (cols * cell_w),
                  (self.height() - GAP * (rows + 1) - rows * caption_h) / (rows * cell_h))
        # Whole factors keep small images crisp (each pixel a sharp square).
        return max(math.floor(fit), 1) if fit >= 1 else max(fit, 0.05)

    def _paint_grid(self, painter: QPainter) -> None:
        cell_w = max(img.width() for row in self._rows for _, img in row)
        cell_h = max(img.height() for row in self._rows for _, img in row)
        caption_h = self.fontMetrics().height() + 6
        scale = self._scale(cell_w, cell_h, caption_h)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 1)
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

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = event.pos()  # type: ignore[attr-defined]  # a QHelpEvent
            name = next((n for rect, n in self._cells if rect.contains(pos)), None)
            if name is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(),  # type: ignore[attr-defined]
                                  f"{name}: {DESCRIPTIONS.get(name, 'sample image')}", self)
            return True
        return super().event(event)


class SampleView(QWidget):
    """The newest training sample, and a scrubber back through earlier ones.

    Live samples are kept in memory (the newest ``history_limit`` samples, at most
    ``history_bytes``); a run opened from disk contributes its list of sample steps,
    loaded lazily through a callback when shown. Repaints happen on a timer and the
    newest pending sample wins. While the user looks at an older sample, new ones only
    extend the scrubber; the Live button returns to following the newest.
    """

    sample_shown = Signal(object)  # the sample now on screen (SampleReport/SampleRecord)

    def __init__(self, parent: QWidget | None = None, *, history_limit: int = HISTORY_LIMIT,
                 history_bytes: int = HISTORY_BYTES) -> None:
        super().__init__(parent)
        self._history_limit, self._history_bytes = history_limit, history_bytes
        self._memory: OrderedDict[int, SampleLike] = OrderedDict()  # oldest first
        self._memory_size = 0
        self._loaded: OrderedDict[int, SampleLike] = OrderedDict()  # small LRU from disk
        self._disk_steps: list[int] = []
        self._loader: SampleLoader | None = None
        self._steps: list[int] = []  # the scrubber's positions, ascending
        self._pending: SampleLike | None = None  # to show at the next repaint …
        self._pending_step: int | None = None  # … or a step to find and show
        self._shown: SampleLike | None = None
        self._live = True
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self._canvas = _SampleCanvas()
        self._canvas.set_message("No samples yet. They appear here while a run trains.")
        self._slider = QSlider(Qt.Orientation.Horizontal)
        self._slider.setEnabled(False)
        self._slider.setToolTip("Scrub back through earlier samples")
        self._position = QLabel("no samples")
        self._position.setMinimumWidth(230)
        self._live_button = QPushButton(LIVE_TEXT)
        self._live_button.setCheckable(True)
        self._live_button.setChecked(True)
        self._live_button.setToolTip("Follow the newest sample as it arrives")
        bar = QHBoxLayout()
        bar.addWidget(self._slider, 1)
        bar.addWidget(self._position)
        bar.addWidget(self._live_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self._canvas, 1)
        layout.addLayout(bar)
        self._repaint_timer = QTimer(self)
        self._repaint_timer.setSingleShot(True)
        self._repaint_timer.setInterval(REPAINT_INTERVAL_MS)

    def _connect(self) -> None:
        self._slider.valueChanged.connect(self._on_slider_value_changed)
        self._live_button.toggled.connect(self._on_live_button_toggled)
        self._repaint_timer.timeout.connect(self.refresh)

    # ---- data in ---------------------------------------------------------------------
    def add_sample(self, sample: SampleLike) -> None:
        """Keep a new sample; in live mode it replaces whatever was waiting to be shown."""
        self._forget(sample.step)
        self._memory[sample.step] = sample
        self._memory_size += sample_bytes(sample)
        while len(self._memory) > 1 and (len(self._memory) > self._history_limit
                                         or self._memory_size > self._history_bytes):
            self._forget(next(iter(self._memory)))
        if self._live:
            self._pending, self._pending_step = sample, None
        self._schedule()

    def set_steps(self, steps: Iterable[int], loader: SampleLoader) -> None:
        """Steps that have a sample on disk, and how to load one (called when shown)."""
        self._disk_steps = sorted(set(steps))
        if loader != self._loader:  # a bound method is a new object at every access
            self._loaded.clear()
        self._loader = loader
        newest = self._disk_steps[-1] if self._disk_steps else None
        if self._live and newest is not None and newest > self._newest_known_step():
            self._pending, self._pending_step = None, newest
        self._schedule()

    def clear(self) -> None:
        """Forget every sample and step (a new run)."""
        self._memory.clear()
        self._loaded.clear()
        self._memory_size = 0
        self._disk_steps, self._loader, self._steps = [], None, []
        self._pending = self._pending_step = self._shown = None
        self._canvas.set_message("No samples yet. They appear here while a run trains.")
        self._sync_scrubber()
        self.set_live(True)

    # ---- navigation ------------------------------------------------------------------
    def set_live(self, live: bool) -> None:
        """Follow the newest sample (True), or stay on the one shown (False)."""
        self._live_button.setChecked(live)  # the handler does the rest

    def is_live(self) -> bool:
        return self._live

    def show_step(self, step: int) -> None:
        """Leave live mode and show the sample at ``step`` (at the next repaint)."""
        self.set_live(False)
        self._pending, self._pending_step = None, step
        self._schedule()

    def steps(self) -> list[int]:
        """The steps the scrubber can show, ascending (after the next repaint)."""
        return list(self._steps)

    def current_sample(self) -> SampleLike | None:
        return self._shown

    def current_step(self) -> int | None:
        return None if self._shown is None else int(self._shown.step)

    def memory_steps(self) -> list[int]:
        """Steps of the samples held in memory."""
        return list(self._memory)

    def image_rows(self) -> list[list[str]]:
        """Names of the images on screen, row by row."""
        return self._canvas.cell_names()

    def message(self) -> str:
        """The text shown instead of images ('' while a sample is shown)."""
        return self._canvas.message()

    # ---- repaint ---------------------------------------------------------------------
    def refresh(self) -> None:
        """Update the scrubber and show the pending sample now (the timer calls this)."""
        self._repaint_timer.stop()
        self._steps = sorted(set(self._memory) | set(self._disk_steps))
        pending, step = self._pending, self._pending_step
        self._pending = self._pending_step = None
        if pending is None and step is not None:
            pending = self._find(step)
        if pending is not None:
            self._display(pending)
        self._sync_scrubber()

    def _schedule(self) -> None:
        if not self._repaint_timer.isActive():
            self._repaint_timer.start()

    def _find(self, step: int) -> SampleLike | None:
        if step in self._memory:
            return self._memory[step]
        if step in self._loaded:
            self._loaded.move_to_end(step)
            return self._loaded[step]
        if self._loader is None:
            return None
        try:
            sample = self._loader(step)
        except (OSError, ValueError) as exc:
            self._shown = None
            self._canvas.set_message(f"Could not load the sample of step {step:,}: {exc}")
            return None
        self._loaded[step] = sample
        while len(self._loaded) > LOADED_CACHE:
            self._loaded.popitem(last=False)
        return sample

    def _display(self, sample: SampleLike) -> None:
        try:
            rows = [[(name, to_qimage(name, sample.images[name])) for name in row]
                    for row in arrange(list(sample.images))]
        except ValueError as exc:
            self._canvas.set_message(f"Cannot show the sample of step {sample.step:,}: {exc}")
            return
        self._shown = sample
        self._canvas.set_rows(rows)
        self.sample_shown.emit(sample)

    def _sync_scrubber(self) -> None:
        """Match the slider and label to the steps and the sample shown, silently."""
        self._slider.blockSignals(True)
        self._slider.setEnabled(len(self._steps) > 1)
        self._slider.setRange(0, max(len(self._steps) - 1, 0))
        if self._shown is not None and self._steps:
            index = min(bisect.bisect_left(self._steps, self._shown.step), len(self._steps) - 1)
            self._slider.setValue(index)
            epoch = getattr(self._shown, "epoch", None)
            text = f"step {self._shown.step:,}"
            text += "" if epoch is None else f" · epoch {epoch + 1}"
            self._position.setText(f"{text}   ({index + 1} of {len(self._steps)})")
        else:
            self._position.setText(f"{len(self._steps)} samples" if self._steps else
                                   "no samples")
        self._slider.blockSignals(False)

    def _newest_known_step(self) -> int:
        candidates = [*self._memory, *([self._shown.step] if self._shown else [])]
        return max(candidates, default=-1)

    def _forget(self, step: int) -> None:
        old = self._memory.pop(step, None)
        if old is not None:
            self._memory_size -= sample_bytes(old)

    # ---- handlers ----------------------------------------------------------------------
    def _on_slider_value_changed(self, index: int) -> None:
        if 0 <= index < len(self._steps):
            self.show_step(self._steps[index])

    def _on_live_button_toggled(self, live: bool) -> None:
        self._live = live
        self._live_button.setText(LIVE_TEXT if live else PAUSED_TEXT)
        if live:
            newest = max(self._memory, default=None)
            disk_newest = self._disk_steps[-1] if self._disk_steps else None
            step = max((s for s in (newest, disk_newest) if s is not None), default=None)
            self._pending, self._pending_step = None, step
            self._schedule()
