"""The worker behind "Ask D about any image": loads a checkpoint's discriminators and judges.

One parentless worker on its own thread holds the loaded networks, so torch modules
never leave it; jobs run in the order asked. Image files are decoded there too, so a
large photo never blocks the window. Every job ends with one ``finished`` signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, Signal, Slot

from nectar_gui.core.inspect_d_info import JudgeRequest

if TYPE_CHECKING:
    from nectar_gui.core.inspect_d import Judges


@dataclass(frozen=True)
class OpenJudges:
    """Load the discriminators of a run folder (latest or ``step``) or a checkpoint folder."""

    path: Path
    step: int | None = None


@dataclass(frozen=True)
class JudgeFiles:
    """Judge the image in ``image`` (see ``JudgeRequest`` for the other fields)."""

    image: Path
    domain: str = "B"
    translate: bool = False
    condition: Path | None = None


class JudgeWorker(QObject):
    """Holds the loaded discriminators; runs load and judge jobs on its thread."""

    loaded = Signal(object)  # JudgeInfo
    judged = Signal(object)  # SampleRecord: the judged image(s) and D's map
    failed = Signal(str)  # a plain message
    finished = Signal(str)  # "load" or "judge", after every job

    def __init__(self) -> None:
        super().__init__()
        self.judges: Judges | None = None

    @Slot(object)
    def load(self, request: OpenJudges) -> None:
        try:
            from nectar_gui.core.inspect_d import open_judges  # torch loads on this thread

            self.judges = open_judges(request.path, step=request.step)
            self.loaded.emit(self.judges.info)
        except Exception as exc:  # any failure is a message; the previous model stays
            self.failed.emit(_message(exc, f"open {request.path.name}"))
        finally:
            self.finished.emit("load")

    @Slot(object)
    def judge(self, request: JudgeFiles) -> None:
        try:
            if self.judges is None:
                raise ValueError("Load a run or checkpoint first.")
            from nectar_gui.core.data.images import load_image_any

            condition = None if request.condition is None else load_image_any(
                request.condition)
            self.judged.emit(self.judges.judge(JudgeRequest(
                load_image_any(request.image), request.domain, request.translate,
                condition)))
        except Exception as exc:
            self.failed.emit(_message(exc, f"judge {request.image.name}"))
        finally:
            self.finished.emit("judge")


def _message(exc: BaseException, what: str) -> str:
    if isinstance(exc, MemoryError) or "alloc" in str(exc).lower():
        return f"Not enough memory to {what}. Try a smaller image."
    if isinstance(exc, ValueError):  # JudgeError, ImageReadError: already worded for people
        return str(exc)
    return f"Could not {what}: {exc}"


class JudgeRunner(QObject):
    """Owns the worker's thread (started on first use) and passes jobs to it.

    ``busy`` counts jobs not yet finished; ``shutdown`` joins the thread (call it before
    the window closes).
    """

    loaded = Signal(object)  # JudgeInfo
    judged = Signal(object)  # SampleRecord
    failed = Signal(str)
    busy_changed = Signal(bool)
    _load = Signal(object)  # OpenJudges, to the worker's thread
    _judge = Signal(object)  # JudgeFiles, to the worker's thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: JudgeWorker | None = None
        self._pending = 0

    def load(self, path: Path, step: int | None = None) -> None:
        self._start()
        self._begin()
        self._load.emit(OpenJudges(Path(path), step))

    def judge(self, request: JudgeFiles) -> None:
        self._start()
        self._begin()
        self._judge.emit(request)

    def busy(self) -> bool:
        return self._pending > 0

    def shutdown(self) -> None:
        """Stop the thread after the job in progress and wait for it."""
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._thread = self._worker = None

    def _start(self) -> None:
        if self._thread is not None:
            return
        self._thread = QThread()
        self._thread.setObjectName("nectar-judge")
        self._worker = JudgeWorker()
        self._worker.moveToThread(self._thread)
        self._load.connect(self._worker.load)
        self._judge.connect(self._worker.judge)
        self._worker.loaded.connect(self.loaded)
        self._worker.judged.connect(self.judged)
        self._worker.failed.connect(self.failed)
        self._worker.finished.connect(self._on_worker_finished)
        self._thread.start()

    def _begin(self) -> None:
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)

    def _on_worker_finished(self, _kind: str) -> None:
        self._pending -= 1
        if self._pending == 0:
            self.busy_changed.emit(False)
