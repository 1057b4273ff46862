"""The Evaluate tab's control bar: which run, which split, how many images, which metric,
and the Inception weights file for FID / KID.

The bar wraps (FlowLayout) so that the tab fits a 1024-pixel window beside nothing else
and still reads as one line on a wide screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QMenu,
    QPushButton,
    QSpinBox,
    QWidget,
)

from nectar_gui.core.evaluation.records import metric_name
from nectar_gui.core.translate.info import RunCheckpoints
from nectar_gui.ui.evaluate.metrics import metric_tip
from nectar_gui.ui.widgets.flow_layout import FlowLayout, flow_group

SPLIT_NAMES = {"val": "val (validation)", "test": "test"}
_FILE = "\0file\0"  # marks a generator-file entry's data (paths hold no NUL)
GENERATOR_FILTER = "Generator files (*.pth *.pt *.safetensors *.onnx);;All files (*)"
INCEPTION_FILTER = "Inception-v3 weights (*.pth *.pt *.safetensors);;All files (*)"
FID_TIP = ("FID and KID compare Inception-v3 features of the translated and the real "
           "images. They need a local weights file in torchvision's layout "
           "(inception_v3_google, .pth or .safetensors); nothing is downloaded.\n"
           "The file chosen here is used for every evaluation in this tab. With none, a run "
           "uses its own logging.inception_weights, and a generator file gets no FID or KID.")


def file_key(path: Path, data_root: Path) -> str:
    """The run combo's data for a generator file measured on ``data_root``."""
    return f"{_FILE}{path}\0{data_root}"


def parse_file_key(key: object) -> tuple[Path, Path] | None:
    """(generator file, dataset folder) of a :func:`file_key`, else None."""
    if not isinstance(key, str) or not key.startswith(_FILE):
        return None
    path, data_root = key[len(_FILE):].split("\0", 1)
    return Path(path), Path(data_root)


class ControlBar(QWidget):
    """Run picker with "Open run folder…" and "Open generator file…", split, image limit,
    ranking metric, Evaluate."""

    run_chosen = Signal(object)  # Path
    file_chosen = Signal(object, object)  # generator file, dataset folder (Paths)
    step_chosen = Signal(int)  # a checkpoint folder was opened: show that step
    split_changed = Signal(str)
    metric_changed = Signal(str)
    inception_changed = Signal(str)  # the chosen weights file ("": none)
    evaluate_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._opened: list[Path] = []  # folders opened by hand, kept across refreshes
        self._files: list[tuple[Path, Path]] = []  # generator files and their datasets
        self._runs: list[RunCheckpoints] = []
        self._inception = ""
        self.start_dir = ""
        self._build_ui()
        self._connect()
        self.set_runs([])
        self.set_inception_weights("")

    def _build_ui(self) -> None:
        self.run_combo = QComboBox()
        self.run_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.run_combo.setMinimumContentsLength(30)
        self.run_combo.setToolTip("Runs of this workspace that have a checkpoint, and run "
                                  "folders you opened")
        self.open_button = QPushButton("Open run folder…")
        self.file_button = QPushButton("Open generator file…")
        self.file_button.setToolTip("Measure a loose generator — a reference "
                                    "latest_net_G.pth, a .safetensors or an exported .onnx — "
                                    "on the val or test pairs of a dataset you choose")
        self.split_combo = QComboBox()
        self.split_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.split_combo.setToolTip("Images kept out of training: val/ or test/ of the "
                                    "run's dataset")
        self.limit_spin = QSpinBox()
        self.limit_spin.setRange(0, 100_000)
        self.limit_spin.setSpecialValueText("all")
        self.limit_spin.setValue(50)
        self.limit_spin.setToolTip("At most this many images, evenly spaced over the split "
                                   "(all: every image)")
        self.metric_combo = QComboBox()
        self.metric_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.metric_combo.setToolTip("The metric the plot shows, the table sorts by first "
                                     "and the automatic best choice uses")
        self.fid_button = QPushButton()
        fid_menu = QMenu(self.fid_button)
        fid_menu.addAction("Choose a weights file…", self._on_fid_choose_clicked)
        self.fid_clear_action = fid_menu.addAction(
            "Use none", lambda: self.set_inception_weights("", emit=True))
        self.fid_button.setMenu(fid_menu)
        self.evaluate_button = QPushButton("Evaluate ticked")
        self.evaluate_button.setDefault(True)
        self.evaluate_button.setToolTip("Measure every ticked checkpoint on the chosen split")
        flow = FlowLayout(self, spacing=10)
        flow.addWidget(flow_group(QLabel("Run"), self.run_combo, self.open_button,
                                  self.file_button))
        flow.addWidget(flow_group(QLabel("Split"), self.split_combo))
        flow.addWidget(flow_group(QLabel("Images"), self.limit_spin))
        flow.addWidget(flow_group(QLabel("Rank by"), self.metric_combo))
        flow.addWidget(flow_group(QLabel("FID/KID"), self.fid_button))
        flow.addWidget(self.evaluate_button)

    def _connect(self) -> None:
        self.run_combo.activated.connect(self._on_run_combo_activated)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.file_button.clicked.connect(self._on_file_clicked)
        self.split_combo.activated.connect(lambda _i: self.split_changed.emit(self.split()))
        self.metric_combo.activated.connect(
            lambda _i: self.metric_changed.emit(self.ranking_metric()))
        self.evaluate_button.clicked.connect(self.evaluate_requested)

    # ---- runs ---------------------------------------------------------------------------
    def set_runs(self, runs: list[RunCheckpoints]) -> None:
        """Refill the run list, keeping the current choice (and folders opened by hand)."""
        current = self.run_combo.currentData()  # a run folder or a generator-file key
        self._runs = list(runs)
        listed = {r.run_dir for r in self._runs}
        self._opened = [p for p in self._opened if p not in listed]
        combo = self.run_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("Choose a run…" if self._runs or self._opened or self._files else
                      "No trained runs here yet — open a run folder", None)
        for run in self._runs:
            kind = "CycleGAN" if run.model == "cyclegan" else "pix2pix"
            combo.addItem(f"{run.name}  ({kind}, {len(run.steps)} checkpoints)",
                          str(run.run_dir))
        for path in self._opened:
            combo.addItem(f"{path.name}  (opened)", str(path))
        for path, data_root in self._files:
            combo.addItem(f"{path.name} on {data_root.name}  (generator file)",
                          file_key(path, data_root))
        chosen = combo.findData(current) if current else 0
        combo.setCurrentIndex(max(0, chosen))
        combo.blockSignals(False)

    def select_run(self, path: Path) -> None:
        """Show ``path`` as the current run (adding it as an opened folder when needed)."""
        if self.run_combo.findData(str(path)) < 0:
            self._opened.append(path)
            self.set_runs(self._runs)
        self.run_combo.setCurrentIndex(self.run_combo.findData(str(path)))

    def select_file(self, path: Path, data_root: Path) -> None:
        """Show generator file ``path`` measured on ``data_root`` as the current entry."""
        key = file_key(path, data_root)
        if self.run_combo.findData(key) < 0:
            self._files.append((path, data_root))
            self.set_runs(self._runs)
        self.run_combo.setCurrentIndex(self.run_combo.findData(key))

    def current_run(self) -> Path | None:
        """The chosen run folder (None for a generator file, or nothing chosen)."""
        data = self.run_combo.currentData()
        return Path(data) if isinstance(data, str) and parse_file_key(data) is None else None

    def current_file(self) -> tuple[Path, Path] | None:
        """The chosen generator file and its dataset, if a file is chosen."""
        return parse_file_key(self.run_combo.currentData())

    def _on_run_combo_activated(self, _index: int) -> None:
        path, file = self.current_run(), self.current_file()
        if path is not None:
            self.run_chosen.emit(path)
        elif file is not None:
            self.file_chosen.emit(*file)

    def _on_open_clicked(self) -> None:
        picked = QFileDialog.getExistingDirectory(
            self, "Open a run folder (or one of its checkpoint folders)", self.start_dir)
        if picked:
            self.open_run(Path(picked))

    def _on_file_clicked(self) -> None:
        picked, _ = QFileDialog.getOpenFileName(self, "Open a generator file", self.start_dir,
                                                GENERATOR_FILTER)
        if not picked:
            return
        data_root = QFileDialog.getExistingDirectory(
            self, f"Choose the dataset to measure {Path(picked).name} on (pairs in val/ or "
            f"test/)", str(Path(picked).parent))
        if data_root:
            self.open_file(Path(picked), Path(data_root))

    def open_file(self, path: Path, data_root: Path) -> None:
        """Choose generator file ``path``, measured on the dataset ``data_root``."""
        self.start_dir = str(path.parent)
        self.select_file(path, data_root)
        self.file_chosen.emit(path, data_root)

    def open_run(self, path: Path) -> None:
        """Choose ``path``: a run folder, or its checkpoints/ folder or one checkpoint
        folder, which stand for the run (the checkpoint is then shown)."""
        step = None
        if path.name.isdigit() and path.parent.name == "checkpoints":
            path, step = path.parent, int(path.name)
        if path.name == "checkpoints":
            path = path.parent
        self.start_dir = str(path.parent)
        self.select_run(path)
        self.run_chosen.emit(path)
        if step is not None:
            self.step_chosen.emit(step)

    def remember_in(self, settings: QSettings) -> None:
        """Restore the image limit, the folder dialogs' start and the FID weights from
        ``settings``, and keep the first and last there as the user changes them."""
        limit = str(settings.value("evaluate/limit", 50))
        self.limit_spin.setValue(int(limit) if limit.isdigit() else 50)
        self.start_dir = str(settings.value("evaluate/open_dir", ""))
        self.set_inception_weights(str(settings.value("evaluate/inception_weights", "")))
        self.limit_spin.valueChanged.connect(lambda v: settings.setValue("evaluate/limit", v))
        self.inception_changed.connect(
            lambda p: settings.setValue("evaluate/inception_weights", p))

    # ---- FID / KID weights --------------------------------------------------------------
    def _on_fid_choose_clicked(self) -> None:
        start = str(Path(self._inception).parent) if self._inception else self.start_dir
        picked, _ = QFileDialog.getOpenFileName(
            self, "Choose a local Inception-v3 weights file for FID and KID", start,
            INCEPTION_FILTER)
        if picked:
            self.set_inception_weights(picked, emit=True)

    def set_inception_weights(self, path: str, *, emit: bool = False) -> None:
        """Use ``path`` ("" for none) for FID / KID; ``emit``: tell the tab (a user's act)."""
        self._inception = path
        self.fid_button.setText(Path(path).name if path else "no weights file")
        self.fid_button.setToolTip(f"{FID_TIP}\n\nNow: {path or 'none chosen'}")
        self.fid_clear_action.setEnabled(bool(path))
        if emit:
            self.inception_changed.emit(path)

    def inception_weights(self) -> str | None:
        """The chosen Inception weights file, or None."""
        return self._inception or None

    # ---- split, limit, metric -----------------------------------------------------------
    def set_splits(self, splits: tuple[str, ...]) -> None:
        """Offer only the splits the dataset has; keep the current one when possible."""
        current = self.split()
        self.split_combo.clear()
        for split in splits:
            self.split_combo.addItem(SPLIT_NAMES.get(split, split), split)
        self.split_combo.setCurrentIndex(max(0, self.split_combo.findData(current)))

    def split(self) -> str:
        data = self.split_combo.currentData()
        return data if isinstance(data, str) else ""

    def limit(self) -> int | None:
        """The image limit (None: all)."""
        return self.limit_spin.value() or None

    def set_metrics(self, names: tuple[str, ...], current: str) -> None:
        """The ranking metrics of the data's kind, ``current`` chosen."""
        combo = self.metric_combo
        combo.blockSignals(True)
        combo.clear()
        for name in names:
            combo.addItem(metric_name(name), name)
            combo.setItemData(combo.count() - 1, metric_tip(name),
                              Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def offer_metrics(self, names: Iterable[str]) -> None:
        """Add set-level metrics an evaluation brought (FID, KID) to the choices."""
        for name in names:
            if self.metric_combo.findData(name) < 0:
                self.metric_combo.addItem(metric_name(name), name)
                self.metric_combo.setItemData(self.metric_combo.count() - 1,
                                              metric_tip(name), Qt.ItemDataRole.ToolTipRole)

    def ranking_metric(self) -> str:
        data = self.metric_combo.currentData()
        return data if isinstance(data, str) else ""
