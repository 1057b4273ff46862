"""The training loader: one DataLoader for a whole run, moved from epoch to epoch.

Building a DataLoader per epoch starts fresh worker processes every epoch, which on a
fast GPU leaves the card waiting at each epoch's start, and throws away what the workers
had cached. Here the loader, its persistent workers and their decoded-image caches live
as long as the run; each epoch only moves the :class:`EpochSampler`, whose order
depends on ``(seed, epoch)`` alone, so runs and resumes stay exact.
"""

from __future__ import annotations

import os
from typing import Any

import torch
from torch.utils.data import DataLoader

from nectar_gui.core.config import DataSection
from nectar_gui.core.data.augment import is_active
from nectar_gui.core.data.datasets import EpochSampler, GanDataset
from nectar_gui.core.data.device_preprocess import collate_raw

#: Batches each worker prepares ahead (PyTorch's default is 2).
PREFETCH_BATCHES = 4


def auto_workers(device: torch.device) -> int:
    """Loader processes: none on a small CPU machine (they would compete with training).

    A GPU consumes images far faster than one process prepares them (pix2pix at batch 16
    on an H200 takes about 1000 images/s; one worker gives about 100 from JPEGs), so
    CUDA gets up to eight.
    """
    cores = os.cpu_count() or 1
    if device.type == "cpu":
        return 0 if cores <= 4 else min(4, cores // 2)
    return min(8, cores // 2)


#: The decoded-image cache on a GPU (MiB), when ``data.cache_mb`` is auto.
GPU_CACHE_MB = 2048


def auto_cache_mb(device: torch.device) -> int:
    """Decoded-image cache: for GPUs, which would otherwise wait on JPEG decoding.

    On the CPU a step takes far longer than decoding its images (pix2pix at 256²: about
    0.6 s against 2 ms), and the cache would hold up to its whole budget in RAM for it.
    """
    return 0 if device.type == "cpu" else GPU_CACHE_MB


class TrainLoader:
    """A run's DataLoader and its sampler.

    Args:
        dataset: the training dataset (its cache budget is set here).
        cfg: workers and cache size.
        sampler: the first epoch's sampler (rank share, seed, start).
        batch_size: images per step.
        device: where training runs (pinned host memory for CUDA).
    """

    def __init__(self, dataset: GanDataset, cfg: DataSection, sampler: EpochSampler, *,
                 batch_size: int, device: torch.device) -> None:
        workers = cfg.num_workers if cfg.num_workers >= 0 else auto_workers(device)
        self.workers = workers
        self.sampler = sampler
        # The cache budget is shared by the processes that each keep their own cache.
        cache_mb = cfg.cache_mb if cfg.cache_mb >= 0 else auto_cache_mb(device)
        dataset.cache_bytes = cache_mb * 2**20 // max(1, workers)
        dataset.as_uint8 = True  # GanModel.to_device converts on the training device
        raw = cfg.device_preprocess and not is_active(cfg.augment)
        dataset.raw_preprocess = raw
        #: a line for the run's log about how items are prepared (None: nothing to say)
        self.note = ("data.device_preprocess is on, but augmentation runs on the cropped "
                     "image in the loader: resizing and cropping stay there"
                     if cfg.device_preprocess and not raw else
                     "Resizing, cropping and flipping on the training device"
                     if raw else None)
        # A private generator: creating a loader must not draw from the global RNG.
        self.loader: DataLoader[Any] = DataLoader(
            dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
            pin_memory=device.type == "cuda", persistent_workers=workers > 0,
            prefetch_factor=PREFETCH_BATCHES if workers > 0 else None,
            collate_fn=collate_raw if raw else None, generator=torch.Generator(),
            drop_last=False)

    def epoch(self, epoch: int, start: int = 0) -> DataLoader[Any]:
        """The loader, positioned ``start`` items into this rank's share of ``epoch``."""
        self.sampler.set_epoch(epoch, start=start)
        return self.loader
