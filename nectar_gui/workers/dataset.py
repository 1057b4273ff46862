"""Background jobs of the dataset browser: checking a dataset, writing the demo, and
planning and writing a prepared dataset.

Each job is one parentless worker object on its own QThread (see
:func:`start_worker_thread`); cancelling is a flag set directly from the UI thread, and
``finished`` always fires, after an error or a cancel too. Only plain dataclasses and
strings cross the thread boundary. Thumbnails and previews, many small jobs, run on a
thread pool instead (:mod:`nectar_gui.workers.thumbnails`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, QThreadPool, Signal, Slot

from nectar_gui.core.data import DatasetError, DatasetLayout, ScanCancelled, scan_dataset
from nectar_gui.core.data.demo import DemoKind, write_demo_dataset
from nectar_gui.core.data.prepare import (
    PrepareCancelled,
    PrepareError,
    PrepareOptions,
    PreparePlan,
    PrepareResult,
    plan_prepare,
    write_prepared,
)
from nectar_gui.workers.jobs import FunctionJob

# Progress signals at most this often: a scan of thousands of files would otherwise
# queue one signal per file on the UI thread.
_PROGRESS_INTERVAL_S = 0.05


@dataclass(frozen=True)
class ScanProgress:
    """How many of the split's files the scan has decoded so far."""

    done: int
    total: int


@dataclass(frozen=True)
class DemoOptions:
    """Size of the generated demo dataset (the defaults are the real demo)."""

    n_train: int = 200
    n_test: int = 20
    size: int = 128
    seed: int = 0


def start_worker_thread(worker: ScanWorker | DemoWorker | PrepareWorker, name: str) -> QThread:
    """Move the parentless ``worker`` to a new thread and start its ``run``.

    The caller keeps references to both until ``QThread.finished``; the thread quits as
    soon as the worker's ``finished`` fires.
    """
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # Direct: QThread.quit is thread-safe, and a queued call would not arrive while the
    # UI thread is blocked in QThread.wait().
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.start()
    return thread


class ScanWorker(QObject):
    """Decodes every file of one split with :func:`scan_dataset` and reports what it found.

    Args:
        layout: The split to check.
        channels_a: Channels the A side is converted to (1, 3 or 4).
        channels_b: Channels the B side is converted to.
        min_size: Smallest side that trains without scaling up (the crop size).
    """

    progress = Signal(object)  # ScanProgress
    error = Signal(str)  # user-facing message; finished(None) follows
    finished = Signal(object)  # ScanResult, or None when cancelled or failed

    def __init__(self, layout: DatasetLayout, *, channels_a: int, channels_b: int,
                 min_size: int) -> None:
        super().__init__()
        self.layout = layout
        self.channels = (channels_a, channels_b)
        self.min_size = min_size
        self.cancelled = False
        self._last_progress = 0.0

    def cancel(self) -> None:
        """Ask the scan to stop after the file it is on (safe from any thread)."""
        self.cancelled = True

    @Slot()
    def run(self) -> None:
        """Scan the split (runs on the worker thread)."""
        outcome = None
        try:
            outcome = scan_dataset(self.layout, channels_a=self.channels[0],
                                   channels_b=self.channels[1], min_size=self.min_size,
                                   progress=self._report, cancel=lambda: self.cancelled)
        except ScanCancelled:
            pass
        except Exception as exc:  # a last net: the scan reports bad files itself
            self.error.emit(f"Checking the dataset in {self.layout.root} failed: {exc}")
        finally:
            self.finished.emit(outcome)

    def _report(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - self._last_progress >= _PROGRESS_INTERVAL_S:
            self._last_progress = now
            self.progress.emit(ScanProgress(done, total))


class DemoWorker(QObject):
    """Writes the built-in demo dataset (façade pairs or day/night scenes) into a folder.

    Args:
        root: The folder to write; an existing, complete demo there is reused as it is.
        kind: ``paired`` (aligned A|B images, pix2pix) or ``unpaired`` (CycleGAN).
        options: How many images, and how large.
    """

    error = Signal(str)  # user-facing message; finished(None) follows
    finished = Signal(object)  # str: the dataset folder, or None after an error

    def __init__(self, root: Path, kind: DemoKind, options: DemoOptions) -> None:
        super().__init__()
        self.root = root
        self.kind: DemoKind = kind
        self.options = options

    @Slot()
    def run(self) -> None:
        """Generate the images (runs on the worker thread)."""
        written: str | None = None
        o = self.options
        try:
            path = write_demo_dataset(self.root, self.kind, seed=o.seed, n_train=o.n_train,
                                      n_test=o.n_test, size=o.size)
            written = str(path)
        except (DatasetError, ValueError) as exc:
            self.error.emit(str(exc))
        except OSError as exc:
            self.error.emit(f"Cannot write the demo dataset to {self.root}: {exc} — "
                            "choose a folder you can write to")
        except Exception as exc:  # a last net; finished must still fire
            self.error.emit(f"Writing the demo dataset failed: {exc}")
        finally:
            self.finished.emit(written)


class PrepareWorker(QObject):
    """Writes a prepared dataset (``core.data.prepare``) with progress and cancel.

    ``cancel()`` may be called from the UI thread; the writer stops before its next image
    and leaves nothing behind.
    """

    progress = Signal(int, int)  # items done, items in all
    error = Signal(str)  # user-facing message; finished(None) follows
    finished = Signal(object)  # PrepareResult, or None after an error or a cancel

    def __init__(self, plan: PreparePlan) -> None:
        super().__init__()
        self.plan = plan
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True  # a plain bool store: safe from another thread

    @Slot()
    def run(self) -> None:
        result: PrepareResult | None = None
        try:
            result = write_prepared(self.plan, progress=self.progress.emit,
                                    cancel=lambda: self._cancelled)
        except PrepareCancelled:
            pass
        except PrepareError as exc:
            self.error.emit(str(exc))
        finally:
            self.finished.emit(result)


class PreparePlanner(QObject):
    """Plans ``core.data.prepare`` on a pool thread: listing big or slow (network)
    folders must not freeze the dialog while the user types a path.

    Each request carries a number; ``planned`` returns it with the plan or a sentence
    saying why there is none, so the dialog keeps only the answer to its latest request.
    Keep this object unparented: a job still running when the dialog closes then emits
    into a live object whose connections Qt has already dropped.
    """

    planned = Signal(int, object)  # request number, PreparePlan | str

    def request(self, number: int, options: PrepareOptions) -> None:
        """Plan ``options`` on the global thread pool."""
        QThreadPool.globalInstance().start(FunctionJob(lambda: self._plan(number, options)))

    def _plan(self, number: int, options: PrepareOptions) -> None:
        result: PreparePlan | str
        try:
            result = plan_prepare(options)
        except PrepareError as exc:
            result = f"Cannot prepare yet: {exc}"
        except OSError as exc:  # a folder vanished or cannot be read while listing
            result = f"Cannot read the folders: {exc}"
        self.planned.emit(number, result)


class WorkerThreads(QObject):
    """Keeps each started worker and its thread alive until the thread has ended."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[tuple[ScanWorker | DemoWorker | PrepareWorker, QThread]] = []

    def start(self, worker: ScanWorker | DemoWorker | PrepareWorker, name: str) -> None:
        """Run ``worker`` on a new thread (see :func:`start_worker_thread`)."""
        thread = start_worker_thread(worker, name)
        self._jobs.append((worker, thread))
        thread.finished.connect(self._on_thread_finished)

    def running(self) -> bool:
        return bool(self._jobs)

    def wait_all(self) -> None:
        """Block until every thread has ended (cancel the workers first)."""
        for _worker, thread in list(self._jobs):
            thread.wait()
        self._jobs.clear()

    def _on_thread_finished(self) -> None:
        thread = self.sender()
        self._jobs = [(w, t) for w, t in self._jobs if t is not thread]
