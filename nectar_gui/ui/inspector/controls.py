"""The inspector's controls: what to show, and how; they wrap onto more rows when narrow."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QWidget,
)

from nectar_gui.ui.widgets.flow_layout import FlowLayout, flow_group

BESIDE_CHOICES = (
    ("other", "the other image (real ↔ fake)"),
    ("plain", "the same, no colours"),
    ("none", "nothing (one view)"),
)
KIND_BUTTONS = (
    ("fake", "Generated image", "Show D's scores on the generator's output. D is trained to "
     "call it fake (red); the generator tries to make it look real (blue)."),
    ("real", "Real image", "Show D's scores on the real image from the dataset. D is "
     "trained to call it real (blue)."),
)
DOMAIN_BUTTONS = (
    ("A", "A", "Images of domain A, judged by their own discriminator D_A (CycleGAN trains "
     "one discriminator per domain)."),
    ("B", "B", "Images of domain B, judged by their own discriminator D_B."),
)
DEFAULT_OPACITY = 55  # percent
DEFAULT_TOP_K = 5


class InspectorControls(QWidget):
    """Choice of map (domain, real or generated), the side view, and drawing options.

    The widgets are public so the inspector connects to them directly; the two
    exclusive button pairs report their choice through ``kind_changed`` and
    ``domain_changed``.
    """

    kind_changed = Signal(str)  # "fake" or "real"
    domain_changed = Signal(str)  # "A" or "B"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self._build_choice_widgets()
        self._build_drawing_widgets()
        flow = FlowLayout(self, spacing=10)  # wraps on narrow windows instead of widening them
        self.domain_row = flow_group(self.domain_label, *self._domain_buttons)
        for group in (flow_group(QLabel("D judges:"), *self._kind_buttons), self.domain_row,
                      flow_group(QLabel("Beside it:"), self.beside),
                      flow_group(QLabel("Opacity:"), self.opacity), flow_group(self.grid),
                      flow_group(self.top_k_box, self.top_k), flow_group(self.clear_pins),
                      flow_group(self.ask, self.over_time),
                      flow_group(self.fit, self.export)):
            flow.addWidget(group)

    def _build_choice_widgets(self) -> None:
        self.kind_group, self._kind_buttons = _button_pair(self, KIND_BUTTONS)
        self.domain_label = QLabel("Domain:")
        self.domain_group, self._domain_buttons = _button_pair(self, DOMAIN_BUTTONS)
        self.beside = QComboBox()
        for key, text in BESIDE_CHOICES:
            self.beside.addItem(text, key)
        self.beside.setToolTip("What the right-hand view shows. Zoom, pan, the hovered cell "
                               "and the pins are kept in step between the two views.")

    def _build_drawing_widgets(self) -> None:
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(DEFAULT_OPACITY)
        self.opacity.setFixedWidth(120)
        self.opacity.setToolTip("How strongly the heat-map colours cover the image "
                                "(left: image only, right: colours only).")
        self.grid = QCheckBox("Grid")
        self.grid.setToolTip("Draw lines between D's output cells. Each coloured square is "
                             "the set of pixels nearest one cell's field centre; neighbouring "
                             "cells are one stride (jump) apart.")
        self.top_k_box = QCheckBox("Most fake:")
        self.top_k_box.setToolTip("Outline the fields of the cells D finds most fake, "
                                  "numbered 1 (most fake) onwards.")
        self.top_k = QSpinBox()
        self.top_k.setRange(1, 99)
        self.top_k.setValue(DEFAULT_TOP_K)
        self.top_k.setToolTip("How many of the most fake cells to outline.")
        self.clear_pins = QPushButton("Clear pins")
        self.clear_pins.setToolTip("Remove every pinned field. Click a cell in the image to "
                                   "pin its field; click it again to unpin it.")
        self.ask = QPushButton("Ask D…")
        self.ask.setCheckable(True)
        self.ask.setToolTip("Ask D about any image: load a trained run's discriminator and "
                            "see its patch map for an image of yours (or for the "
                            "generator's output for it).")
        self.over_time = QPushButton("Probe over time")
        self.over_time.setToolTip("Follow one fixed image (the run's probe) through every "
                                  "checkpoint: D's map of G's translation of it, step by "
                                  "step, and the score of a pinned cell over time.")
        self.fit = QPushButton("Fit")
        self.fit.setToolTip("Show the whole image. Zoom with the mouse wheel, pan by dragging.")
        self.export = QPushButton("Export PNG…")
        self.export.setToolTip("Save the left view (image, heat map, pinned and most-fake "
                               "fields) as a PNG; small images are scaled up.")

    def _connect(self) -> None:
        self.kind_group.idClicked.connect(lambda i: self.kind_changed.emit(("fake", "real")[i]))
        self.domain_group.idClicked.connect(lambda i: self.domain_changed.emit("AB"[i]))

    def kind(self) -> str:
        return ("fake", "real")[max(self.kind_group.checkedId(), 0)]

    def domain(self) -> str:
        return "AB"[max(self.domain_group.checkedId(), 0)]

    def set_choice(self, domain: str, kind: str, domains: list[str]) -> None:
        """Reflect the map shown; the domain switch appears only with several domains."""
        self.kind_group.button(0 if kind == "fake" else 1).setChecked(True)
        if domain in ("A", "B"):
            self.domain_group.button("AB".index(domain)).setChecked(True)
        self.domain_row.setVisible(len(domains) > 1)

    def top_k_value(self) -> int:
        """Cells to outline as most fake (0 when the option is off)."""
        return self.top_k.value() if self.top_k_box.isChecked() else 0

    def beside_choice(self) -> str:
        return str(self.beside.currentData())


def _button_pair(parent: QWidget, specs: tuple[tuple[str, str, str], ...]
                 ) -> tuple[QButtonGroup, list[QPushButton]]:
    group = QButtonGroup(parent)
    group.setExclusive(True)
    buttons = []
    for index, (_key, text, tip) in enumerate(specs):
        button = QPushButton(text)
        button.setCheckable(True)
        button.setToolTip(tip)
        group.addButton(button, index)
        buttons.append(button)
    buttons[0].setChecked(True)
    return group, buttons
