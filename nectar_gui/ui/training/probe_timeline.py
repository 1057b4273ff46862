"""The same few probe images at every validation: scrub through the run, compare two steps.

Validation translates a fixed probe set (``probes/`` in the run folder, chosen once per
run), so the pictures change only because the generator did. This panel shows one probe
at the chosen validation step — input, translation, target — and, to see what changed,
the translations of two steps in one split view with a draggable divider. The probe PNGs
are small and few: they are read from the run folder when a step is chosen.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.core.evaluation.probes import load_probe_inputs, load_probe_outputs, probe_steps
from nectar_gui.ui.widgets.flow_layout import FlowLayout, flow_group
from nectar_gui.ui.widgets.images import to_qimage
from nectar_gui.ui.widgets.pyramid_views import SplitView

EMPTY_TEXT = ("No probe images yet: validation translates a few fixed images at every "
              "checkpoint, and they appear here.")
CAPTIONS = ("input", "translation", "target")


class ProbeTimeline(QWidget):
    """One probe across validation steps; a split view compares two steps."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._run: Path | None = None
        self._steps: list[int] = []
        self._inputs: list[dict[str, np.ndarray]] = []
        self._build_ui()
        self._connect()
        self._show_empty()

    def _build_ui(self) -> None:
        self.probe_combo = QComboBox()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("The validation step shown")
        self.step_label = QLabel()
        self.compare_box = QCheckBox("Compare with")
        self.compare_combo = QComboBox()
        self.compare_combo.setToolTip("The step shown right of the divider")
        bar = QWidget()
        flow = FlowLayout(bar, spacing=6)
        for group in (flow_group(QLabel("Probe"), self.probe_combo),
                      flow_group(self.slider, self.step_label),
                      flow_group(self.compare_box, self.compare_combo)):
            flow.addWidget(group)
        self.pictures = QWidget()
        grid = QGridLayout(self.pictures)
        self.images = [QLabel() for _ in CAPTIONS]
        for column, (label, caption) in enumerate(zip(self.images, CAPTIONS, strict=True)):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(label, 0, column)
            grid.addWidget(QLabel(caption, alignment=Qt.AlignmentFlag.AlignCenter), 1, column)
        self.split = SplitView()
        self.message = QLabel(EMPTY_TEXT)
        self.message.setWordWrap(True)
        self.stack = QStackedWidget()
        for page in (self.message, self.pictures, self.split):
            self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(bar)
        layout.addWidget(self.stack, 1)

    def _connect(self) -> None:
        self.slider.valueChanged.connect(lambda _v: self._show())
        self.probe_combo.currentIndexChanged.connect(lambda _i: self._show())
        self.compare_box.toggled.connect(lambda _on: self._show())
        self.compare_combo.currentIndexChanged.connect(lambda _i: self._show())

    # ---- data in ------------------------------------------------------------------------
    def set_run(self, run_dir: Path | None) -> None:
        """Show the probes of ``run_dir`` (None: no run)."""
        self._run, self._inputs, self._steps = run_dir, [], []
        self.refresh()

    def refresh(self) -> None:
        """Look again for probe steps (after a validation); keeps the step shown if live."""
        if self._run is None:
            self._show_empty()
            return
        steps = probe_steps(self._run)
        if not self._inputs and steps:
            try:
                self._inputs = load_probe_inputs(self._run)
            except OSError:
                self._inputs = []
        at_end = not self._steps or self.slider.value() == len(self._steps) - 1
        self._steps = steps
        self._fill_choices(follow=at_end)
        self._show()

    # ---- reading back -------------------------------------------------------------------
    def steps(self) -> list[int]:
        """Validation steps with probe translations."""
        return list(self._steps)

    def shown_step(self) -> int | None:
        """The step the slider stands on."""
        return self._steps[self.slider.value()] if self._steps else None

    # ---- drawing ------------------------------------------------------------------------
    def _fill_choices(self, *, follow: bool) -> None:
        for combo, names in ((self.probe_combo, [f"{i + 1}" for i in range(len(self._inputs))]),
                             (self.compare_combo, [f"step {s:,}" for s in self._steps])):
            current = combo.currentIndex()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.setCurrentIndex(min(max(current, 0), len(names) - 1))
            combo.blockSignals(False)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(len(self._steps) - 1, 0))
        if follow:
            self.slider.setValue(len(self._steps) - 1)
        self.slider.blockSignals(False)

    def _show(self) -> None:
        step, probe = self.shown_step(), self.probe_combo.currentIndex()
        if step is None or self._run is None or not 0 <= probe < len(self._inputs):
            self._show_empty()
            return
        self.step_label.setText(f"step {step:,}")
        try:
            output = load_probe_outputs(self._run, step)[probe]["AtoB"]
            if self.compare_box.isChecked() and self.compare_combo.currentIndex() >= 0:
                self._show_split(step, output, probe)
                return
        except (OSError, IndexError, KeyError) as exc:
            self.message.setText(f"Cannot read the probe images of step {step:,}: {exc}")
            self.stack.setCurrentWidget(self.message)
            return
        pictures = (self._inputs[probe]["A"], output, self._inputs[probe]["B"])
        for label, (caption, image) in zip(self.images, zip(CAPTIONS, pictures, strict=True),
                                           strict=True):
            label.setPixmap(QPixmap.fromImage(to_qimage(caption, image)))
        self.stack.setCurrentWidget(self.pictures)

    def _show_split(self, step: int, output: np.ndarray, probe: int) -> None:
        other = self._steps[self.compare_combo.currentIndex()]
        right = load_probe_outputs(self._run, other)[probe]["AtoB"]  # type: ignore[arg-type]
        self.split.labels = (f"step {step:,}", f"step {other:,}")
        self.split.set_pair((to_qimage("right", right),), (to_qimage("left", output),))
        self.split.fit()
        self.stack.setCurrentWidget(self.split)

    def _show_empty(self) -> None:
        self.step_label.setText("")
        self.message.setText(EMPTY_TEXT)
        self.stack.setCurrentWidget(self.message)
