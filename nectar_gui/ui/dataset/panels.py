"""Parts of the dataset browser: the empty state, the layout help and the header."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.ui.dataset.items import EXPECTED_LAYOUTS

_ERROR_COLOUR = "#c0392b"
_DEMO_TEXT = {
    "pix2pix": "{n} façade pairs: label maps (A) next to their renderings (B), "
               "for pix2pix.",
    "cyclegan": "{n} day scenes (A) and {n} night scenes (B), unpaired, for CycleGAN.",
}


PREPARE_TIP = ("Make a dataset folder from two folders of images: pairs matched by file "
               "name, split into train/val/test, resized; the originals stay as they are")


def layouts_html() -> str:
    """The accepted layouts as an HTML list, for labels."""
    rows = "".join(f"<li><b>{escape(name)}</b> ({escape(model)}): "
                   f"<code>{escape(sketch)}</code></li>"
                   for name, sketch, model in EXPECTED_LAYOUTS)
    return f"<ul style='margin-left: 0px'>{rows}</ul>"


def _label(text: str = "", *, selectable: bool = False, colour: str = "") -> QLabel:
    """A word-wrapped label, optionally selectable (messages to copy) and coloured."""
    label = QLabel(text)
    label.setWordWrap(True)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if colour:
        label.setStyleSheet(f"color: {colour};")
    return label


def _layouts_label(intro: str) -> QLabel:
    label = _label(f"{escape(intro)}{layouts_html()}")
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def _big_button(text: str) -> QPushButton:
    button = QPushButton(text)
    button.setMinimumSize(240, 56)
    font = button.font()
    font.setPointSizeF(font.pointSizeF() * 1.15)
    button.setFont(font)
    return button


class EmptyState(QWidget):
    """"No dataset yet": one click to the demo dataset, or open a folder (or drop one)."""

    demo_requested = Signal()
    open_requested = Signal()
    prepare_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build_ui()
        self._connect()
        self.set_demo_kind("cyclegan", 200)

    def _build_ui(self) -> None:
        title = QLabel("No dataset yet")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        intro = _label("Start with the built-in demo — generated here in a few seconds, "
                       "nothing is downloaded — or open a folder of your own images. "
                       "You can also drop a folder onto this page.")
        self.demo_button = _big_button("Use the demo dataset")
        self.demo_button.setDefault(True)
        self.open_button = _big_button("Open a folder…")
        self.prepare_button = QPushButton("Prepare one from two folders of photos…")
        self.prepare_button.setToolTip(PREPARE_TIP)
        self.demo_label = _label()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.message = _label(selectable=True, colour=_ERROR_COLOUR)
        self.message.hide()
        layouts = _layouts_label("Folder layouts it understands:")
        layouts.setEnabled(False)  # greyed: reference, not a call to action
        buttons = QHBoxLayout()
        buttons.addWidget(self.demo_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        prepare_row = QHBoxLayout()
        prepare_row.addWidget(self.prepare_button)
        prepare_row.addStretch(1)
        column = QVBoxLayout()
        column.addWidget(title)
        column.addWidget(intro)
        column.addSpacing(12)
        column.addLayout(buttons)
        column.addLayout(prepare_row)
        column.addWidget(self.demo_label)
        column.addWidget(self.busy)
        column.addWidget(self.message)
        column.addSpacing(18)
        column.addWidget(layouts)
        self._center(column)

    def _center(self, column: QVBoxLayout) -> None:
        panel = QWidget()
        panel.setLayout(column)
        panel.setMaximumWidth(620)
        panel.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(panel, 10)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def _connect(self) -> None:
        self.demo_button.clicked.connect(self.demo_requested)
        self.open_button.clicked.connect(self.open_requested)
        self.prepare_button.clicked.connect(self.prepare_requested)

    def set_demo_kind(self, model_kind: str, count: int) -> None:
        """Describe the demo that the button writes for ``model_kind``."""
        text = _DEMO_TEXT.get(model_kind, _DEMO_TEXT["cyclegan"]).format(n=f"{count:,}")
        self.demo_label.setText(f"The demo: {text}")

    def set_demo_available(self, available: bool, reason: str = "") -> None:
        self.demo_button.setEnabled(available)
        self.demo_button.setToolTip(reason)

    def set_busy(self, busy: bool) -> None:
        """Show the demo being written (buttons off, a busy bar)."""
        self.busy.setVisible(busy)
        self.demo_button.setEnabled(not busy)
        self.open_button.setEnabled(not busy)
        if busy:
            self.show_message("")
            self.demo_label.setText("Generating the demo dataset…")

    def show_message(self, text: str) -> None:
        """Show why the demo could not be written (empty text hides it)."""
        self.message.setText(text)
        self.message.setVisible(bool(text))


class LayoutHelp(QWidget):
    """Why a folder cannot be used (the DatasetError text) and the layouts it could have."""

    open_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build_ui()
        self.open_button.clicked.connect(self.open_requested)

    def _build_ui(self) -> None:
        heading = QLabel("<b>This folder is not a dataset the app can read</b>")
        self.message = _label(selectable=True, colour=_ERROR_COLOUR)
        layouts = _layouts_label("Expected one of these layouts:")
        self.open_button = QPushButton("Open a different folder…")
        row = QHBoxLayout()
        row.addWidget(self.open_button)
        row.addStretch(1)
        column = QVBoxLayout(self)
        for widget in (heading, self.message, layouts):
            column.addWidget(widget)
        column.addLayout(row)
        column.addStretch(1)

    def set_message(self, text: str) -> None:
        self.message.setText(text)


class DatasetHeader(QWidget):
    """The folder shown, its split, the detected layout with counts, and folder buttons."""

    split_changed = Signal(str)
    demo_requested = Signal()
    open_requested = Signal()
    prepare_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.split_combo = QComboBox()
        self.split_combo.setToolTip("The split shown in the grid and checked for problems")
        self.demo_button = QPushButton("Use the demo dataset")
        self.open_button = QPushButton("Open a folder…")
        self.prepare_button = QPushButton("Prepare…")
        self.prepare_button.setToolTip(PREPARE_TIP)
        self.summary_label = _label()
        self.note_label = _label(colour="#b9770e")
        self.note_label.hide()
        row = QHBoxLayout()
        row.addWidget(QLabel("Folder:"))
        row.addWidget(self.folder_label, 1)
        row.addWidget(QLabel("Split:"))
        row.addWidget(self.split_combo)
        row.addWidget(self.demo_button)
        row.addWidget(self.open_button)
        row.addWidget(self.prepare_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row)
        column.addWidget(self.summary_label)
        column.addWidget(self.note_label)

    def _connect(self) -> None:
        self.split_combo.currentTextChanged.connect(self.split_changed)
        self.demo_button.clicked.connect(self.demo_requested)
        self.open_button.clicked.connect(self.open_requested)
        self.prepare_button.clicked.connect(self.prepare_requested)

    def split(self) -> str:
        return self.split_combo.currentText()

    def set_folder(self, path: str) -> None:
        self.folder_label.setText(path)

    def set_splits(self, splits: list[str]) -> None:
        """List ``splits`` (the first selected) and announce the selection once."""
        self.split_combo.blockSignals(True)
        self.split_combo.clear()
        self.split_combo.addItems(splits)
        self.split_combo.setEnabled(bool(splits))
        self.split_combo.blockSignals(False)
        if splits:
            self.split_changed.emit(self.split())

    def set_summary(self, text: str) -> None:
        """The detected layout and counts (empty text hides the line)."""
        self.summary_label.setText(f"<b>{escape(text)}</b>")
        self.summary_label.setVisible(bool(text))

    def set_note(self, text: str) -> None:
        """A warning under the summary (empty text hides it)."""
        self.note_label.setText(text)
        self.note_label.setVisible(bool(text))
