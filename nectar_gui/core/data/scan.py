"""Checking every file of a dataset before training starts.

A bad file found an hour into a run is a frustrating way to learn about it, so the
scanner decodes every image once, fully, up front (in a small thread pool: PIL releases
the GIL while decoding) and reports what it finds by file name: unreadable files as
errors, and as warnings the things that make training worse without stopping it
(tiny images, aligned images that are not two squares side by side, mixed grey and
colour images, unpaired names). It returns the layout with only readable files, which
``build_dataset(..., layout=result.layout_ok)`` trains on.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from nectar_gui.core.data.errors import ImageReadError
from nectar_gui.core.data.images import IMAGE_SUFFIXES, ImageInfo, inspect_image
from nectar_gui.core.data.layouts import DatasetLayout, unmatched_files

Severity = Literal["error", "warning", "info"]
Results = dict[Path, ImageInfo | ImageReadError]
Finding = tuple[Path, str]

# Per-file warnings of one kind listed by name before the rest are summarised.
MAX_LISTED = 20
_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
_ASPECT_TOLERANCE = 0.02


@dataclass(frozen=True)
class Problem:
    """One finding; ``path`` is None when it is about a folder or the whole dataset.

    ``side`` says which images a file holds — "A", "B", or "A|B" for an aligned file —
    so a list of file names from two folders stays readable.
    """

    path: str | None
    message: str
    severity: Severity
    side: str | None = None


@dataclass(frozen=True)
class ScanResult:
    """What the scan found, and the layout restricted to readable files."""

    layout_ok: DatasetLayout
    problems: tuple[Problem, ...]
    counts: dict[str, int]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")


class ScanCancelled(Exception):
    """The ``cancel`` callback asked the scan to stop; no result is produced."""


def scan_dataset(layout: DatasetLayout, *, channels_a: int, channels_b: int, min_size: int,
                 progress: Callable[[int, int], None] | None = None,
                 cancel: Callable[[], bool] | None = None) -> ScanResult:
    """Decode every file of ``layout`` and report problems by file name.

    Args:
        layout: The files to check (from :func:`detect_layout`).
        channels_a: Channels the layout's A images will be converted to (for an aligned
            layout, the left half). Give the layout's sides, before any direction swap.
        channels_b: The same for B (the right half of an aligned image).
        min_size: Smallest side, in pixels, that trains without scaling up (usually the
            crop size).
        progress: Called as ``progress(done, total)`` in the calling thread.
        cancel: Polled between files; returning True raises :class:`ScanCancelled`.
    """
    files = list(dict.fromkeys((*layout.files_a, *layout.files_b)))
    results = _inspect_all(files, progress, cancel)
    layout_ok = _readable_layout(layout, results)
    small = _small_images(layout, results, min_size)
    odd = _odd_shapes(layout.files_a, results) if layout.kind == "aligned" else []
    lonely = _unpaired_files(layout)
    problems = [Problem(e.path, e.reason, "error", side=_side(layout, Path(e.path)))
                for e in results.values() if isinstance(e, ImageReadError)]
    problems += _listed(small, "more images are smaller than the minimum size")
    problems += _listed(odd, "more aligned images have an unusual shape")
    for files_side, channels in ((layout.files_a, channels_a), (layout.files_b, channels_b)):
        problems += _mode_warnings(files_side, results, channels)
    problems += _listed(lonely, "more files have no partner with the same name")
    if not has_readable_images(layout_ok):
        problems.append(Problem(None, f"Dataset folder {layout.root} has no readable "
                                "images left — fix or replace the files listed above", "error"))
    others = _other_files(files)
    if others:
        problems.append(Problem(None, f"{len(others):,} other file(s) are not images and were "
                                f"skipped (e.g. {others[0].name})", "info"))
    counts = {"files": len(results), "unreadable": len(results) - _readable(results),
              "skipped": len(others),
              "items_a": len(layout_ok.files_a), "items_b": len(layout_ok.files_b),
              "small": len(small), "odd_shape": len(odd), "unmatched": len(lonely),
              "errors": sum(p.severity == "error" for p in problems),
              "warnings": sum(p.severity == "warning" for p in problems)}
    return ScanResult(layout_ok, tuple(problems), counts)


def has_readable_images(layout: DatasetLayout) -> bool:
    """Whether ``layout`` (as restricted by a scan) still has something to train on."""
    return bool(layout.files_a) and (layout.kind != "unaligned" or bool(layout.files_b))


def _side(layout: DatasetLayout, path: Path) -> str:
    if layout.kind == "aligned":
        return "A|B"
    return "A" if path in layout.files_a else "B"


def _other_files(files: Iterable[Path]) -> list[Path]:
    """Non-image, non-hidden files beside the images (notes, archives…), by name."""
    folders = {p.parent for p in files}
    return sorted((p for folder in folders for p in folder.iterdir()
                   if p.is_file() and not p.name.startswith(".")
                   and p.suffix.lower() not in IMAGE_SUFFIXES), key=lambda p: p.name)


def _inspect_all(files: list[Path], progress: Callable[[int, int], None] | None,
                 cancel: Callable[[], bool] | None) -> Results:
    results: Results = {}
    workers = max(1, min(8, os.cpu_count() or 1))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dataset-scan")
    try:
        futures: dict[Future[ImageInfo], Path] = {pool.submit(inspect_image, p): p
                                                  for p in files}
        for done, future in enumerate(as_completed(futures), start=1):
            if cancel is not None and cancel():
                raise ScanCancelled("dataset scan cancelled")
            path = futures[future]
            try:
                results[path] = future.result()
            except ImageReadError as exc:
                results[path] = exc
            if progress is not None:
                progress(done, len(files))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return {p: results[p] for p in files}  # back in file order


def _readable_layout(layout: DatasetLayout, results: Results) -> DatasetLayout:
    def ok(path: Path) -> bool:
        return isinstance(results[path], ImageInfo)

    if layout.kind == "paired":
        pairs = [(a, b) for a, b in zip(layout.files_a, layout.files_b, strict=True)
                 if ok(a) and ok(b)]
        return replace(layout, files_a=tuple(a for a, _ in pairs),
                       files_b=tuple(b for _, b in pairs))
    return replace(layout, files_a=tuple(p for p in layout.files_a if ok(p)),
                   files_b=tuple(p for p in layout.files_b if ok(p)))


def _infos(files: Iterable[Path], results: Results) -> list[tuple[Path, ImageInfo]]:
    return [(p, info) for p in files if isinstance(info := results[p], ImageInfo)]


def _readable(results: Results) -> int:
    return sum(isinstance(r, ImageInfo) for r in results.values())


def _small_images(layout: DatasetLayout, results: Results, min_size: int) -> list[Finding]:
    halves = 2 if layout.kind == "aligned" else 1
    small = []
    for path, info in _infos(results.keys(), results):
        width = info.width // halves
        if min(width, info.height) < min_size:
            small.append((path, f"{width}×{info.height} px"
                          f"{' per half' if halves == 2 else ''} is smaller than "
                          f"{min_size} px; it will be scaled up, which blurs it"))
    return small


def _odd_shapes(files: Iterable[Path], results: Results) -> list[Finding]:
    odd = []
    for path, info in _infos(files, results):
        if info.width % 2:
            odd.append((path, f"width {info.width} is odd; the last column is dropped "
                              "when it is split into A and B"))
        elif abs(info.width - 2 * info.height) > _ASPECT_TOLERANCE * 2 * info.height:
            odd.append((path, f"{info.width}×{info.height} px is not two squares side by "
                              "side; aligned images hold A (left) and B (right) halves"))
    return odd


def _mode_warnings(files: tuple[Path, ...], results: Results, channels: int) -> list[Problem]:
    infos = _infos(files, results)
    if not infos:
        return []
    folder = files[0].parent
    modes = Counter(info.mode for _, info in infos)
    problems = []
    if len(modes) > 1:
        listing = ", ".join(f"{mode} ({n})" for mode, n in modes.most_common())
        problems.append(Problem(None, f"Images in {folder} mix modes: {listing}; all are "
                                f"converted to {channels} channel(s)", "warning"))
    with_alpha = sum(info.has_alpha for _, info in infos)
    if with_alpha and channels != 4:
        problems.append(Problem(None, f"{with_alpha} image(s) in {folder} have transparency; "
                                "it is composited over white (use 4 channels to keep it)",
                                "warning"))
    colour = sum(n for mode, n in modes.items() if mode not in _GREY_MODES)
    if colour and channels == 1:
        problems.append(Problem(None, f"{colour} colour image(s) in {folder} are converted "
                                "to grey because their side uses 1 channel", "warning"))
    return problems


def _unpaired_files(layout: DatasetLayout) -> list[Finding]:
    lonely_a, lonely_b = unmatched_files(layout)
    sides = [*((p, "B") for p in lonely_a), *((p, "A") for p in lonely_b)]
    return [(path, f"{path.name} has no file with the same name in {other}/; it is not used")
            for path, other in sides]


def _listed(found: list[Finding], rest: str) -> list[Problem]:
    problems = [Problem(str(path), message, "warning") for path, message in found[:MAX_LISTED]]
    if len(found) > MAX_LISTED:
        problems.append(Problem(None, f"… and {len(found) - MAX_LISTED:,} {rest}", "warning"))
    return problems
