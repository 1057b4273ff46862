"""Which images an evaluation uses, and loading them as the generator sees them. No torch.

Images are evaluated at their own size (what Translate would give the user), not at the
training crop. The run's ``data.direction`` applies: "A" is always the generator's input.
When a split has more images than asked for, an evenly spaced subset of its sorted
files is taken, so the choice is deterministic and covers the whole split.

Unpaired data has no pairs: item i takes A image i mod |A| and B image i mod |B| (the
pairing the datasets use in evaluation), for max(|A|, |B|) items.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.data.errors import DatasetError
from nectar_gui.core.data.images import convert_channels, decode_image
from nectar_gui.core.data.layouts import DatasetLayout, detect_layout, split_names
from nectar_gui.core.evaluation.records import DataKind, EvaluationError


@dataclass(frozen=True)
class EvalItem:
    """One image to evaluate: its A (input) file and its B file.

    ``aligned`` means ``a_path`` holds A|B side by side (and ``b_path`` is the same
    file); ``swap`` means the run translates B → A, so the halves or files trade places.
    """

    name: str
    a_path: Path
    b_path: Path
    aligned: bool = False
    swap: bool = False


@dataclass(frozen=True)
class EvalSet:
    """The images of one split that an evaluation uses."""

    kind: DataKind
    split: str
    root: Path
    items: tuple[EvalItem, ...]


def validation_split(config: NectarConfig) -> str:
    """val, else test, else the training split itself (the only images there are)."""
    root = Path(config.data.root or "")
    found = split_names(root)
    for split in ("val", "test"):
        if split in found and split != config.data.split:
            return split
    return config.data.split


def eval_set(config: NectarConfig, split: str, limit: int | None = None, *,
             root: Path | None = None, measured: str = "a pix2pix run") -> EvalSet:
    """Up to ``limit`` items of ``split`` of the run's dataset (``root`` overrides it).

    ``measured`` names what is evaluated in the message refusing unpaired data for a
    model that has only an A→B generator.

    Raises:
        EvaluationError: no dataset folder, no such split, or a layout the run's model
            cannot use (pix2pix on unpaired folders).
    """
    folder = Path(root if root is not None else config.data.root or "")
    if not str(folder) or not folder.is_dir():
        raise EvaluationError(f"The run's dataset folder {str(folder) or '(none)'} is not "
                              f"on this machine; pass the dataset folder (--data DIR)")
    try:
        layout = detect_layout(folder, split=split, layout=config.data.layout)
    except DatasetError as exc:
        found = split_names(folder)
        why = f": {exc}" if split in found else ""  # it is there, but cannot be used
        raise EvaluationError(f"The dataset {folder} has no usable {split!r} split (splits "
                              f"found: {', '.join(found) or 'none'}){why}") from None
    kind: DataKind = "unpaired" if layout.kind == "unaligned" else "paired"
    if config.model.kind == "pix2pix" and kind == "unpaired":
        raise EvaluationError(f"The {split} split of {folder} holds unpaired folders; "
                              f"{measured} is measured against paired targets")
    items = _items(layout, config.data.direction == "BtoA")
    return EvalSet(kind=kind, split=split, root=folder, items=tuple(spread(items, limit)))


def spread(items: list[EvalItem], limit: int | None) -> list[EvalItem]:
    """``limit`` evenly spaced items (all when ``limit`` is None or large enough)."""
    if limit is None or limit >= len(items):
        return list(items)
    if limit <= 0:
        return []
    picks = np.unique(np.linspace(0, len(items) - 1, limit).round().astype(int))
    return [items[i] for i in picks]


def _items(layout: DatasetLayout, swap: bool) -> list[EvalItem]:
    if layout.kind == "aligned":
        return _unique([EvalItem(p.stem, p, p, aligned=True, swap=swap)
                        for p in layout.files_a])
    files_a, files_b = layout.files_a, layout.files_b
    if swap:
        files_a, files_b = files_b, files_a
    if layout.kind == "paired":
        return _unique([EvalItem(a.stem, a, b) for a, b in zip(files_a, files_b, strict=True)])
    count = max(len(files_a), len(files_b))
    return _unique([EvalItem(files_a[i % len(files_a)].stem, files_a[i % len(files_a)],
                             files_b[i % len(files_b)]) for i in range(count)])


def _unique(items: list[EvalItem]) -> list[EvalItem]:
    """Make names unique (``name``, ``name-2``, …): they become output file names."""
    seen: dict[str, int] = {}
    out = []
    for item in items:
        seen[item.name] = seen.get(item.name, 0) + 1
        if seen[item.name] > 1:
            item = EvalItem(f"{item.name}-{seen[item.name]}", item.a_path, item.b_path,
                            item.aligned, item.swap)
        out.append(item)
    return out


def load_item(item: EvalItem, input_nc: int, output_nc: int) -> tuple[np.ndarray, np.ndarray]:
    """(A, B) as owned uint8 (H, W, C) arrays with the generator's channel counts.

    Raises:
        ImageReadError: a file cannot be decoded.
    """
    if item.aligned:
        whole = decode_image(item.a_path)
        half = whole.width // 2
        left, right = (whole.crop((0, 0, half, whole.height)),
                       whole.crop((half, 0, 2 * half, whole.height)))
        a_img, b_img = (right, left) if item.swap else (left, right)
    else:
        a_img, b_img = decode_image(item.a_path), decode_image(item.b_path)
    return _array(convert_channels(a_img, input_nc)), _array(convert_channels(b_img, output_nc))


def _array(img: Image.Image) -> np.ndarray:
    arr = np.array(img, dtype=np.uint8)
    return arr[:, :, None] if arr.ndim == 2 else arr


def resized_like(target: np.ndarray, height: int, width: int) -> np.ndarray:
    """``target`` at height × width (bicubic), when a paired B differs in size from A."""
    if target.shape[:2] == (height, width):
        return target
    img = Image.fromarray(target[:, :, 0] if target.shape[2] == 1 else target)
    return _array(img.resize((width, height), Image.Resampling.BICUBIC))
