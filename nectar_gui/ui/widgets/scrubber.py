"""Sample history with a scrubber bar, shared by the sample view and the inspector.

Both views follow the same stream: live samples from a training worker and the sample
steps of a run folder (loaded lazily). This widget keeps that history, decides which
sample is due on screen (latest wins while live; the user's pick otherwise) and shows
the slider, the position and the Live button. The host paints the sample and reports
back with ``set_shown``.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

SampleLike = Any  # SampleReport or SampleRecord: anything with .step, .epoch and .images
SampleLoader = Callable[[int], SampleLike]

HISTORY_LIMIT = 500  # samples kept in memory for the scrubber …
HISTORY_BYTES = 256 * 2**20  # … and at most this many bytes of them; older ones are dropped
LOADED_CACHE = 8  # samples loaded from disk kept, so scrubbing back and forth is quick
REPAINT_INTERVAL_MS = 100
LIVE_TEXT, PAUSED_TEXT = "● Live", "Back to live"


def sample_bytes(sample: SampleLike) -> int:
    """Bytes held by a sample's images and patch maps."""
    maps = getattr(sample, "patch_maps", None) or {}
    return sum(int(np.asarray(a).nbytes) for a in (*sample.images.values(), *maps.values()))


class SampleScrubber(QWidget):
    """Samples in memory and on disk, the one due on screen, and the bar to move through them.

    Live samples are kept in memory (the newest ``history_limit``, at most
    ``history_bytes``); a run opened from disk contributes its sample steps, loaded through
    a callback when shown. Due samples are emitted on a timer, so a burst of live samples
    shows only the newest. While the user looks at an older sample, new ones only extend
    the scrubber; the Live button returns to following the newest.
    """

    sample_due = Signal(object)  # SampleReport/SampleRecord: paint it, then call set_shown
    load_failed = Signal(str)  # a plain message: a sample on disk could not be read

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
        self._deferred = False  # a sample became due while hidden: show it when shown
        self._pending: SampleLike | None = None  # to show at the next repaint …
        self._pending_step: int | None = None  # … or a step to find and show
        self._shown: SampleLike | None = None
        self._live = True
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Scrub back through earlier samples")
        self.position = QLabel("no samples")
        self.position.setMinimumWidth(230)
        self.live_button = QPushButton(LIVE_TEXT)
        self.live_button.setCheckable(True)
        self.live_button.setChecked(True)
        self.live_button.setToolTip("Follow the newest sample as it arrives")
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.slider, 1)
        bar.addWidget(self.position)
        bar.addWidget(self.live_button)
        self._repaint_timer = QTimer(self)
        self._repaint_timer.setSingleShot(True)
        self._repaint_timer.setInterval(REPAINT_INTERVAL_MS)

    def _connect(self) -> None:
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.live_button.toggled.connect(self._on_live_button_toggled)
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
        self._sync()
        self.set_live(True)

    # ---- navigation ------------------------------------------------------------------
    def set_live(self, live: bool) -> None:
        """Follow the newest sample (True), or stay on the one shown (False)."""
        self.live_button.setChecked(live)  # the handler does the rest

    def is_live(self) -> bool:
        return self._live

    def show_step(self, step: int) -> None:
        """Leave live mode and show the sample at ``step`` (at the next repaint)."""
        self.set_live(False)
        self._pending, self._pending_step = None, step
        self._schedule()

    def show_sample(self, sample: SampleLike, *, live: bool) -> None:
        """Show this very sample next (another view picked it), following live or not."""
        if sample.step not in self._memory and sample.step not in self._disk_steps:
            self.add_sample(sample)
        self.set_live(live)
        self._pending, self._pending_step = sample, None
        self._schedule()

    def set_shown(self, sample: SampleLike | None) -> None:
        """The host painted ``sample`` (None: it shows a message instead)."""
        self._shown = sample
        self._sync()

    def steps(self) -> list[int]:
        """The steps the scrubber can show, ascending (after the next repaint)."""
        return list(self._steps)

    def current_sample(self) -> SampleLike | None:
        return self._shown

    def memory_steps(self) -> list[int]:
        """Steps of the samples held in memory."""
        return list(self._memory)

    # ---- repaint ---------------------------------------------------------------------
    def refresh(self) -> None:
        """Update the scrubber and emit the due sample now (the timer calls this)."""
        self._repaint_timer.stop()
        self._steps = sorted(set(self._memory) | set(self._disk_steps))
        pending, step = self._pending, self._pending_step
        self._pending = self._pending_step = None
        if pending is None and step is not None:
            pending = self._find(step)
        if pending is not None:
            self.sample_due.emit(pending)
        self._sync()

    def _schedule(self) -> None:
        # A hidden tab paints nothing, so its samples wait until it is shown: UI-thread
        # time during training is time the training thread may wait for the GIL.
        if not self.isVisible():
            self._deferred = True
        elif not self._repaint_timer.isActive():
            self._repaint_timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._deferred:
            self._deferred = False
            self.refresh()

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
            self.load_failed.emit(f"Could not load the sample of step {step:,}: {exc}")
            return None
        self._loaded[step] = sample
        while len(self._loaded) > LOADED_CACHE:
            self._loaded.popitem(last=False)
        return sample

    def _sync(self) -> None:
        """Match the slider and label to the steps and the sample shown, silently."""
        self.slider.blockSignals(True)
        self.slider.setEnabled(len(self._steps) > 1)
        self.slider.setRange(0, max(len(self._steps) - 1, 0))
        if self._shown is not None and self._steps:
            index = min(bisect.bisect_left(self._steps, self._shown.step), len(self._steps) - 1)
            self.slider.setValue(index)
            epoch = getattr(self._shown, "epoch", None)
            text = f"step {self._shown.step:,}"
            text += "" if epoch is None else f" · epoch {epoch + 1}"
            self.position.setText(f"{text}   ({index + 1} of {len(self._steps)})")
        else:
            self.position.setText(f"{len(self._steps)} samples" if self._steps else
                                  "no samples")
        self.slider.blockSignals(False)

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
        self.live_button.setText(LIVE_TEXT if live else PAUSED_TEXT)
        if live:
            newest = max(self._memory, default=None)
            disk_newest = self._disk_steps[-1] if self._disk_steps else None
            step = max((s for s in (newest, disk_newest) if s is not None), default=None)
            self._pending, self._pending_step = None, step
            self._schedule()
