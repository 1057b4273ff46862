"""The built-in demo dataset from the Dataset tab: which one, where, and its buttons.

The demo matches the model kind (façade pairs for pix2pix, day/night scenes for
CycleGAN) and is written once, on a worker thread, into the workspace's demo folder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from nectar_gui.core.data.demo import DemoKind
from nectar_gui.ui.dataset.panels import DatasetHeader, EmptyState
from nectar_gui.workers.dataset import DemoOptions, DemoWorker, WorkerThreads

DEMO_SUBFOLDERS = {"pix2pix": "facades", "cyclegan": "day-night"}


class DemoControl(QObject):
    """Starts the demo writer and keeps the two demo buttons' state and wording right."""

    written = Signal(str)  # the demo dataset is complete in this folder

    def __init__(self, parent: QObject, *, threads: WorkerThreads, empty_state: EmptyState,
                 header: DatasetHeader) -> None:
        super().__init__(parent)
        self.threads = threads
        self.empty_state = empty_state
        self.header = header
        self.folder: Path | None = None
        self.options = DemoOptions()
        self.model_kind = "cyclegan"
        self.busy = False
        self.update_text()

    def start(self) -> None:
        """Write the demo for the current model kind, unless one is being written."""
        if self.folder is None or self.busy:
            return
        kind: DemoKind = "paired" if self.model_kind == "pix2pix" else "unpaired"
        folder = self.folder / DEMO_SUBFOLDERS.get(self.model_kind, "day-night")
        worker = DemoWorker(folder, kind, self.options)
        worker.error.connect(self._on_worker_error)
        worker.finished.connect(self._on_worker_finished)
        self.threads.start(worker, "dataset-demo")
        self.busy = True
        self.update_text()
        self.empty_state.set_busy(True)
        self.header.set_note(f"Writing the demo dataset to {folder}…")

    def update_text(self) -> None:
        """Say which demo the buttons write, and why they are off when they are."""
        self.empty_state.set_demo_kind(self.model_kind, self.options.n_train)
        available = self.folder is not None
        reason = "" if available else "No folder is set for the demo dataset"
        self.empty_state.set_demo_available(available and not self.busy, reason)
        self.header.demo_button.setEnabled(available and not self.busy)
        self.header.demo_button.setToolTip(reason or f"Write the demo into {self.folder}")

    def _on_worker_error(self, message: str) -> None:
        self.empty_state.show_message(message)
        self.header.set_note(message)

    def _on_worker_finished(self, path: str | None) -> None:
        self.busy = False
        self.empty_state.set_busy(False)
        self.update_text()
        if path is not None:
            self.written.emit(path)
