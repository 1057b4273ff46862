"""Map-style torch datasets for the three layouts, and the sampler that drives them.

Determinism is designed in, so a resumed run sees exactly the images (crops, flips,
random B partners) an uninterrupted run would have seen:

- an item is asked for by ``key = (index, item_seed)``; every random choice for it (the
  extra augmentation of :mod:`.augment` too) is drawn from
  ``np.random.default_rng(item_seed)``, never from a global or per-worker generator, so
  the result does not depend on DataLoader workers or on earlier items;
- :class:`EpochSampler` yields those keys; its order depends only on ``(seed, epoch)``
  and it can start part-way through an epoch.

A file that cannot be read at training time is logged, listed in ``bad_files`` and
replaced by the next readable item, so one bad file never ends an epoch. (With worker
processes each worker keeps its own ``bad_files``; the log shows all of them.)

Decoded images (before any random transform) are kept in memory up to ``cache_bytes``
per process, so later epochs skip the decoding; with persistent loader workers each
worker keeps its own share. The cache holds only what the file says, so cached and
uncached items are identical.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from torch.utils.data import Dataset, Sampler

from nectar_gui.core.config import DataSection
from nectar_gui.core.data.augment import AugmentParams, augment_pair, is_active
from nectar_gui.core.data.device_preprocess import PARAMS, params_row
from nectar_gui.core.data.errors import DatasetError, ImageReadError, expected_layouts
from nectar_gui.core.data.images import (
    convert_channels,
    decode_image,
    load_image,
    to_tensor,
    to_uint8_tensor,
)
from nectar_gui.core.data.layouts import DatasetLayout, detect_layout
from nectar_gui.core.data.transforms import TransformParams, preprocess

_log = logging.getLogger(__name__)

Item = dict[str, Any]
"""{"A": (C, H, W) float in [-1, 1], "B": same, "index": int, "A_path": str, "B_path": str}"""
ItemKey = tuple[int, int]

# Salts keep the data streams independent of anything else seeded with the run seed.
_PERMUTATION_SALT = 0x5045524D
_ITEM_SALT = 0x4954454D
_SEED_MASK = (1 << 63) - 1


class GanDataset(Dataset[Item]):
    """Common loading, transforming, direction swap and bad-file recovery.

    Args:
        layout: The files to use (from :func:`detect_layout` or the scanner).
        cfg: Preprocessing settings and direction.
        input_nc: Channels of the generator's input (``A`` after the direction swap).
        output_nc: Channels of its target (``B`` after the swap).
        train: Random crops and flips when True; centre crop, no flip when False.
    """

    def __init__(self, layout: DatasetLayout, cfg: DataSection, *, input_nc: int,
                 output_nc: int, train: bool = True) -> None:
        self.layout = layout
        self.cfg = cfg
        self.input_nc = input_nc
        self.output_nc = output_nc
        self.train = train
        self.bad_files: list[str] = []
        #: bytes of decoded images this process may keep between epochs (0: none)
        self.cache_bytes = 0
        #: un-augmented items as uint8 (C, H, W), converted to float on the training
        #: device (:func:`images.uint8_to_float`): a quarter of the bytes to move, and the
        #: loader workers skip the float arithmetic
        self.as_uint8 = False
        #: training items as whole decoded uint8 images plus their transform draw, to be
        #: resized and cropped on the device (``device_preprocess``); no augmentation
        self.raw_preprocess = False
        self._cache: dict[tuple[str, int], Image.Image] = {}
        self._cache_used = 0
        self._swap = cfg.direction == "BtoA"
        if len(self) == 0:
            raise DatasetError(f"Dataset folder {layout.root} has no readable images for "
                               f"split {layout.split!r} — expected one of the layouts: "
                               f"{expected_layouts(layout.split)}")

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, key: ItemKey | int) -> Item:
        """Load item ``index`` with the randomness of ``item_seed``.

        A plain int is accepted as ``(index, index)``: deterministic, but the same crop
        every epoch, so training should go through :class:`EpochSampler`.
        """
        if isinstance(key, tuple):
            index, seed = int(key[0]), int(key[1])
        else:
            index = seed = int(key)
        if not 0 <= index < len(self):
            raise IndexError(f"item {index} is outside this dataset of {len(self)} items")
        for attempt in range(len(self)):
            # Attempt 0 uses item_seed itself; substitutes get their own streams so an
            # unaligned item whose random B is bad does not pick the same B again.
            rng = np.random.default_rng(seed if attempt == 0 else [seed, attempt])
            item = self._try_item((index + attempt) % len(self), rng)
            if item is not None:
                return item
        raise DatasetError(f"Every image of {self.layout.root} failed to load — see the "
                           f"log for the reasons, then fix or remove the files")

    def _load_sides(self, index: int, rng: np.random.Generator
                    ) -> tuple[Image.Image, Image.Image, Path, Path]:
        """The layout's A and B images for ``index`` (before the direction swap)."""
        raise NotImplementedError

    def _channels(self, side: str) -> int:
        """Channels for the layout's side ``side``: the generator input gets input_nc."""
        is_input = (side == "A") != self._swap
        return self.input_nc if is_input else self.output_nc

    def _try_item(self, index: int, rng: np.random.Generator) -> Item | None:
        try:
            img_a, img_b, path_a, path_b = self._load_sides(index, rng)
        except ImageReadError as exc:
            self._record_bad(exc)
            return None
        if self._swap:
            img_a, img_b, path_a, path_b = img_b, img_a, path_b, path_a
        params = (TransformParams.draw(rng, flip=self.cfg.flip) if self.train
                  else TransformParams.centre())
        if self.raw_preprocess and self.train:
            return {"A": to_uint8_tensor(img_a), "B": to_uint8_tensor(img_b),
                    PARAMS: params_row(params), "index": index, "A_path": str(path_a),
                    "B_path": str(path_b)}
        img_a, img_b = preprocess(img_a, params, self.cfg), preprocess(img_b, params, self.cfg)
        if self.train and is_active(self.cfg.augment):
            # Drawn after the crop and flip, so those match a run without augmentation.
            extra = AugmentParams.draw(rng, self.cfg.augment)
            tensor_a, tensor_b = augment_pair(img_a, img_b, extra, self.cfg.augment)
        else:
            convert = to_uint8_tensor if self.as_uint8 else to_tensor
            tensor_a, tensor_b = convert(img_a), convert(img_b)
        return {"A": tensor_a, "B": tensor_b,
                "index": index, "A_path": str(path_a), "B_path": str(path_b)}

    def _load(self, path: Path, side: str) -> Image.Image:
        self._skip_known_bad(path)
        channels = self._channels(side)
        return self._cached(path, channels, lambda: load_image(path, channels))

    def _cached(self, path: Path, channels: int, load: Callable[[], Image.Image]
                ) -> Image.Image:
        """``load()``, kept for later calls while the cache has room.

        Callers never modify the returned image (every transform makes a new one).
        """
        key = (str(path), channels)
        image = self._cache.get(key)
        if image is not None:
            return image
        image = load()
        size = image.width * image.height * len(image.getbands())
        if self._cache_used + size <= self.cache_bytes:
            self._cache[key] = image
            self._cache_used += size
        return image

    def _skip_known_bad(self, path: Path) -> None:
        """Fail fast on a file that already failed, without reading it again."""
        if str(path) in self.bad_files:
            raise ImageReadError(path, "failed earlier in this run")

    def _record_bad(self, exc: ImageReadError) -> None:
        if exc.path not in self.bad_files:
            self.bad_files.append(exc.path)
            _log.warning("Skipping an unreadable image, using the next item instead: %s",
                         exc)


class AlignedDataset(GanDataset):
    """``<split>/`` images holding A (left half) and B (right half) side by side.

    The image is split at ``width // 2``; an odd width loses its last column so both
    halves have the same size.
    """

    def __len__(self) -> int:
        return len(self.layout.files_a)

    def _load_sides(self, index: int, rng: np.random.Generator
                    ) -> tuple[Image.Image, Image.Image, Path, Path]:
        path = self.layout.files_a[index]
        self._skip_known_bad(path)
        whole = self._cached(path, 0, lambda: decode_image(path))
        half, height = whole.width // 2, whole.height
        if half == 0:
            raise ImageReadError(path, "too narrow to hold A and B side by side")
        img_a = convert_channels(whole.crop((0, 0, half, height)), self._channels("A"))
        img_b = convert_channels(whole.crop((half, 0, 2 * half, height)), self._channels("B"))
        return img_a, img_b, path, path


class PairedDataset(GanDataset):
    """``A/`` and ``B/`` folders whose files pair up by name."""

    def __len__(self) -> int:
        return len(self.layout.files_a)

    def _load_sides(self, index: int, rng: np.random.Generator
                    ) -> tuple[Image.Image, Image.Image, Path, Path]:
        path_a, path_b = self.layout.files_a[index], self.layout.files_b[index]
        return self._load(path_a, "A"), self._load(path_b, "B"), path_a, path_b


class UnalignedDataset(GanDataset):
    """``<split>A/`` and ``<split>B/`` with unrelated images (CycleGAN).

    An epoch has max(|A|, |B|) items; item i uses A image i mod |A| and a B image drawn
    from the item's generator (i mod |B| in evaluation, so previews stay put).
    """

    def __len__(self) -> int:
        return max(len(self.layout.files_a), len(self.layout.files_b))

    def _load_sides(self, index: int, rng: np.random.Generator
                    ) -> tuple[Image.Image, Image.Image, Path, Path]:
        files_a, files_b = self.layout.files_a, self.layout.files_b
        index_b = int(rng.integers(len(files_b))) if self.train else index % len(files_b)
        path_a, path_b = files_a[index % len(files_a)], files_b[index_b]
        return self._load(path_a, "A"), self._load(path_b, "B"), path_a, path_b


_DATASETS: dict[str, type[GanDataset]] = {
    "aligned": AlignedDataset, "paired": PairedDataset, "unaligned": UnalignedDataset}


def build_dataset(cfg: DataSection, *, input_nc: int, output_nc: int, train: bool = True,
                  layout: DatasetLayout | None = None) -> GanDataset:
    """The dataset for ``cfg``: detects the layout of ``cfg.root`` unless one is given.

    Pass the scanner's ``layout_ok`` as ``layout`` to train only on files known to be
    readable.

    Raises:
        DatasetError: no folder is set, or the folder has no usable layout.
    """
    if layout is None:
        if cfg.root is None:
            raise DatasetError("No dataset folder is set (data.root) — choose a folder "
                               f"with one of the layouts: {expected_layouts(cfg.split)}")
        layout = detect_layout(cfg.root, split=cfg.split, layout=cfg.layout)
    dataset_cls = _DATASETS[layout.kind]
    return dataset_cls(layout, cfg, input_nc=input_nc, output_nc=output_nc, train=train)


class EpochSampler(Sampler[ItemKey]):
    """Yields ``(index, item_seed)`` keys for one epoch, optionally one rank's share.

    The permutation and the item seeds depend only on ``(seed, epoch)`` and the position
    in the epoch. With ``world_size > 1`` the epoch is padded by wrapping around to a
    multiple of ``world_size`` and rank r takes positions r, r + world_size, … (as
    DistributedSampler does), so every rank runs the same number of steps. ``start``
    skips the first items of this rank's share, to resume in the middle of an epoch.
    """

    def __init__(self, length: int, *, seed: int, epoch: int, shuffle: bool = True,
                 rank: int = 0, world_size: int = 1, start: int = 0) -> None:
        if length < 0 or seed < 0 or world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"EpochSampler needs length ≥ 0, seed ≥ 0, world_size ≥ 1 and "
                             f"0 ≤ rank < world_size; got length={length}, seed={seed}, "
                             f"rank={rank}, world_size={world_size}")
        self.length = length
        self.seed = seed
        self.shuffle = shuffle
        self.rank = rank
        self.world_size = world_size
        self.epoch = 0
        self.start = 0
        self.set_epoch(epoch, start=start)

    @property
    def per_rank(self) -> int:
        """Items each rank sees in a full epoch."""
        return math.ceil(self.length / self.world_size)

    def set_epoch(self, epoch: int, *, start: int = 0) -> None:
        """Move to ``epoch`` (a DataLoader re-iterates the sampler every epoch)."""
        if epoch < 0 or not 0 <= start <= self.per_rank:
            raise ValueError(f"epoch {epoch} must be ≥ 0 and start {start} between 0 and "
                             f"{self.per_rank} (items per rank)")
        self.epoch = epoch
        self.start = start

    def __len__(self) -> int:
        return self.per_rank - self.start

    def __iter__(self) -> Iterator[ItemKey]:
        order = self._order()
        for k in range(self.start, self.per_rank):
            position = self.rank + k * self.world_size
            yield int(order[position]), self._item_seed(position)

    def _order(self) -> np.ndarray:
        if self.shuffle:
            rng = np.random.default_rng([self.seed, self.epoch, _PERMUTATION_SALT])
            order = rng.permutation(self.length)
        else:
            order = np.arange(self.length)
        return np.resize(order, self.per_rank * self.world_size)  # wrap-around padding

    def _item_seed(self, position: int) -> int:
        entropy = [self.seed, self.epoch, position, _ITEM_SALT]
        state = np.random.SeedSequence(entropy).generate_state(1, np.uint64)
        return int(state[0]) & _SEED_MASK

