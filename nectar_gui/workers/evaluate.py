"""The Evaluate tab's worker: measures a run's checkpoints on one thread of its own.

``EvaluateRunner`` lives on the UI thread; its ``EvaluateWorker`` runs on a parentless
QThread and is the only object that imports torch (through
``core.evaluation.evaluate``). A job evaluates one or several checkpoints of a run in
turn and reports each :class:`StepEvaluation` as soon as it is done, so the table and
the plot fill while the next checkpoint is measured. Automatic "best by a metric"
runs there too, because the ranking lives beside the torch code in core.

Cancelling is a job number the UI thread writes directly (``cancel_through``); the
engine polls it between images. A queued "cancel" signal would only arrive after the
busy job had ended. Every job ends with exactly one ``finished`` signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from nectar_gui.core.evaluation.records import (
    EvaluationCancelled,
    EvaluationError,
    StepEvaluation,
)
from nectar_gui.workers.jobs import JobRunner

#: Longest side of the per-image thumbnails the table draws.
THUMB_SIZE = 96


@dataclass(frozen=True)
class EvaluateJob:
    """Evaluate checkpoints ``steps`` of ``run_dir`` on up to ``limit`` images of ``split``.

    With ``generator_file`` set, that file is measured (as step 0) on ``data_root``'s
    split instead, and ``run_dir`` is unused. ``inception_weights``: a local Inception-v3
    file for FID / KID (None: the run's ``logging.inception_weights``; a file has none).
    """

    job: int
    run_dir: Path
    steps: tuple[int, ...]
    split: str
    limit: int | None = None
    device: str = "auto"
    generator_file: Path | None = None
    data_root: Path | None = None
    inception_weights: str | None = None


@dataclass(frozen=True)
class BestJob:
    """Point BEST at the best of ``evaluations`` by ``metric`` (None: the kind's default)."""

    job: int
    run_dir: Path
    evaluations: tuple[StepEvaluation, ...]
    metric: str | None


@dataclass(frozen=True)
class EvalProgress:
    """Checkpoint ``index`` (0-based) of ``count`` is being measured: ``done`` of ``total``
    images (``total`` 0 while the checkpoint loads)."""

    job: int
    step: int
    index: int
    count: int
    done: int
    total: int

    @property
    def fraction(self) -> float:
        """How much of the whole job is done, 0…1 (each checkpoint an equal share)."""
        within = self.done / self.total if self.total else 0.0
        return min(1.0, (self.index + within) / max(self.count, 1))


@dataclass(frozen=True)
class EvalEnd:
    """Sent once per job. ``kind`` is "evaluate" or "best"; ``outcome`` is "ok",
    "cancelled" or "failed"; ``evaluated`` counts the checkpoints measured."""

    job: int
    kind: str
    outcome: str
    evaluated: int = 0


def failure_text(exc: BaseException) -> str:
    """A plain sentence for the user; the engine's own messages already are."""
    if isinstance(exc, EvaluationError):
        return str(exc)
    if isinstance(exc, MemoryError) or "alloc" in str(exc).lower():
        return ("Not enough memory to evaluate this checkpoint. Lower the number of images, "
                "close other programs, or choose the CPU, and try again.")
    return f"The evaluation stopped with an error: {exc}"


class EvaluateWorker(QObject):
    """Runs evaluation and best-choice jobs on its thread (see the module docstring)."""

    progress = Signal(object)  # EvalProgress
    evaluated = Signal(object)  # StepEvaluation
    best_marked = Signal(object)  # BestMark
    failed = Signal(str)  # a plain message
    finished = Signal(object)  # EvalEnd, after every job

    def __init__(self) -> None:
        super().__init__()
        self.cancel_through = 0  # written by the UI thread; jobs ≤ this number stop

    def _cancelled(self, job: int) -> bool:
        return job <= self.cancel_through

    @Slot(object)
    def evaluate(self, request: EvaluateJob) -> None:
        done, outcome = 0, "failed"
        try:
            for index, step in enumerate(request.steps):
                self.evaluated.emit(self._evaluate_step(request, index, step))
                done += 1
            outcome = "ok"
        except EvaluationCancelled:
            outcome = "cancelled"
        except Exception as exc:  # any failure is a message; the thread lives on
            self.failed.emit(failure_text(exc))
        finally:
            self.finished.emit(EvalEnd(request.job, "evaluate", outcome, done))

    def _evaluate_step(self, request: EvaluateJob, index: int, step: int) -> StepEvaluation:
        # Imported here: torch loads on this thread, never on the UI's.
        from nectar_gui.core.evaluation.evaluate import (
            evaluate_checkpoint,
            evaluate_generator_file,
        )

        job, count = request.job, len(request.steps)
        if self._cancelled(job):
            raise EvaluationCancelled
        self.progress.emit(EvalProgress(job, step, index, count, 0, 0))
        common: dict[str, Any] = {
            "device": request.device, "thumb_size": THUMB_SIZE,
            "inception_weights": request.inception_weights,
            "cancel": lambda: self._cancelled(job),
            "progress": lambda d, t: self.progress.emit(EvalProgress(job, step, index, count,
                                                                     d, t))}
        if request.generator_file is not None and request.data_root is not None:
            return evaluate_generator_file(request.generator_file, request.data_root,
                                           request.split, request.limit, **common)
        return evaluate_checkpoint(request.run_dir, step, request.split, request.limit,
                                   **common)

    @Slot(object)
    def choose_best(self, request: BestJob) -> None:
        outcome = "failed"
        try:
            from nectar_gui.core.evaluation.best import mark_best

            self.best_marked.emit(mark_best(request.run_dir, request.evaluations,
                                            request.metric, by="eval"))
            outcome = "ok"
        except Exception as exc:
            self.failed.emit(failure_text(exc) if isinstance(exc, EvaluationError | OSError)
                             else f"Could not mark the best checkpoint: {exc}")
        finally:
            self.finished.emit(EvalEnd(request.job, "best", outcome))


class EvaluateRunner(JobRunner):
    """The UI thread's handle on the worker: numbered jobs ("evaluate", "best"), cancel
    (before the next image), shutdown — see ``JobRunner``."""

    _evaluate_requested = Signal(object)  # EvaluateJob
    _best_requested = Signal(object)  # BestJob

    def __init__(self, parent: QObject | None = None) -> None:
        self.worker: EvaluateWorker
        super().__init__(EvaluateWorker(), "evaluate", parent)
        self._evaluate_requested.connect(self.worker.evaluate)
        self._best_requested.connect(self.worker.choose_best)

    def evaluate(self, run_dir: Path, steps: Sequence[int], split: str, *,
                 limit: int | None = None, device: str = "auto",
                 inception_weights: str | None = None) -> int:
        """Queue an evaluation of ``steps``; returns its job number."""
        return self._submit("evaluate", self._evaluate_requested, lambda job: EvaluateJob(
            job, Path(run_dir), tuple(steps), split, limit, device,
            inception_weights=inception_weights))

    def evaluate_file(self, path: Path, data_root: Path, split: str, *,
                      limit: int | None = None, device: str = "auto",
                      inception_weights: str | None = None) -> int:
        """Queue measuring generator file ``path`` on ``data_root``; returns its job number."""
        return self._submit("evaluate", self._evaluate_requested, lambda job: EvaluateJob(
            job, Path(path).parent, (0,), split, limit, device, generator_file=Path(path),
            data_root=Path(data_root), inception_weights=inception_weights))

    def choose_best(self, run_dir: Path, evaluations: Sequence[StepEvaluation],
                    metric: str | None) -> int:
        """Queue writing BEST for the best of ``evaluations``; returns its job number."""
        return self._submit("best", self._best_requested, lambda job: BestJob(
            job, Path(run_dir), tuple(evaluations), metric))
