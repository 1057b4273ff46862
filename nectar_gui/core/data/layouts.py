"""Recognising how a dataset folder is organised.

Users arrive with folders made for the reference pix2pix / CycleGAN code or by hand:

- aligned: ``train/`` holding images with A and B side by side (A left, B right);
- unaligned: ``trainA/`` and ``trainB/`` with unrelated images (CycleGAN);
- paired: ``A/`` and ``B/`` (or ``train/A`` and ``train/B``) with matching file names.

:func:`detect_layout` turns a folder into a :class:`DatasetLayout` listing the files to
use, or raises :class:`DatasetError` with a message naming the folder and the layouts
it could have had. Top-level ``A/`` + ``B/`` folders are the ``train`` split only, so a
validation split never silently repeats the training images.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from nectar_gui.core.data.errors import DatasetError, expected_layouts, layout_error
from nectar_gui.core.data.images import list_images

LayoutKind = Literal["aligned", "paired", "unaligned"]
LayoutChoice = Literal["auto", "aligned", "paired", "unaligned"]
KNOWN_SPLITS: tuple[str, ...] = ("train", "val", "test")
_KINDS: tuple[LayoutKind, ...] = ("aligned", "paired", "unaligned")


@dataclass(frozen=True)
class DatasetLayout:
    """The files of one split of a dataset, and how they pair up.

    For ``aligned`` each file in ``files_a`` holds A and B side by side and ``files_b``
    is empty; for ``paired`` ``files_a[i]`` goes with ``files_b[i]``; for ``unaligned``
    the two lists are independent.
    """

    kind: LayoutKind
    root: Path
    split: str
    files_a: tuple[Path, ...]
    files_b: tuple[Path, ...]

    def describe(self) -> str:
        """One line for the UI, e.g. ``unaligned: 1,067 A and 1,334 B images``."""
        if self.kind == "aligned":
            return f"aligned: {len(self.files_a):,} A|B images in {self.split}/"
        if self.kind == "paired":
            return f"paired: {len(self.files_a):,} A/B pairs"
        return f"unaligned: {len(self.files_a):,} A and {len(self.files_b):,} B images"


def detect_layout(root: str | Path, *, split: str = "train",
                  layout: LayoutChoice = "auto") -> DatasetLayout:
    """Find which layout ``root`` uses for ``split`` and list its files.

    Args:
        root: The dataset folder (the one holding ``train/`` or ``trainA/`` …).
        split: ``train``, ``val``, ``test`` or any other split name.
        layout: ``auto`` to detect, or the layout the folder must have.

    Raises:
        DatasetError: the folder is missing or empty, has none of the layouts, does not
            have the forced layout, or ``layout`` is not a known choice.
    """
    root = Path(root).expanduser()
    _check_folder(root, split)
    if layout == "auto":
        for kind in _KINDS:
            found = _try_kind(kind, root, split)
            if found is not None:
                return found
        raise layout_error(_no_layout_message(root, split), split)
    if layout not in _KINDS:
        raise DatasetError(f"Unknown dataset layout {layout!r} for {root} — choose auto or "
                           f"one of the layouts: {expected_layouts(split)}")
    found = _try_kind(layout, root, split)
    if found is None:
        raise layout_error(_wrong_layout_message(root, split, layout), split)
    return found


def split_names(root: str | Path) -> list[str]:
    """The splits among train / val / test that :func:`detect_layout` can open."""
    root = Path(root).expanduser()
    if not root.is_dir():
        return []
    return [s for s in KNOWN_SPLITS
            if any(_has_kind(kind, root, s) for kind in _KINDS)]


def paired_folders(root: Path, split: str) -> tuple[Path, Path] | None:
    """The A and B folders of a paired layout (``<split>/A`` first, then top-level A/)."""
    for base in (root / split, root if split == "train" else None):
        if base is not None and (base / "A").is_dir() and (base / "B").is_dir():
            return base / "A", base / "B"
    return None


def unmatched_files(layout: DatasetLayout) -> tuple[list[Path], list[Path]]:
    """Files of a paired layout whose name has no partner on the other side."""
    if layout.kind != "paired":
        return [], []
    folders = paired_folders(layout.root, layout.split)
    if folders is None:
        return [], []
    used = set(layout.files_a) | set(layout.files_b)
    return ([p for p in list_images(folders[0]) if p not in used],
            [p for p in list_images(folders[1]) if p not in used])


def _check_folder(root: Path, split: str) -> None:
    if not root.exists():
        raise layout_error(f"Dataset folder {root} does not exist", split)
    if not root.is_dir():
        raise layout_error(f"Dataset path {root} is a file, not a folder — choose the "
                           "folder holding the dataset", split)
    if not any(not p.name.startswith(".") for p in root.iterdir()):
        raise layout_error(f"Dataset folder {root} is empty", split)


def _has_kind(kind: LayoutKind, root: Path, split: str) -> bool:
    if kind == "aligned":
        return bool(list_images(root / split))
    if kind == "unaligned":
        return (root / f"{split}A").is_dir() and (root / f"{split}B").is_dir()
    return paired_folders(root, split) is not None


def _try_kind(kind: LayoutKind, root: Path, split: str) -> DatasetLayout | None:
    """The layout of ``kind`` if the folders for it exist; DatasetError if they are empty."""
    if not _has_kind(kind, root, split):
        return None
    if kind == "aligned":
        files = tuple(list_images(root / split))
        return DatasetLayout("aligned", root, split, files, ())
    if kind == "unaligned":
        return _unaligned(root, split)
    return _paired(root, split)


def _unaligned(root: Path, split: str) -> DatasetLayout:
    sides = [root / f"{split}A", root / f"{split}B"]
    files = [tuple(list_images(folder)) for folder in sides]
    for folder, found in zip(sides, files, strict=True):
        if not found:
            raise DatasetError(f"Dataset folder {folder} has no images — an unaligned "
                               f"dataset needs images in both {split}A/ and {split}B/")
    return DatasetLayout("unaligned", root, split, files[0], files[1])


def _paired(root: Path, split: str) -> DatasetLayout:
    folders = paired_folders(root, split)
    assert folders is not None  # _has_kind checked it
    by_stem_a = _first_by_stem(list_images(folders[0]))
    by_stem_b = _first_by_stem(list_images(folders[1]))
    stems = sorted(by_stem_a.keys() & by_stem_b.keys())
    if not stems:
        raise DatasetError(f"Dataset folders {folders[0]} and {folders[1]} share no file "
                           f"names — a paired dataset needs the same name (e.g. 0001.png "
                           f"and 0001.jpg) on both sides")
    return DatasetLayout("paired", root, split, tuple(by_stem_a[s] for s in stems),
                         tuple(by_stem_b[s] for s in stems))


def _first_by_stem(files: list[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in files:
        found.setdefault(path.stem, path)
    return found


def _no_layout_message(root: Path, split: str) -> str:
    """What is wrong with a folder in none of the layouts, and where to look instead."""
    missing = f"Dataset folder {root} has no {split}/, {split}A/ + {split}B/ or A/ + B/"
    images = list_images(root)
    if images and any(_has_kind(kind, root.parent, split) for kind in _KINDS):
        return (f"{missing}: it is a folder inside the dataset {root.parent} — choose "
                "that folder instead")
    if images:
        held = "its image sits" if len(images) == 1 else f"its {len(images):,} images sit"
        return f"{missing}: {held} directly in it — move them into one of the layouts"
    if others := split_names(root):
        return f"{missing} (splits found: {', '.join(others)} — pick one of them as the split)"
    return missing


def _wrong_layout_message(root: Path, split: str, layout: LayoutKind) -> str:
    wanted = {"aligned": f"a {split}/ folder with images",
              "paired": f"A/ + B/ or {split}/A + {split}/B folders",
              "unaligned": f"{split}A/ + {split}B/ folders"}[layout]
    found = [k for k in _KINDS if _has_kind(k, root, split)]
    seen = f"; it looks {' or '.join(found)} — set the layout to auto" if found else ""
    return f"Dataset folder {root} is not in the {layout} layout: it has no {wanted}{seen}"
