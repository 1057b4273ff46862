"""Which generator the Translate tab holds: load requests, their outcome, and memory of it.

The model lives on the translate worker's thread; this object only keeps what the UI
needs to know about it (``GeneratorInfo``) and what it was loaded from, so a failed load
of another model puts the picker back on the one still loaded.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

from nectar_gui.core.translate.info import GeneratorInfo
from nectar_gui.ui.translate.controls import ImageControls
from nectar_gui.ui.translate.model import ModelChoice, ModelPicker
from nectar_gui.workers.translate import TranslateRunner


class ModelLoading(QObject):
    """Joins the model picker to the worker's load results."""

    changed = Signal()  # a load finished (loaded or failed)

    def __init__(self, parent: QObject, *, runner: TranslateRunner, picker: ModelPicker,
                 controls: ImageControls, settings: QSettings) -> None:
        super().__init__(parent)
        self.runner = runner
        self.picker = picker
        self.controls = controls
        self.settings = settings
        self.info: GeneratorInfo | None = None
        self._choice: ModelChoice | None = None  # what ``info`` was loaded from
        self._pending_choice: ModelChoice | None = None  # being loaded
        picker.load_requested.connect(self.load)
        picker.device_changed.connect(self._on_picker_device_changed)
        w = runner.worker
        w.devices_found.connect(picker.set_devices)
        w.loaded.connect(self._on_worker_loaded)
        w.load_failed.connect(self._on_worker_load_failed)

    def load(self, choice: ModelChoice) -> None:
        """Load ``choice`` on the worker thread; the picker shows the outcome."""
        self.picker.set_loading(choice.path)
        self.runner.load(choice.path, step=choice.step, device=self.picker.device())
        self._pending_choice = choice

    def reopen_last(self) -> None:
        """Load the model of the last session, if its file or folder still exists."""
        value = self.settings.value("translate/model")
        last = Path(value) if isinstance(value, str) and value else None
        if last is not None and last.exists():
            step = str(self.settings.value("translate/step", ""))
            choice = ModelChoice(last, int(step) if step.isdigit() else None)
            self.picker.select(choice)
            self.load(choice)

    def _on_picker_device_changed(self, device: str) -> None:
        self.settings.setValue("translate/device", device)
        if self._choice is not None:
            self.load(self._choice)

    def _on_worker_loaded(self, info: GeneratorInfo) -> None:
        self.info, self._choice = info, self._pending_choice or ModelChoice(info.path)
        self.picker.set_loaded(info)
        self.controls.set_directions(info.directions)
        self.settings.setValue("translate/model", str(self._choice.path))
        self.settings.setValue("translate/step", "" if self._choice.step is None
                               else self._choice.step)
        self.settings.setValue("translate/model_dir", self.picker.start_dir)
        self.changed.emit()

    def _on_worker_load_failed(self, message: str) -> None:
        self.picker.set_failed(message, self.info)
        if self._choice is not None:
            self.picker.select(self._choice)
        self.changed.emit()
