"""Translating many files into a folder: naming, existing outputs, failures, progress.

No torch here: the loop drives any object with the translator's ``translate`` method, so
the UI can also use the naming helpers to find existing outputs *before* a batch starts
and ask the user what to do about them. A file that cannot be read or translated is
recorded and the batch goes on; cancelling stops between files or between tiles, and a
file being translated when the cancel arrives is not written at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from nectar_gui.core.data.errors import ImageReadError
from nectar_gui.core.data.images import decode_image, list_images
from nectar_gui.core.translate.info import TranslateError, TranslationCancelled
from nectar_gui.workers.image_files import as_hwc, save_image

ExistingPolicy = Literal["skip", "overwrite", "rename"]
# Tile progress inside one file is reported at most this often (seconds).
_PROGRESS_INTERVAL_S = 0.1


class Translates(Protocol):
    """What the batch needs from a loaded generator (``Translator`` in core.translate)."""

    def translate(self, image: np.ndarray, *, direction: str = "AtoB",
                  tile: int | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> np.ndarray: ...


@dataclass(frozen=True)
class BatchRequest:
    """One batch, fully decided before it starts.

    Attributes:
        inputs: image files, in order.
        output_dir: where the translations go (created if missing).
        direction: ``"AtoB"`` or ``"BtoA"``.
        suffix: ``".png"``, ``".jpg"`` or ``".webp"``.
        existing: what to do when an output file already exists.
        tile: tile side, or None for the translator's choice.
    """

    inputs: tuple[Path, ...]
    output_dir: Path
    direction: str = "AtoB"
    suffix: str = ".png"
    existing: ExistingPolicy = "skip"
    tile: int | None = None


@dataclass(frozen=True)
class BatchProgress:
    """Where a batch is: ``done`` of ``total`` files finished, and the current one."""

    done: int
    total: int
    current: str
    fraction: float  # 0…1, counting the tiles of the current file
    eta_s: float | None


@dataclass(frozen=True)
class BatchFailure:
    """A file that was not translated, and why (in words for the user)."""

    path: Path
    reason: str


@dataclass(frozen=True)
class BatchResult:
    """How a batch ended. ``skipped`` are existing outputs that were kept."""

    output_dir: Path
    total: int
    written: tuple[Path, ...] = ()
    skipped: tuple[Path, ...] = ()
    failed: tuple[BatchFailure, ...] = ()
    cancelled: bool = False
    seconds: float = 0.0


def collect_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders expanded to the images directly inside them.

    Files keep whatever suffix they have: one that is not an image fails on its own
    and is listed at the end, rather than silently ignored.
    """
    found: list[Path] = []
    for path in paths:
        found.extend(list_images(path) if path.is_dir() else [path])
    return list(dict.fromkeys(found))  # drop repeats, keep the order


def output_name(source: Path, direction: str, suffix: str) -> str:
    """``photo.jpg`` → ``photo_AtoB.png``: the input's stem, the direction, the format."""
    return f"{source.stem}_{direction}{suffix}"


def plan_outputs(inputs: Iterable[Path], output_dir: Path, direction: str,
                 suffix: str) -> list[Path]:
    """One output path per input; two inputs with the same stem get distinct names."""
    taken: set[str] = set()
    plan = []
    for source in inputs:
        target = output_dir / output_name(source, direction, suffix)
        if target.name.lower() in taken:
            target = numbered_name(target, taken)
        taken.add(target.name.lower())
        plan.append(target)
    return plan


def existing_outputs(inputs: Iterable[Path], output_dir: Path, direction: str,
                     suffix: str) -> list[Path]:
    """Planned outputs that already exist (the UI asks about these before starting)."""
    return [p for p in plan_outputs(inputs, output_dir, direction, suffix) if p.exists()]


def numbered_name(path: Path, taken: set[str] | None = None) -> Path:
    """``x.png`` → ``x (2).png``, ``x (3).png`` … the first that is free on disk and in
    ``taken`` (lower-case names already planned)."""
    taken = taken or set()
    n = 2
    while True:
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
        if candidate.name.lower() not in taken and not candidate.exists():
            return candidate
        n += 1


@dataclass
class _Clock:
    """Fraction done → ETA, and a time gate for tile progress."""

    total: int
    started: float = field(default_factory=time.monotonic)
    last_report: float = 0.0

    def eta(self, fraction: float) -> float | None:
        elapsed = time.monotonic() - self.started
        if fraction <= 0.0 or elapsed <= 0.0:
            return None
        return elapsed / fraction * (1.0 - fraction)

    def due(self) -> bool:
        now = time.monotonic()
        if now - self.last_report < _PROGRESS_INTERVAL_S:
            return False
        self.last_report = now
        return True


def run_batch(translator: Translates, request: BatchRequest, *,
              cancelled: Callable[[], bool],
              report: Callable[[BatchProgress], None]) -> BatchResult:
    """Translate every input of ``request``; never raises for a single bad file.

    Args:
        translator: the loaded generator.
        request: inputs, output folder, direction, format and existing-file policy.
        cancelled: polled between files and between tiles.
        report: called with progress (on the calling thread).
    """
    inputs = request.inputs
    clock = _Clock(len(inputs))
    plan = plan_outputs(inputs, request.output_dir, request.direction, request.suffix)
    tally = _Tally(sources={p.resolve() for p in inputs})
    for index, (source, target) in enumerate(zip(inputs, plan, strict=True)):
        if cancelled():
            tally.cancelled = True
            break
        _report(report, clock, index, source.name, 0.0)

        def tiles(done: int, total: int, i: int = index, name: str = source.name) -> None:
            if clock.due():
                _report(report, clock, i, name, done / max(total, 1))

        try:
            _one_file(translator, request, source, target, tally, cancelled=cancelled,
                      tiles=tiles)
        except TranslationCancelled:
            tally.cancelled = True
            break
    done = len(tally.written) + len(tally.skipped) + len(tally.failed)
    report(BatchProgress(done, len(inputs), "", done / max(len(inputs), 1), 0.0))
    return BatchResult(request.output_dir, len(inputs), tuple(tally.written),
                       tuple(tally.skipped), tuple(tally.failed), tally.cancelled,
                       time.monotonic() - clock.started)


@dataclass
class _Tally:
    """What a batch has done so far."""

    sources: set[Path]
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[BatchFailure] = field(default_factory=list)
    cancelled: bool = False


def _one_file(translator: Translates, request: BatchRequest, source: Path, target: Path,
              tally: _Tally, *, cancelled: Callable[[], bool],
              tiles: Callable[[int, int], None]) -> None:
    """Apply the existing-file policy, then translate and write one file into ``tally``.

    Raises:
        TranslationCancelled: the user cancelled while this file was being translated.
    """
    if target.exists() and request.existing == "skip":
        tally.skipped.append(target)
        return
    if target.exists() and request.existing == "rename":
        target = numbered_name(target)
    if target.resolve() in tally.sources:
        tally.failed.append(BatchFailure(source, f"{target.name} is one of the inputs; "
                                                 f"it was not overwritten"))
        return
    try:
        _translate_file(translator, request, source, target, cancelled=cancelled,
                        tiles=tiles)
    except _FileProblem as problem:
        tally.failed.append(BatchFailure(source, str(problem)))
    else:
        tally.written.append(target)


class _FileProblem(Exception):
    """One file failed; the message is the reason shown to the user."""


def _report(report: Callable[[BatchProgress], None], clock: _Clock, index: int, name: str,
            within: float) -> None:
    fraction = (index + within) / max(clock.total, 1)
    report(BatchProgress(index, clock.total, name, fraction, clock.eta(fraction)))


def _translate_file(translator: Translates, request: BatchRequest, source: Path,
                    target: Path, *, cancelled: Callable[[], bool],
                    tiles: Callable[[int, int], None]) -> None:
    """Read, translate, write one file. Raises _FileProblem or TranslationCancelled."""
    try:
        pixels = as_hwc(np.asarray(decode_image(source)))
    except ImageReadError as exc:
        raise _FileProblem(exc.reason) from exc
    except MemoryError as exc:
        raise _FileProblem("too large to open in the memory available") from exc
    try:
        out = translator.translate(pixels, direction=request.direction, tile=request.tile,
                                   progress=tiles, cancelled=cancelled)
    except (TranslationCancelled, KeyboardInterrupt):
        raise
    except TranslateError as exc:
        raise _FileProblem(str(exc)) from exc
    except MemoryError as exc:
        raise _FileProblem("not enough memory; choose a smaller tile size") from exc
    except RuntimeError as exc:  # torch reports device and allocation errors this way
        raise _FileProblem(f"translation failed: {exc}") from exc
    try:
        request.output_dir.mkdir(parents=True, exist_ok=True)
        save_image(out, target)
    except (OSError, ValueError) as exc:
        reason = exc.strerror.lower() if isinstance(exc, OSError) and exc.strerror else exc
        raise _FileProblem(f"could not write {target.name}: {reason}") from exc
