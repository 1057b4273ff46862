"""The Translate tab's worker: one long-lived thread that owns the loaded generator.

Loading a model, translating one image and translating a batch all run on the same
parentless worker thread, one job at a time in the order they were asked for, so the
model (a torch module) never leaves that thread. The UI thread talks to it through
:class:`TranslateRunner`: each request gets a job number, and every job ends with exactly
one ``finished`` signal, after errors and cancellations too.

Cancelling is a number the UI thread writes directly (``cancel_through``): every job up
to it stops at its next tile or file. A queued "cancel" signal would only arrive after
the busy job had ended.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from nectar_gui.core.translate.info import GeneratorInfo, TranslateError, TranslationCancelled
from nectar_gui.workers.image_files import as_hwc, make_levels
from nectar_gui.workers.jobs import JobRunner
from nectar_gui.workers.translate_batch import BatchRequest, run_batch

if TYPE_CHECKING:
    from nectar_gui.core.translate.loading import Translator


@dataclass(frozen=True)
class LoadRequest:
    """Open ``path`` (a run, a checkpoint folder, a reference .pth, an .onnx file)."""

    job: int
    path: Path
    step: int | None = None
    device: str = "auto"


@dataclass(frozen=True, eq=False)
class TranslateRequest:
    """Translate one image: uint8 (H, W, C) pixels, owned by the request."""

    job: int
    pixels: np.ndarray
    direction: str = "AtoB"
    tile: int | None = None
    max_memory: int | None = None  # bytes; None: half the free memory (core.translate.memory)


@dataclass(frozen=True)
class BatchJob:
    job: int
    request: BatchRequest


@dataclass(frozen=True)
class TileProgress:
    """``done`` of ``total`` tiles of the image being translated."""

    job: int
    done: int
    total: int


@dataclass(frozen=True, eq=False)
class Translation:
    """A finished translation: owned uint8 (H, W, C) pixels and their drawing pyramid."""

    job: int
    pixels: np.ndarray
    levels: tuple[QImage, ...]
    direction: str
    seconds: float
    info: GeneratorInfo
    plan: str = ""  # which path ran and why (``TranslatePlan.reason``), for the user


@dataclass(frozen=True)
class JobEnd:
    """Sent once per job. ``outcome`` is "ok", "cancelled" or "failed"."""

    job: int
    kind: str
    outcome: str


def available_devices() -> tuple[str, ...]:
    """The devices this machine can translate on ("cpu" always; "cuda", "mps")."""
    import torch

    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return tuple(found)


def _failure_text(exc: BaseException, what: str) -> str:
    if isinstance(exc, TranslateError):
        return str(exc)
    if isinstance(exc, MemoryError) or "alloc" in str(exc).lower():
        return (f"Not enough memory to {what}. Choose a smaller tile size, or close other "
                f"programs, and try again.")
    return f"Could not {what}: {exc}"


class TranslateWorker(QObject):
    """Holds the loaded generator and runs jobs on its thread (see the module docstring)."""

    devices_found = Signal(object)  # tuple[str, ...]
    loaded = Signal(object)  # GeneratorInfo
    load_failed = Signal(str)  # message
    tile_progress = Signal(object)  # TileProgress
    translated = Signal(object)  # Translation
    translate_failed = Signal(str)  # message
    batch_progress = Signal(object)  # BatchProgress
    batch_done = Signal(object)  # BatchResult
    finished = Signal(object)  # JobEnd, after every job

    def __init__(self) -> None:
        super().__init__()
        self.translator: Translator | None = None
        self.cancel_through = 0  # written by the UI thread; jobs ≤ this number stop

    def _cancelled(self, job: int) -> bool:
        return job <= self.cancel_through

    @Slot(object)
    def probe_devices(self, job: int) -> None:
        outcome = "ok"
        try:
            self.devices_found.emit(available_devices())
        except Exception:  # no torch: the picker just keeps "Automatic"
            outcome = "failed"
        finally:
            self.finished.emit(JobEnd(job, "devices", outcome))

    @Slot(object)
    def load(self, request: LoadRequest) -> None:
        outcome = "failed"
        try:
            # Imported here: torch loads on this thread, never on the UI's.
            from nectar_gui.core.translate.loading import open_translator

            translator = open_translator(request.path, device=request.device,
                                         step=request.step)
            self.translator = translator
            self.loaded.emit(translator.info)
            outcome = "ok"
        except Exception as exc:  # any failure is a message; the previous model stays
            self.load_failed.emit(_failure_text(exc, f"open {request.path.name}"))
        finally:
            self.finished.emit(JobEnd(request.job, "load", outcome))

    @Slot(object)
    def translate(self, request: TranslateRequest) -> None:
        outcome = "failed"
        try:
            self.translated.emit(self._translate(request))
            outcome = "ok"
        except TranslationCancelled:
            outcome = "cancelled"
        except Exception as exc:
            self.translate_failed.emit(_failure_text(exc, "translate this image"))
        finally:
            self.finished.emit(JobEnd(request.job, "translate", outcome))

    def _translate(self, request: TranslateRequest) -> Translation:
        translator = self._require_model()
        job = request.job
        if self._cancelled(job):
            raise TranslationCancelled
        started = time.monotonic()
        out = translator.translate(
            request.pixels, direction=request.direction, tile=request.tile,
            max_memory=request.max_memory,
            progress=lambda done, total: self.tile_progress.emit(TileProgress(job, done,
                                                                              total)),
            cancelled=lambda: self._cancelled(job))
        owned = as_hwc(out)
        plan = translator.last_plan
        return Translation(job, owned, make_levels(owned), request.direction,
                           time.monotonic() - started, translator.info,
                           plan.reason if plan is not None else "")

    @Slot(object)
    def batch(self, job: BatchJob) -> None:
        outcome = "failed"
        try:
            translator = self._require_model()
            result = run_batch(translator, job.request,
                               cancelled=lambda: self._cancelled(job.job),
                               report=self.batch_progress.emit)
            self.batch_done.emit(result)
            outcome = "cancelled" if result.cancelled else "ok"
        except Exception as exc:
            self.translate_failed.emit(_failure_text(exc, "translate these files"))
        finally:
            self.finished.emit(JobEnd(job.job, "batch", outcome))

    def _require_model(self) -> Translator:
        if self.translator is None:
            raise TranslateError("No model is loaded. Pick a model first.")
        return self.translator


class TranslateRunner(JobRunner):
    """The UI thread's handle on the worker: numbered requests ("load", "translate",
    "batch", "devices"), cancel (at the next tile or file), shutdown — see ``JobRunner``."""

    _probe_requested = Signal(object)  # int
    _load_requested = Signal(object)  # LoadRequest
    _translate_requested = Signal(object)  # TranslateRequest
    _batch_requested = Signal(object)  # BatchJob

    def __init__(self, parent: QObject | None = None) -> None:
        self.worker: TranslateWorker
        super().__init__(TranslateWorker(), "translate", parent)
        self._probe_requested.connect(self.worker.probe_devices)
        self._load_requested.connect(self.worker.load)
        self._translate_requested.connect(self.worker.translate)
        self._batch_requested.connect(self.worker.batch)

    def probe_devices(self) -> int:
        return self._submit("devices", self._probe_requested, lambda job: job)

    def load(self, path: Path, *, step: int | None = None, device: str = "auto") -> int:
        return self._submit("load", self._load_requested,
                            lambda job: LoadRequest(job, path, step, device))

    def translate(self, pixels: np.ndarray, *, direction: str = "AtoB",
                  tile: int | None = None, max_memory: int | None = None) -> int:
        owned = as_hwc(pixels)
        return self._submit("translate", self._translate_requested,
                            lambda job: TranslateRequest(job, owned, direction, tile,
                                                         max_memory))

    def batch(self, request: BatchRequest) -> int:
        return self._submit("batch", self._batch_requested, lambda job: BatchJob(job, request))

    def _after_shutdown(self) -> None:
        self.worker.translator = None  # free the model now, not at exit
