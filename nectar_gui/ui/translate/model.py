"""Choosing the generator: a workspace run and its checkpoint step, or a model file.

The picker only asks; the Translate tab loads through its worker and tells the picker
what happened (``set_loaded``, ``set_failed``), so the line under the choices always
says what is in use.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.core.translate.info import GeneratorInfo, RunCheckpoints

MODEL_FILE_FILTER = ("Generators (*.pth *.pt *.safetensors *.onnx);;"
                     "Checkpoint or run files (meta.json config.json);;All files (*)")
DEVICE_NAMES = {"auto": "Automatic", "cpu": "CPU", "cuda": "NVIDIA GPU (CUDA)",
                "mps": "Apple GPU (MPS)"}
_CHANNELS = {1: "grey", 3: "RGB", 4: "RGBA"}
_SOURCES = {"nectar-checkpoint": "Nectar checkpoint", "reference-pth":
            "pytorch-CycleGAN-and-pix2pix generator", "onnx": "ONNX file"}
_ARROWS = {"AtoB": "A → B", "BtoA": "B → A"}


@dataclass(frozen=True)
class ModelChoice:
    """What to load: a run (with a step, None = latest) or a file/folder."""

    path: Path
    step: int | None = None


def model_path_for(picked: Path) -> Path:
    """A picked file that stands for its folder (a run's config.json, a checkpoint's
    meta.json) becomes that folder; anything else is used as picked."""
    if picked.name in ("config.json", "meta.json", "LATEST"):
        return picked.parent.parent if picked.name == "LATEST" else picked.parent
    return picked


def describe_info(info: GeneratorInfo) -> str:
    """Rich text for the line under the picker: what was loaded, from where."""
    params = f"{info.parameters:,} parameters" if info.parameters else "parameters unknown"
    channels = (f"{_CHANNELS.get(info.input_nc, f'{info.input_nc} channels')} → "
                f"{_CHANNELS.get(info.output_nc, f'{info.output_nc} channels')}")
    directions = " and ".join(_ARROWS.get(d, d) for d in info.directions)
    parts = [f"<b>{escape(info.summary)}</b>", params]
    if "channels" not in info.summary:  # some summaries say it already
        parts.append(channels)
    parts.append(directions)
    if info.step is not None:
        parts.append(f"trained {info.step:,} steps")
    origin = f"run {info.run_name}" if info.run_name else info.path.name
    parts.append(f"{_SOURCES.get(info.source, info.source)} · {escape(origin)}")
    return " · ".join(parts)


class ModelPicker(QWidget):
    """Run + checkpoint combos, "Open model…", a device choice, and what is loaded."""

    load_requested = Signal(object)  # ModelChoice
    device_changed = Signal(str)  # "auto", "cpu", "cuda" or "mps"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runs: list[RunCheckpoints] = []
        self._files: list[Path] = []
        self._selected: ModelChoice | None = None  # kept across refreshes of the list
        self.start_dir = ""
        self._build_ui()
        self._connect()
        self.set_runs([])
        self.set_empty()

    def _build_ui(self) -> None:
        self.model_combo = QComboBox()
        # Wide when there is room (stretch), but a long run name must not widen the window.
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(10)
        self.model_combo.setToolTip("Runs in this workspace that have a checkpoint, and "
                                    "model files you opened")
        self.step_combo = QComboBox()
        self.step_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.step_combo.setMinimumContentsLength(8)
        self.step_combo.setToolTip("Which checkpoint of the run to use (latest by default)")
        self.open_button = QToolButton()
        self.open_button.setText("Open model…")
        self.open_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.open_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        menu = QMenu(self.open_button)
        self.open_file_action = menu.addAction("Model file (.pth, .onnx, .safetensors)…")
        self.open_folder_action = menu.addAction("Run or checkpoint folder…")
        self.open_button.setMenu(menu)
        self.open_button.setToolTip("Open a generator file: a reference *_net_G*.pth, an "
                                    "exported .onnx, or a Nectar run or checkpoint folder")
        self.device_combo = QComboBox()
        self.device_combo.setToolTip("Where translation runs; Automatic picks a GPU when "
                                     "there is one")
        self.info_label = QLabel()
        self.info_label.setTextFormat(Qt.TextFormat.RichText)
        self.info_label.setWordWrap(True)
        self.info_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                      QSizePolicy.Policy.Preferred)
        self.info_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(QLabel("Model"))
        row.addWidget(self.model_combo, 2)
        row.addWidget(QLabel("Step"))
        row.addWidget(self.step_combo, 1)
        row.addWidget(self.open_button)
        row.addSpacing(12)
        row.addWidget(QLabel("Device"))
        row.addWidget(self.device_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.info_label)
        self.set_devices(())

    def _connect(self) -> None:
        self.model_combo.activated.connect(self._on_model_combo_activated)
        self.step_combo.activated.connect(self._on_step_combo_activated)
        self.open_button.clicked.connect(self._on_open_file_triggered)
        self.open_file_action.triggered.connect(self._on_open_file_triggered)
        self.open_folder_action.triggered.connect(self._on_open_folder_triggered)
        self.device_combo.activated.connect(
            lambda _i: self.device_changed.emit(self.device()))

    # ---- content ------------------------------------------------------------------------
    def set_runs(self, runs: list[RunCheckpoints]) -> None:
        """Refill the list, keeping the current choice when it is still there."""
        self._runs = list(runs)
        run_dirs = {r.run_dir for r in self._runs}
        self._files = [p for p in self._files if p not in run_dirs]
        if self._selected is not None and self._selected.path not in run_dirs | set(
                self._files):
            self._files.append(self._selected.path)
        combo = self.model_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("Choose a model…" if self._runs else
                      "No trained runs here yet — open a model file", None)
        for run in self._runs:
            kind = "CycleGAN" if run.model == "cyclegan" else "pix2pix"
            combo.addItem(f"{run.name}  ({kind})", str(run.run_dir))
        for path in self._files:
            combo.addItem(f"{path.name}  (file)", str(path))
        selected = self._selected
        combo.setCurrentIndex(max(0, combo.findData(str(selected.path))) if selected else 0)
        combo.blockSignals(False)
        self._fill_steps(selected.step if selected else None)

    def select(self, choice: ModelChoice) -> None:
        """Show ``choice`` as the current model (adding a file entry when needed)."""
        self._selected = choice
        self.set_runs(self._runs)

    def current_path(self) -> Path | None:
        data = self.model_combo.currentData()
        return Path(data) if isinstance(data, str) else None

    def current_step(self) -> int | None:
        data = self.step_combo.currentData()
        return data if isinstance(data, int) and data >= 0 else None

    def set_devices(self, devices: tuple[str, ...]) -> None:
        """Offer "Automatic" and the devices the worker found (it may import torch)."""
        current = self.device()
        combo = self.device_combo
        combo.blockSignals(True)
        combo.clear()
        for name in ("auto", *devices):
            combo.addItem(DEVICE_NAMES.get(name, name), name)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def device(self) -> str:
        data = self.device_combo.currentData() if self.device_combo.count() else None
        return data if isinstance(data, str) else "auto"

    def set_device(self, name: str) -> None:
        index = self.device_combo.findData(name)
        if index < 0:
            self.device_combo.addItem(DEVICE_NAMES.get(name, name), name)
            index = self.device_combo.count() - 1
        self.device_combo.setCurrentIndex(index)

    # ---- what is loaded -----------------------------------------------------------------
    def set_loading(self, path: Path) -> None:
        self.info_label.setText(f"Loading {escape(path.name)}…")

    def set_loaded(self, info: GeneratorInfo) -> None:
        self.info_label.setText(describe_info(info))

    def set_failed(self, message: str, loaded: GeneratorInfo | None) -> None:
        still = (f"<br>Still using the previous model: {escape(loaded.summary)}" if loaded
                 else "")
        self.info_label.setText(f"<span style='color:#c0392b'>{escape(message)}</span>{still}")

    def set_empty(self) -> None:
        self.info_label.setText("<span style='color:gray'>No model loaded yet — pick a run "
                                "of this workspace, or open a generator file (.pth, .onnx)."
                                "</span>")

    # ---- slots --------------------------------------------------------------------------
    def _run(self, path: Path | None) -> RunCheckpoints | None:
        return next((r for r in self._runs if r.run_dir == path), None)

    def _fill_steps(self, step: int | None) -> None:
        run = self._run(self.current_path())
        combo = self.step_combo
        combo.blockSignals(True)
        combo.clear()
        if run is None:
            combo.addItem("—", -1)
            combo.setEnabled(False)
        else:
            for s in reversed(run.steps):
                marks = [m for m, at in (("best", run.best), ("latest", run.latest)) if s == at]
                combo.addItem(f"step {s:,}" + (f"  ({', '.join(marks)})" if marks else ""), s)
            # The run's best checkpoint (checkpoints/BEST) by default, else the newest.
            default = run.best if run.best in run.steps else run.latest
            chosen = step if step in run.steps else default
            combo.setCurrentIndex(max(0, combo.findData(chosen)))
            combo.setEnabled(True)
        combo.blockSignals(False)

    def _on_model_combo_activated(self, _index: int) -> None:
        self._fill_steps(None)
        self._request_current()

    def _on_step_combo_activated(self, _index: int) -> None:
        self._request_current()

    def _request_current(self) -> None:
        path = self.current_path()
        if path is not None:
            self._selected = ModelChoice(path, self.current_step())
            self.load_requested.emit(self._selected)

    def _on_open_file_triggered(self) -> None:
        picked, _ = QFileDialog.getOpenFileName(self, "Open a generator", self.start_dir,
                                                MODEL_FILE_FILTER)
        if picked:
            self._open(model_path_for(Path(picked)))

    def _on_open_folder_triggered(self) -> None:
        picked = QFileDialog.getExistingDirectory(self, "Open a run or checkpoint folder",
                                                  self.start_dir)
        if picked:
            self._open(Path(picked))

    def _open(self, path: Path) -> None:
        self.start_dir = str(path.parent)
        self.select(ModelChoice(path, None))
        self._request_current()
