"""The full check of every file of the split shown, on a worker thread.

Only the newest check counts: starting another, or cancelling, drops the results of
the one before, and a config change re-runs it after a short pause (typing a crop size
should not start a check per key press).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from nectar_gui.core.data import DatasetLayout, ScanResult
from nectar_gui.ui.dataset.problems import ProblemsPanel
from nectar_gui.workers.dataset import ScanProgress, ScanWorker, WorkerThreads

RESCAN_DELAY_MS = 600


class FileCheck(QObject):
    """Runs checks for the Dataset tab and shows them in its Problems panel."""

    finished = Signal(object)  # ScanResult, or None when cancelled or failed

    def __init__(self, parent: QObject, *, threads: WorkerThreads,
                 problems: ProblemsPanel) -> None:
        super().__init__(parent)
        self.threads = threads
        self.problems = problems
        self.result: ScanResult | None = None  # of the last check that completed
        self._scan: ScanWorker | None = None
        self._rescan_timer = QTimer(self)
        self._rescan_timer.setSingleShot(True)
        self._rescan_timer.setInterval(RESCAN_DELAY_MS)
        self._layout: DatasetLayout | None = None
        self._options: tuple[int, int, int] = (3, 3, 0)
        self._rescan_timer.timeout.connect(self._start_now)
        problems.cancel_requested.connect(self.cancel)

    def start(self, layout: DatasetLayout | None, *, channels: tuple[int, int],
              min_size: int, delayed: bool = False) -> None:
        """Check ``layout``'s files (cancelling a running check); None just cancels.

        Args:
            delayed: wait a moment first; a newer request within it replaces this one.
        """
        self.cancel()
        self._layout, self._options = layout, (*channels, min_size)
        if layout is not None:
            if delayed:
                self._rescan_timer.start()
            else:
                self._start_now()

    def cancel(self) -> None:
        """Stop the running check, if any; its results are dropped."""
        self._rescan_timer.stop()
        if self._scan is not None:
            self._scan.cancel()
            self._scan = None
            self.problems.set_idle("Check cancelled — press Check again to run it.")

    def running(self) -> bool:
        """Whether a check is running now."""
        return self._scan is not None

    def _start_now(self) -> None:
        layout = self._layout
        if layout is None:
            return
        a, b, min_size = self._options
        worker = ScanWorker(layout, channels_a=a, channels_b=b, min_size=min_size)
        worker.progress.connect(self._on_scan_progress)
        worker.error.connect(self._on_scan_error)
        worker.finished.connect(self._on_scan_finished)
        self._scan = worker
        self.result = None
        self.problems.scan_started(len({*layout.files_a, *layout.files_b}))
        self.threads.start(worker, "dataset-scan")

    def _on_scan_progress(self, progress: ScanProgress) -> None:
        if self.sender() is self._scan:
            self.problems.show_progress(progress)

    def _on_scan_error(self, message: str) -> None:
        if self.sender() is self._scan:
            self.problems.set_idle(message)

    def _on_scan_finished(self, result: ScanResult | None) -> None:
        if self.sender() is not self._scan:
            return  # a cancelled or replaced check
        self._scan = None
        self.result = result
        if result is not None:
            self.problems.show_result(result)
        self.finished.emit(result)
