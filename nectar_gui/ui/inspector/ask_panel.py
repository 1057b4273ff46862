"""AskPanel: load a run's discriminators and ask them about any image file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from nectar_gui.core.inspect_d_info import JudgeInfo
from nectar_gui.workers.inspect_d import JudgeFiles, JudgeRunner

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff);;All files (*)"
WHAT_CHOICES = (
    (False, "the image itself", "D judges your image as it is, as an image of the chosen "
     "domain."),
    (True, "the generator's output for it", "Your image is from the other domain: the "
     "generator translates it and D judges the result."),
)


class AskPanel(QFrame):
    """"Ask D about any image": a run or checkpoint, an image, what to judge, and Ask.

    Work happens on a ``JudgeRunner`` thread; answers come out of ``judged`` as a
    ``SampleRecord`` for the inspector to show like a training sample.
    """

    judged = Signal(object)  # SampleRecord: the judged image(s) and D's patch map

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = JudgeRunner(self)
        self.info: JudgeInfo | None = None
        self._image: Path | None = None
        self._condition: Path | None = None
        self._pending: tuple[Path, bool] | None = None  # judge once the model has loaded
        self._folder = str(Path.home())
        self._build_ui()
        self._connect()
        self._update()

    def _build_ui(self) -> None:
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.model_button = QPushButton("Model…")
        self.model_button.setToolTip("Choose a run folder (its newest checkpoint) or one "
                                     "checkpoint folder; its discriminators are loaded.")
        self.model_label = QLabel("No model loaded.")
        self.image_button = QPushButton("Image…")
        self.image_button.setToolTip("Any image file, any size.")
        self.image_label = QLabel("No image.")
        self.what = QComboBox()
        for translate, text, tip in WHAT_CHOICES:
            self.what.addItem(text, translate)
            self.what.setItemData(self.what.count() - 1, tip, 3)  # Qt.ToolTipRole
        self.what.setToolTip("What D judges: your image itself, or what the generator "
                             "makes of it.")
        self.domain = QComboBox()
        self.domain.setToolTip("CycleGAN has one discriminator per domain: pick whose "
                               "opinion you want.")
        self.condition_button = QPushButton("Condition…")
        self.condition_button.setToolTip("pix2pix's D judges a B image next to its A image "
                                         "(the condition). Choose that A image; it is "
                                         "resized to match when the sizes differ.")
        self.condition_label = QLabel("")
        self.ask_button = QPushButton("Ask D")
        self.ask_button.setToolTip("Compute D's patch map for the image and show it here.")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        self.model_label.setWordWrap(True)
        grid.addWidget(QLabel("<b>Ask D about any image</b>"), 0, 0)
        grid.addWidget(self.model_button, 0, 1)
        grid.addWidget(self.model_label, 0, 2, 1, 3)
        grid.addWidget(self.status, 0, 5, 1, 4)
        grid.addWidget(self.image_button, 1, 1)
        grid.addWidget(self.image_label, 1, 2)
        grid.addWidget(QLabel("D judges:"), 1, 3)
        grid.addWidget(self.what, 1, 4)
        grid.addWidget(self.domain, 1, 5)
        grid.addWidget(self.condition_button, 1, 6)
        grid.addWidget(self.condition_label, 1, 7)
        grid.addWidget(self.ask_button, 1, 8)
        grid.setColumnStretch(2, 1)
        grid.setColumnStretch(7, 1)

    def _connect(self) -> None:
        self.model_button.clicked.connect(self._on_model_button_clicked)
        self.image_button.clicked.connect(self._on_image_button_clicked)
        self.condition_button.clicked.connect(self._on_condition_button_clicked)
        self.ask_button.clicked.connect(self.ask)
        self.what.currentIndexChanged.connect(lambda _i: self._update())
        self.domain.currentIndexChanged.connect(lambda _i: self._update())
        self.runner.loaded.connect(self._on_runner_loaded)
        self.runner.judged.connect(self._on_runner_judged)
        self.runner.failed.connect(self.status.setText)
        self.runner.busy_changed.connect(lambda _busy: self._update())

    # ---- actions (also called by tests) ----------------------------------------------
    def load_model(self, path: str | Path) -> None:
        """Load the discriminators of a run or checkpoint folder (in the background)."""
        self.status.setText(f"Loading {Path(path).name}…")
        self.runner.load(Path(path))

    def set_image(self, path: str | Path | None) -> None:
        self._image = None if path is None else Path(path)
        self.image_label.setText(self._image.name if self._image else "No image.")
        self._update()

    def set_condition(self, path: str | Path | None) -> None:
        self._condition = None if path is None else Path(path)
        self.condition_label.setText(self._condition.name if self._condition else "")
        self._update()

    def set_judging(self, translate: bool, domain: str | None = None) -> None:
        """Judge the image itself (False) or the generator's output (True); pick a domain."""
        self.what.setCurrentIndex(1 if translate else 0)
        if domain is not None and self.domain.findData(domain) >= 0:
            self.domain.setCurrentIndex(self.domain.findData(domain))

    def ask_after_loading(self, model: Path, image: Path, *, translate: bool) -> None:
        """Load ``model``'s discriminators, then judge ``image`` at once (another tab asked:
        "what does this checkpoint's D make of this image?")."""
        self._pending = (image, translate)
        self.load_model(model)

    def ask(self) -> None:
        """Send the chosen image to D (when a model and an image are chosen)."""
        problem = self.problem()
        if problem:
            self.status.setText(problem)
            return
        assert self._image is not None
        condition = self._condition if self._needs_condition() else None
        self.status.setText(f"Asking D about {self._image.name}…")
        self.runner.judge(JudgeFiles(self._image, str(self.domain.currentData()),
                                     bool(self.what.currentData()), condition))

    def problem(self) -> str | None:
        """Why Ask D cannot run yet, or None."""
        if self.info is None:
            return "Load a model first: a run folder or a checkpoint folder."
        if self._image is None:
            return "Choose an image to judge."
        if self._needs_condition() and self._condition is None:
            return ("pix2pix's D needs the A image it judges against: choose a condition, "
                    "or judge the generator's output for an A image.")
        return None

    def shutdown(self) -> None:
        """Join the worker thread (before the window closes)."""
        self.runner.shutdown()

    # ---- state -----------------------------------------------------------------------
    def _needs_condition(self) -> bool:
        return (self.info is not None and self.info.conditional
                and not bool(self.what.currentData()))

    def _update(self) -> None:
        busy = self.runner.busy()
        self.model_button.setEnabled(not busy)
        cyclegan = self.info is not None and len(self.info.domains) > 1
        self.domain.setVisible(cyclegan)
        self.condition_button.setVisible(self._needs_condition())
        self.condition_label.setVisible(self._needs_condition())
        self.ask_button.setEnabled(not busy and self.info is not None)

    def _on_runner_loaded(self, info: JudgeInfo) -> None:
        self.info = info
        self.model_label.setText(info.summary)
        self.model_label.setToolTip(str(info.path))
        self.domain.blockSignals(True)
        self.domain.clear()
        for domain in info.domains:
            self.domain.addItem(f"D of domain {domain}", domain)
        self.domain.setCurrentIndex(self.domain.count() - 1)
        self.domain.blockSignals(False)
        self.status.setText("Model loaded. Choose an image and press Ask D.")
        self._update()
        if self._pending is not None:
            (image, translate), self._pending = self._pending, None
            self.set_image(image)
            self.set_judging(translate)
            self.ask()

    def _on_runner_judged(self, record: object) -> None:
        self.status.setText("")
        self.judged.emit(record)

    def _on_model_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a run or checkpoint folder",
                                                  self._folder)
        if folder:
            self._folder = str(Path(folder).parent)
            self.load_model(folder)

    def _on_image_button_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose an image for D", self._folder,
                                              IMAGE_FILTER)
        if path:
            self._folder = str(Path(path).parent)
            self.set_image(path)

    def _on_condition_button_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the A image (condition)",
                                              self._folder, IMAGE_FILTER)
        if path:
            self.set_condition(path)
