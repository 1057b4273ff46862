"""The page a first launch opens on: three things to do, each one click away."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

# (signal name, button text, what happens) — the order they are shown in.
CHOICES: tuple[tuple[str, str, str], ...] = (
    ("train_demo_requested", "Train on the demo data",
     "Generates a small dataset here (nothing is downloaded), picks networks sized for "
     "it and starts training. Watch the losses fall and the samples sharpen within "
     "minutes, even on a laptop CPU."),
    ("open_dataset_requested", "Open a dataset…",
     "Point at a folder of your own images: pairs for pix2pix (A|B side by side, or A/ "
     "and B/ folders) or two unpaired sets for CycleGAN (trainA/ and trainB/)."),
    ("translate_requested", "Translate an image…",
     "Open a trained model — one of your runs, or a generator from the reference "
     "pytorch-CycleGAN-and-pix2pix code — and translate any photo at full resolution."),
)


class _Choice(QFrame):
    """One card: a large button and two or three lines saying what it does."""

    def __init__(self, text: str, detail: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeChoice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.button = QPushButton(text)
        self.button.setMinimumHeight(44)
        font = self.button.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.button.setFont(font)
        label = QLabel(detail)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.addWidget(self.button)
        layout.addWidget(label, 1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)


class WelcomePage(QWidget):
    """Welcome: train on the demo data, open a dataset, or translate an image.

    The page only says what the user picked; the main window does it.
    """

    train_demo_requested = Signal()
    open_dataset_requested = Signal()
    translate_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons: dict[str, QPushButton] = {}
        self._build_ui()

    def _build_ui(self) -> None:
        title = QLabel("Welcome to Nectar GUI")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        intro = QLabel("Train pix2pix and CycleGAN image-to-image models, see which patches "
                       "the discriminator calls fake, and use what you trained like a "
                       "filter. Pick where to start:")
        intro.setWordWrap(True)
        cards = QHBoxLayout()
        cards.setSpacing(14)
        for name, text, detail in CHOICES:
            card = _Choice(text, detail)
            card.button.clicked.connect(getattr(self, name).emit)
            self.buttons[name] = card.button
            cards.addWidget(card, 1)  # equal widths
        footer = QLabel("This page is under Help → Welcome page whenever you want it back. "
                        "The configuration on the left applies to every run you start.")
        footer.setWordWrap(True)
        footer.setEnabled(False)  # greyed: a hint, not an action
        column = QVBoxLayout()
        column.addStretch(1)
        for widget in (title, intro):
            column.addWidget(widget)
        column.addSpacing(12)
        column.addLayout(cards)
        column.addSpacing(12)
        column.addWidget(footer)
        column.addStretch(2)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 8)
        outer.addStretch(1)
