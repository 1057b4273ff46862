"""A batch from the Translate tab: pick files or a folder, decide how, run, report.

Kept apart from the tab so the tab handles one image and this handles many: it asks
the batch dialog for the output folder, format and existing-file policy, hands the
request to the translate worker, and reports what was written and what failed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from nectar_gui.ui.translate.batch import ask_batch, default_output_dir, failure_text, summarize
from nectar_gui.ui.translate.controls import ImageControls
from nectar_gui.ui.translate.progress import TaskStrip
from nectar_gui.workers.translate import TranslateRunner
from nectar_gui.workers.translate_batch import BatchResult, collect_inputs


class BatchFlow(QObject):
    """Runs batches for ``tab``.

    Args:
        problem: why nothing can be translated now (no model, busy), or None.
    """

    started = Signal()

    def __init__(self, tab: QWidget, *, runner: TranslateRunner, controls: ImageControls,
                 strip: TaskStrip, settings: QSettings,
                 problem: Callable[[], str | None]) -> None:
        super().__init__(tab)
        self.tab = tab
        self.runner = runner
        self.controls = controls
        self.strip = strip
        self.settings = settings
        self._problem = problem
        self.output_folder: Path | None = None
        controls.batch_folder_action.triggered.connect(self._on_batch_folder_triggered)
        controls.batch_files_action.triggered.connect(self._on_batch_files_triggered)
        runner.worker.batch_progress.connect(strip.batch)
        runner.worker.batch_done.connect(self._on_worker_batch_done)
        strip.open_folder_requested.connect(self._on_strip_open_folder_requested)

    def start(self, paths: list[Path]) -> None:
        """Ask where and how, then translate ``paths`` (files and folders) in the background."""
        problem = self._problem()
        if problem:
            QMessageBox.information(self.tab, "Cannot translate now", problem)
            return
        inputs = collect_inputs(paths)
        if not inputs:
            QMessageBox.information(self.tab, "No images", "No image files were found in "
                                    + ", ".join(str(p) for p in paths))
            return
        self.settings.setValue("translate/batch_in", str(inputs[0].parent))
        request = ask_batch(self.tab, inputs, self.controls.direction(),
                            output_dir=self._setting_path("batch_out")
                            or default_output_dir(inputs),
                            suffix=str(self.settings.value("translate/batch_format", ".png")),
                            tile=self.controls.tile())
        if request is None:
            return
        self.settings.setValue("translate/batch_out", str(request.output_dir))
        self.settings.setValue("translate/batch_format", request.suffix)
        self.output_folder = request.output_dir
        self.runner.batch(request)
        self.strip.busy(f"Translating {len(inputs)} images…")
        self.started.emit()

    def _setting_path(self, key: str) -> Path | None:
        value = self.settings.value(f"translate/{key}")
        return Path(value) if isinstance(value, str) and value else None

    def _on_batch_folder_triggered(self) -> None:
        folder = self.controls.ask_folder(str(self._setting_path("batch_in") or ""))
        if folder is not None:
            self.start([folder])

    def _on_batch_files_triggered(self) -> None:
        files = self.controls.ask_files(str(self._setting_path("batch_in") or ""))
        if files:
            self.start(files)

    def _on_worker_batch_done(self, result: BatchResult) -> None:
        self.strip.idle(summarize(result), folder=bool(result.written))
        if result.failed:
            QMessageBox.warning(self.tab, "Some images were not translated",
                                f"{len(result.failed)} of {result.total} files could not "
                                f"be translated; the others were.\n\n{failure_text(result)}")

    def _on_strip_open_folder_requested(self) -> None:
        if self.output_folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.output_folder)))
