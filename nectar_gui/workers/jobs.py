"""Job plumbing shared by the workers: a one-function pool job, and the UI thread's
numbered-job handle on a worker that lives on its own QThread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, QRunnable, QThread, Signal, Slot


class FunctionJob(QRunnable):
    """Runs ``fn`` on a pool thread; ``fn`` reports back through its owner's signals."""

    def __init__(self, fn: Callable[[], None]) -> None:
        super().__init__()
        self._fn = fn
        self.setAutoDelete(True)

    def run(self) -> None:
        self._fn()


class CancellableWorker(Protocol):
    """What ``JobRunner`` needs of its worker: a ``finished`` signal carrying an object
    with the ``job`` number after every job, and ``cancel_through`` — jobs up to that
    number stop at their next check (written from the UI thread; an int store is atomic)."""

    cancel_through: int
    finished: Any


class JobRunner(QObject):
    """Numbered jobs for one worker on one thread: submit, busy, cancel, shutdown.

    The thread starts on the first job. ``busy_changed`` fires with True when a job is
    queued while idle and with False once every queued job has finished. Subclasses add
    their request signals (connected to the worker's slots, so the jobs run on the
    worker's thread in order) and call ``_submit``.
    """

    busy_changed = Signal(bool)  # any job queued or running

    def __init__(self, worker: QObject, thread_name: str, parent: QObject | None = None
                 ) -> None:
        super().__init__(parent)
        self.worker = worker
        self._thread_name = thread_name
        self._thread: QThread | None = None
        self._job = 0
        self._pending: dict[int, str] = {}  # job number → kind
        self._cancellable().finished.connect(self._on_worker_finished)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def running_kinds(self) -> set[str]:
        """Kinds of the queued or running jobs."""
        return set(self._pending.values())

    def cancel(self) -> None:
        """Stop every job asked for so far, at its next check."""
        self._cancellable().cancel_through = self._job

    def shutdown(self, timeout_ms: int = 60_000) -> bool:
        """Cancel, end the thread and join it (closing the window). True once it ended."""
        self.cancel()
        thread = self._thread
        if thread is None:
            return True
        thread.quit()
        ended = bool(thread.wait(timeout_ms))
        if ended:
            self._thread = None
            self._pending.clear()
            self._after_shutdown()
        return ended

    def _after_shutdown(self) -> None:
        """Free what the worker holds once its thread has ended (nothing by default)."""

    def _cancellable(self) -> CancellableWorker:
        return self.worker  # type: ignore[return-value]

    def _submit(self, kind: str, signal: Any, make: Callable[[int], object]) -> int:
        """Number a job, emit ``make(number)`` on ``signal``, return the number."""
        if self._thread is None:
            thread = QThread()
            thread.setObjectName(self._thread_name)
            self.worker.moveToThread(thread)
            self._thread = thread
            thread.start()
        self._job += 1
        was_busy = self.busy
        self._pending[self._job] = kind
        signal.emit(make(self._job))
        if not was_busy:
            self.busy_changed.emit(True)
        return self._job

    @Slot(object)
    def _on_worker_finished(self, end: Any) -> None:
        if self._pending.pop(end.job, None) is not None and not self._pending:
            self.busy_changed.emit(False)
