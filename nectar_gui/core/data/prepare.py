"""Making a dataset folder in one of our layouts from two folders of images. No torch.

Users arrive with "photos A" and "photos B", not with the reference's ``train/`` A|B
images. :func:`plan_prepare` pairs the files by stem (or takes the two folders as
unrelated sets for CycleGAN), splits them into train/val/test with a seeded shuffle and
says where each file goes; :func:`write_prepared` writes it.

Nothing next to the originals is touched: everything is written into a staging folder
beside the output and renamed into place at the end, so a cancel, an error or a full
disk leaves no partial dataset (the staging folder is removed). Every image is decoded
like the training loader does (EXIF rotation applied; 16-bit, palette, CMYK, grey and
transparency turned into 8-bit RGB) and written as PNG; unreadable files are listed and
skipped.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PIL import Image

from nectar_gui.core.data.errors import ImageReadError
from nectar_gui.core.data.images import list_images, load_image

PrepareLayout = Literal["aligned", "paired", "unaligned"]
SPLITS: tuple[str, ...] = ("train", "val", "test")
STAGING_PREFIX = ".nectar-prepare-"


class PrepareError(ValueError):
    """The folders or options cannot make a dataset; the message says what to change."""


class PrepareCancelled(Exception):
    """The caller's cancel() returned True; nothing was left behind."""


@dataclass(frozen=True)
class PrepareOptions:
    """What to make.

    Attributes:
        a, b: the source folders (images directly inside; never modified).
        out: the dataset folder to create (absent or empty, unless ``overwrite``).
        layout: ``aligned`` (A|B side by side in ``<split>/``), ``paired``
            (``<split>/A`` and ``<split>/B``) or ``unaligned`` (``trainA/``, ``trainB/``…).
        val, test: percentages of the items for those splits (0–100 together at most).
        seed: the shuffle that picks the val/test items (same seed, same split).
        size: resize so the shorter side is this many pixels (None: keep the size).
    """

    a: Path
    b: Path
    out: Path
    layout: PrepareLayout = "aligned"
    val: float = 0.0
    test: float = 0.0
    seed: int = 0
    size: int | None = None
    overwrite: bool = False


@dataclass(frozen=True)
class PlannedFile:
    """One item: ``sources`` → ``targets`` (relative to the output folder).

    aligned: an A and a B file → one A|B image; paired: an A and a B file → an A and a
    B image (written both or neither); unaligned: one file → one image.
    """

    targets: tuple[Path, ...]
    sources: tuple[Path, ...]


@dataclass
class PreparePlan:
    """Everything that would be written, and the source files left out by pairing."""

    options: PrepareOptions
    files: list[PlannedFile]
    unmatched_a: list[Path] = field(default_factory=list)
    unmatched_b: list[Path] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Items per split folder (``train``, ``val/A``, ``trainB`` …)."""
        counts: dict[str, int] = {}
        for f in self.files:
            for target in f.targets:
                key = str(target.parent)
                counts[key] = counts.get(key, 0) + 1
        return counts

    def describe(self) -> str:
        """One line per output folder, then the unmatched files (at most five named)."""
        lines = [f"{folder}/: {n:,} images" for folder, n in sorted(self.counts().items())]
        for side, files in (("A", self.unmatched_a), ("B", self.unmatched_b)):
            if files:
                named = ", ".join(p.name for p in files[:5])
                more = f" and {len(files) - 5:,} more" if len(files) > 5 else ""
                lines.append(f"{len(files):,} {side} file(s) have no partner with the same "
                             f"name and are left out: {named}{more}")
        return "\n".join(lines)


@dataclass(frozen=True)
class PrepareResult:
    """What was written, and the files skipped because they could not be read."""

    out: Path
    written: int
    skipped: tuple[str, ...]  # "cannot read <file>: <reason>", one per skipped item


Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


def plan_prepare(options: PrepareOptions) -> PreparePlan:
    """Pair, split and name every output file; nothing is written.

    Raises:
        PrepareError: a missing or empty source folder, an output folder that is in the
            way, percentages out of range, or no pair at all.
    """
    _check_options(options)
    files_a, files_b = list_images(options.a), list_images(options.b)
    for side, folder, files in (("A", options.a, files_a), ("B", options.b, files_b)):
        if not files:
            raise PrepareError(f"The {side} folder {folder} has no images directly inside it")
    if options.layout == "unaligned":
        planned = (_split_and_name(options, [(p,) for p in files_a], "A")
                   + _split_and_name(options, [(p,) for p in files_b], "B"))
        return PreparePlan(options, planned)
    by_stem_b = _by_stem(files_b)
    by_stem_a = _by_stem(files_a)
    stems = sorted(set(by_stem_a) & set(by_stem_b))
    if not stems:
        raise PrepareError(f"No file in {options.a} has a partner with the same name in "
                           f"{options.b}; pairs are matched by file name without suffix "
                           f"(a/0001.jpg with b/0001.png). For unrelated sets use the "
                           f"unaligned layout")
    pairs = [(by_stem_a[s], by_stem_b[s]) for s in stems]
    return PreparePlan(options, _split_and_name(options, pairs, None),
                       unmatched_a=[by_stem_a[s] for s in sorted(set(by_stem_a) - set(stems))],
                       unmatched_b=[by_stem_b[s] for s in sorted(set(by_stem_b) - set(stems))])


def write_prepared(plan: PreparePlan, *, progress: Progress | None = None,
                   cancel: Cancel | None = None) -> PrepareResult:
    """Write ``plan`` into its output folder (see the module docstring for the safety).

    Raises:
        PrepareError: nothing readable to write, or the disk refused (nothing is left).
        PrepareCancelled: ``cancel()`` returned True (nothing is left).
    """
    options = plan.options
    _check_options(options)  # the folder may have changed since planning
    out = options.out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f"{STAGING_PREFIX}{out.name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    skipped: list[str] = []
    try:
        staging.mkdir()
        for done, planned in enumerate(plan.files):
            if cancel is not None and cancel():
                raise PrepareCancelled(f"cancelled after {done:,} of {len(plan.files):,} "
                                       f"images; nothing was written")
            try:
                images = _images(planned, options.size)
            except ImageReadError as exc:
                skipped.append(str(exc))
            else:
                for image, target in zip(images, planned.targets, strict=True):
                    (staging / target).parent.mkdir(parents=True, exist_ok=True)
                    image.save(staging / target, "PNG")
            if progress is not None:
                progress(done + 1, len(plan.files))
        written = len(plan.files) - len(skipped)
        if written == 0:
            raise PrepareError("None of the images could be read; nothing was written:\n"
                               + "\n".join(skipped[:10]))
        _move_into_place(staging, out, overwrite=options.overwrite)
    except OSError as exc:
        raise PrepareError(f"Could not write the dataset to {out}: {exc.strerror or exc}; "
                           f"nothing was left behind") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return PrepareResult(out, written, tuple(skipped))


def _check_options(options: PrepareOptions) -> None:
    for side, folder in (("A", options.a), ("B", options.b)):
        if not folder.is_dir():
            raise PrepareError(f"The {side} folder {folder} does not exist")
    if not (0 <= options.val <= 100 and 0 <= options.test <= 100
            and options.val + options.test < 100):
        raise PrepareError("--val and --test are percentages and must leave some images "
                           "for training (together under 100)")
    if options.size is not None and options.size < 8:
        raise PrepareError("--size must be at least 8 pixels")
    out = options.out.resolve()
    for folder in (options.a.resolve(), options.b.resolve()):
        if out == folder or folder.is_relative_to(out) or out.is_relative_to(folder):
            raise PrepareError(f"The output folder {options.out} must be apart from the "
                               f"source folders (the originals are never touched)")
    if out.exists() and not out.is_dir():
        raise PrepareError(f"{options.out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not options.overwrite:
        raise PrepareError(f"The output folder {options.out} is not empty; choose a new "
                           f"folder, or replace it with --overwrite")


def _by_stem(files: list[Path]) -> dict[str, Path]:
    """Stem → file; for two files with one stem (a.jpg, a.png) the first by name wins."""
    found: dict[str, Path] = {}
    for path in files:
        found.setdefault(path.stem, path)
    return found


def _split_and_name(options: PrepareOptions, items: Sequence[tuple[Path, ...]], side: str | None
                    ) -> list[PlannedFile]:
    """Deal ``items`` into the splits with a seeded shuffle and name their outputs."""
    order = list(range(len(items)))
    random.Random(f"{options.seed}:{side or 'AB'}").shuffle(order)
    n_val = round(len(items) * options.val / 100)
    n_test = round(len(items) * options.test / 100)
    split_of = {i: "val" for i in order[:n_val]}
    split_of.update({i: "test" for i in order[n_val:n_val + n_test]})
    planned: list[PlannedFile] = []
    for index, sources in enumerate(items):
        split = split_of.get(index, "train")
        name = f"{sources[0].stem}.png"
        targets: tuple[Path, ...]
        if options.layout == "aligned":
            targets = (Path(split) / name,)
        elif options.layout == "paired":
            targets = (Path(split) / "A" / name, Path(split) / "B" / name)
        else:
            targets = (Path(f"{split}{side}") / name,)
        planned.append(PlannedFile(targets, sources))
    return planned


def _images(planned: PlannedFile, size: int | None) -> list[Image.Image]:
    """The item's output images. Both of a pair are read before anything is written, and
    B is brought to A's (resized) size, as the training loader expects of a pair."""
    first = _resized(load_image(planned.sources[0], 3), size)
    if len(planned.sources) == 1:
        return [first]
    second = load_image(planned.sources[1], 3)
    if second.size != first.size:
        second = second.resize(first.size, Image.Resampling.LANCZOS)
    if len(planned.targets) == 2:
        return [first, second]
    both = Image.new("RGB", (first.width * 2, first.height))
    both.paste(first, (0, 0))
    both.paste(second, (first.width, 0))
    return [both]


def _resized(image: Image.Image, size: int | None) -> Image.Image:
    if size is None:
        return image
    scale = size / min(image.size)
    target = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image if target == image.size else image.resize(target, Image.Resampling.LANCZOS)


def _move_into_place(staging: Path, out: Path, *, overwrite: bool) -> None:
    """Rename the finished staging folder to ``out`` (an old ``out`` goes only after)."""
    old: Path | None = None
    if out.exists():
        if any(out.iterdir()) and not overwrite:
            raise PrepareError(f"The output folder {out} is not empty")
        old = out.parent / f"{STAGING_PREFIX}old-{out.name}-{os.getpid()}"
        os.replace(out, old)
    try:
        os.replace(staging, out)
    except OSError:
        if old is not None:
            os.replace(old, out)  # put the previous folder back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
