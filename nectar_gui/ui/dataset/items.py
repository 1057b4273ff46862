"""What the dataset browser lists, and the words it uses (no Qt here).

A dataset folder becomes one :class:`DatasetLayout` per split, each split becomes a list
of :class:`BrowserItem` for the grid, and the layouts become a one-line summary such as
``Aligned pairs (A|B side by side) · train 200 · val 20``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from nectar_gui.core.config import DataSection
from nectar_gui.core.data import DatasetError, DatasetLayout, Problem, detect_layout, split_names

Side = Literal["AB", "A", "B"]

KIND_TITLES: dict[str, str] = {
    "aligned": "Aligned pairs (A|B side by side)",
    "paired": "Paired folders (A/ and B/ with matching names)",
    "unaligned": "Unaligned sets (trainA/ and trainB/, no pairs)",
}

# (name, folder sketch, what it is for) of each layout the app accepts.
EXPECTED_LAYOUTS: tuple[tuple[str, str, str], ...] = (
    ("Aligned", "train/0001.png … (A left, B right in one image)", "pix2pix"),
    ("Paired", "A/0001.png + B/0001.png (same names on both sides)", "pix2pix"),
    ("Unaligned", "trainA/… and trainB/… (any images, no pairs)", "CycleGAN"),
)


@dataclass(frozen=True)
class BrowserItem:
    """One grid entry: the file shown, and the A and B files its preview pairs."""

    path: str
    side: Side
    path_a: str
    path_b: str | None  # None: an aligned image holding both halves
    paired: bool = True  # False: unaligned; A and B shown together are not a pair

    @property
    def label(self) -> str:
        name = Path(self.path).name
        return name if self.side == "AB" else f"{self.side} · {name}"


def detect_splits(root: Path, cfg: DataSection) -> dict[str, DatasetLayout]:
    """The layout of every split of ``root`` that opens, the configured split first.

    Raises:
        DatasetError: no split opens; the message is the one for the configured split.
    """
    names = [cfg.split, *(s for s in split_names(root) if s != cfg.split)]
    layouts: dict[str, DatasetLayout] = {}
    first_error: DatasetError | None = None
    for split in names:
        try:
            layouts[split] = detect_layout(root, split=split, layout=cfg.layout)
        except DatasetError as exc:
            first_error = first_error or exc
    if not layouts:
        raise first_error or DatasetError(f"Dataset folder {root} has no images")
    return layouts


def items_for(layout: DatasetLayout) -> list[BrowserItem]:
    """The grid entries of one split: one per aligned image or pair, A then B if unaligned."""
    a_files = [str(p) for p in layout.files_a]
    b_files = [str(p) for p in layout.files_b]
    if layout.kind == "aligned":
        return [BrowserItem(p, "AB", p, None) for p in a_files]
    if layout.kind == "paired":
        return [BrowserItem(a, "A", a, b) for a, b in zip(a_files, b_files, strict=True)]
    # Unaligned: show each image with the one at the same place on the other side, as a
    # sampler in order would; any B can go with any A.
    items = [BrowserItem(a, "A", a, b_files[i % len(b_files)], paired=False)
             for i, a in enumerate(a_files)]
    items += [BrowserItem(b, "B", a_files[i % len(a_files)], b, paired=False)
              for i, b in enumerate(b_files)]
    return items


def split_count(layout: DatasetLayout) -> str:
    """``train 200``, ``train 150 pairs`` or ``train 200 A / 180 B``."""
    n_a, n_b = len(layout.files_a), len(layout.files_b)
    if layout.kind == "aligned":
        return f"{layout.split} {n_a:,}"
    if layout.kind == "paired":
        return f"{layout.split} {n_a:,} pairs"
    return f"{layout.split} {n_a:,} A / {n_b:,} B"


def summary(layouts: dict[str, DatasetLayout]) -> str:
    """One line: the layout and the counts of each split, e.g. ``… · train 200 · val 20``."""
    ordered = sorted(layouts.values(), key=lambda lay: _split_order(lay.split))
    kinds = {lay.kind for lay in ordered}
    if len(kinds) == 1:
        return " · ".join([KIND_TITLES[ordered[0].kind], *map(split_count, ordered)])
    return " · ".join(f"{split_count(lay)} ({lay.kind})" for lay in ordered)


def kind_note(layouts: dict[str, DatasetLayout], model_kind: str) -> str:
    """A warning when the layout cannot train the chosen model, else an empty string."""
    if model_kind == "pix2pix" and any(lay.kind == "unaligned" for lay in layouts.values()):
        return ("pix2pix needs pairs, and this dataset is unaligned: train CycleGAN on it, "
                "or choose a folder with pairs.")
    return ""


def problem_text(problem: Problem) -> str:
    """One line: the side and file name, then what is wrong (the path is in the tooltip)."""
    if problem.path is None:
        return problem.message
    name = Path(problem.path).name
    message = problem.message.replace(problem.path, name)
    if name not in message:
        message = f"{name}: {message}"
    return f"{problem.side} · {message}" if problem.side else message


def _split_order(split: str) -> tuple[int, str]:
    order = {"train": 0, "val": 1, "test": 2}
    return order.get(split, 3), split
