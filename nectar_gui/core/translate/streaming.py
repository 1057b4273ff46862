"""Exact full-resolution translation in bounded memory: the image streamed pass by pass.

:mod:`.stream_schedule` lists the passes; this module runs them. Each pass cuts its
target map into tiles that fit the working budget, computes every tile exactly (its
inputs taken with the halo its layers need from complete maps, padded only at the
image's true borders), accumulates the per-channel mean and variance of the instance
norms it feeds (Chan's pairwise update in float64 over per-tile float32 moments), and
writes the tile to a kept map or, in the last pass, to the uint8 output. Tiles of the
output never overlap, so nothing is blended: the result equals the whole-image forward
to float rounding.

Maps kept between passes live in a :class:`~.spill.SpillStore` (in RAM when they take at
most a quarter of the budget, else in a temporary folder that is always removed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from nectar_gui.core.formatting import format_bytes
from nectar_gui.core.translate.graph import Graph, Norm, Op, Region, Shape, Source
from nectar_gui.core.translate.info import TranslateError, TranslationCancelled
from nectar_gui.core.translate.spill import SpillStore
from nectar_gui.core.translate.stream_schedule import (
    Schedule,
    StreamPass,
    build_schedule,
    layout_tiles,
    need_regions,
    working_bytes,
)


@dataclass
class StreamReport:
    """What a streamed translation did (tests and ``bench/translate.py`` read it).

    Attributes:
        passes: passes over the image.
        tiles: tiles computed, over all passes.
        planned_bytes: the most working memory any tile was planned to hold.
        held_bytes: the most bytes of tensors the engine actually held at once.
        spill_bytes: the most the kept maps held at once.
        spill_folder: the temporary folder used, None when the maps stayed in RAM.
    """

    passes: int = 0
    tiles: int = 0
    planned_bytes: int = 0
    held_bytes: int = 0
    spill_bytes: int = 0
    spill_folder: Path | None = None


@dataclass
class _Moments:
    """Running per-channel count, mean and sum of squared deviations, in float64."""

    count: int = 0
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    m2: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def add(self, y: Tensor) -> None:
        """Fold in a (1, C, h, w) tile."""
        var, mean = torch.var_mean(y.float(), dim=(0, 2, 3), correction=0)  # (C,) each
        n = y.shape[2] * y.shape[3]
        mean64 = mean.cpu().numpy().astype(np.float64)  # to the CPU first: MPS has no float64
        m2 = var.cpu().numpy().astype(np.float64) * n
        if self.count == 0:
            self.count, self.mean, self.m2 = n, mean64, m2
            return
        total = self.count + n
        delta = mean64 - self.mean
        self.mean = self.mean + delta * (n / total)
        self.m2 = self.m2 + m2 + delta ** 2 * (self.count * n / total)
        self.count = total

    def set_on(self, norm: Norm, device: torch.device) -> None:
        """Give ``norm`` the whole map's mean and 1/sqrt(variance + eps)."""
        inv_std = 1.0 / np.sqrt(self.m2 / self.count + norm.eps)
        norm.mean = torch.from_numpy(self.mean).float().view(1, -1, 1, 1).to(device)
        norm.inv_std = torch.from_numpy(inv_std).float().view(1, -1, 1, 1).to(device)


Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


@dataclass
class StreamJob:
    """One image to stream through a traced generator (its report is filled in).

    Attributes:
        graph: the traced generator.
        image: uint8 (h, w, C_in), already in the generator's channels.
        padded: (H, W) after padding to the generator's multiple (reflect, or edge).
        device: where the layers run.
        budget: working bytes a tile may hold.
        keep_in_ram: bytes of kept maps allowed in RAM (more goes to a temporary folder).
        tile: force square tiles of this side (at full resolution).
        spill_dir: where the temporary folder goes (default: the system's).
    """

    graph: Graph
    image: np.ndarray
    padded: tuple[int, int]
    device: torch.device
    budget: int
    keep_in_ram: int
    tile: int | None = None
    spill_dir: Path | None = None
    report: StreamReport = field(default_factory=StreamReport)


def stream_translate(job: StreamJob, *, progress: Progress | None = None,
                     cancelled: Cancelled | None = None) -> np.ndarray:
    """Translate ``job.image``; returns uint8 (h, w, C_out), equal to a whole forward.

    Raises:
        TranslateError: the budget cannot hold even a tiny tile, or the disk is full.
        TranslationCancelled: ``cancelled()`` returned True before a tile.
    """
    schedule = build_schedule(job.graph, (job.image.shape[2], *job.padded))
    job.report = StreamReport(passes=len(schedule.passes),
                              spill_bytes=schedule.peak_spill_bytes)
    tiles = [_tiles(job, schedule, p) for p in schedule.passes]
    total = sum(len(t) for t in tiles)
    out_c = schedule.shapes[job.graph.output][0]
    out = np.empty((*job.image.shape[:2], out_c), dtype=np.uint8)
    store = SpillStore(peak_bytes=schedule.peak_spill_bytes,
                       in_memory=schedule.peak_spill_bytes <= job.keep_in_ram,
                       directory=job.spill_dir)
    job.report.spill_folder = store.folder
    runner = _PassRunner(job, schedule, store, out)
    done = 0
    try:
        for p, cores in zip(schedule.passes, tiles, strict=True):
            moments = runner.start(p)
            for core in cores:
                if cancelled is not None and cancelled():
                    raise TranslationCancelled("translation cancelled")
                runner.tile(p, core, moments)
                done += 1
                if progress is not None:
                    progress(done, total)
            runner.finish(p, moments)
    finally:
        store.close()
        for norm in job.graph.norms():
            assert isinstance(norm.op, Norm)
            norm.op.mean = norm.op.inv_std = None
    job.report.tiles = total
    return out


def _tiles(job: StreamJob, schedule: Schedule, p: StreamPass) -> tuple[Region, ...]:
    """This pass's tiles; the output pass covers only the image, not its padding."""
    _, height, width = schedule.shapes[p.target]
    if p.target == job.graph.output:
        height, width = job.image.shape[:2]
    side = None
    if job.tile is not None:
        side = max(1, round(job.tile * height / schedule.shapes[0][1]))

    def cost(core: Region) -> int:
        return working_bytes(job.graph, schedule.shapes, p, core)

    try:
        cores = layout_tiles(height, width, cost, job.budget, side)
    except ValueError:
        corners = [(y, y + 1, x, x + 1) for y in (0, height // 2, height - 1)
                   for x in (0, width // 2, width - 1)]
        least = max(cost(r) for r in corners)
        raise TranslateError(f"The memory budget ({format_bytes(job.budget)}) is too small "
                             f"for this model: it needs at least {format_bytes(least)} "
                             f"for one tile. Allow more memory.") from None
    job.report.planned_bytes = max(job.report.planned_bytes, max(cost(r) for r in cores))
    return cores


class _PassRunner:
    """Runs the tiles of one pass after another; one instance per translation."""

    def __init__(self, job: StreamJob, schedule: Schedule, store: SpillStore,
                 out: np.ndarray) -> None:
        self.job, self.schedule, self.store, self.out = job, schedule, store, out
        self.graph = job.graph
        self._held = 0

    def start(self, p: StreamPass) -> dict[int, _Moments]:
        """Make room for the pass's kept map; the moments its norms will collect."""
        if p.keep:
            self.store.create(p.target, self.schedule.shapes[p.target])
        return {n: _Moments() for n in p.norms}

    def tile(self, p: StreamPass, core: Region, moments: dict[int, _Moments]) -> None:
        """Compute one tile of the target, fold it into the statistics, keep or emit it."""
        y = self._evaluate(p, core)  # (1, C, h, w) of the target over core
        for m in moments.values():
            m.add(y)
        self._emit(p, core, y)

    def _emit(self, p: StreamPass, core: Region, y: Tensor) -> None:
        if p.keep:
            self.store.write(p.target, core[0], core[2], y[0].cpu().numpy())
        if p.target == self.graph.output:
            scaled = np.clip((y[0].float().cpu().numpy() + 1.0) * 127.5, 0.0, 255.0)
            self.out[core[0]:core[1], core[2]:core[3]] = (
                np.rint(scaled).astype(np.uint8).transpose(1, 2, 0))

    def finish(self, p: StreamPass, moments: dict[int, _Moments]) -> None:
        """Hand the measured statistics to their norms; drop maps no pass reads again."""
        for index, m in moments.items():
            norm = self.graph.nodes[index].op
            assert isinstance(norm, Norm)
            m.set_on(norm, self.job.device)
        for key in p.frees:
            self.store.free(key)

    def _evaluate(self, p: StreamPass, core: Region) -> Tensor:
        """The target over ``core``, computing each node of the pass once."""
        shapes = self.schedule.shapes
        need = need_regions(self.graph, shapes, p, core)
        uses = {i: sum(1 for c in self.graph.nodes[i].consumers if c in need and
                       c not in p.leaves) for i in p.nodes}
        values: dict[int, Tensor] = {}
        self._held = 0
        for i in p.nodes:
            if i in p.leaves:
                values[i] = self._read(i, need[i])
                continue
            values[i] = self._compute(i, need, values)
            for j in self.graph.nodes[i].inputs:
                uses[j] -= 1
                if uses[j] == 0:
                    self._held -= _storage_bytes(values.pop(j))
        return values[p.target]

    def _compute(self, i: int, need: dict[int, Region], values: dict[int, Tensor]) -> Tensor:
        node, region = self.graph.nodes[i], need[i]
        shapes = self.schedule.shapes
        xs, copies = [], 0
        for j in node.inputs:
            x, copied = _fetch(node.op, values[j], need[j], region, shapes[j])
            copies += _storage_bytes(x) if copied else 0
            xs.append(x)
        y = node.op.compute(xs, region, shapes[node.inputs[0]][1:])
        self._hold(_storage_bytes(y), copies)
        return y

    def _read(self, i: int, region: Region) -> Tensor:
        y0, y1, x0, x1 = region
        if isinstance(self.graph.nodes[i].op, Source):
            block = _image_block(self.job.image, self.job.padded, region)  # (C, h, w)
        else:
            block = self.store.read(i, y0, y1, x0, x1)  # (C, h, w)
        tensor = torch.from_numpy(np.ascontiguousarray(block))[None].to(self.job.device)
        self._hold(_storage_bytes(tensor), block.nbytes)  # the block until it is dropped
        return tensor

    def _hold(self, kept: int, transient: int) -> None:
        """Count a new tensor of ``kept`` bytes, made with ``transient`` bytes beside it."""
        report = self.job.report
        report.held_bytes = max(report.held_bytes, self._held + kept + transient)
        self._held += kept


def _storage_bytes(t: Tensor) -> int:
    """Memory behind a tensor (a cropped view holds all of its base)."""
    return int(t.untyped_storage().nbytes())


def _fetch(op: Op, value: Tensor, have: Region, region: Region, shape: Shape
           ) -> tuple[Tensor, bool]:
    """The input span ``op`` needs for ``region``, cut from ``value`` (which covers
    ``have``) and zero-filled where it reaches outside the map; True when copied."""
    _, h, w = shape
    ys = op.span(0, region[0], region[1], h)
    xs = op.span(1, region[2], region[3], w)
    vy = (max(ys[0], 0), min(ys[1], h))
    vx = (max(xs[0], 0), min(xs[1], w))
    if vy[0] >= vy[1] or vx[0] >= vx[1]:
        return value.new_zeros((1, value.shape[1], ys[1] - ys[0], xs[1] - xs[0])), True
    part = value[:, :, vy[0] - have[0]: vy[1] - have[0], vx[0] - have[2]: vx[1] - have[2]]
    pads = (vx[0] - xs[0], xs[1] - vx[1], vy[0] - ys[0], ys[1] - vy[1])
    return (F.pad(part, pads), True) if any(pads) else (part, False)


def _image_block(image: np.ndarray, padded: tuple[int, int], region: Region) -> np.ndarray:
    """float32 (C, h, w) in [-1, 1] of the padded image over ``region``.

    Padding repeats :func:`~.tiling.pad_to_multiple`: a mirror at the bottom and right,
    or the edge pixels when a side is too short to mirror that far.
    """
    h, w = image.shape[:2]
    mirror = padded[0] - h < h and padded[1] - w < w
    rows = _padded_index(np.arange(region[0], region[1]), h, mirror)
    cols = _padded_index(np.arange(region[2], region[3]), w, mirror)
    block = image[rows[:, None], cols[None, :]]  # (h', w', C)
    return block.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0


def _padded_index(i: np.ndarray, n: int, mirror: bool) -> np.ndarray:
    beyond = 2 * (n - 1) - i if mirror else np.full_like(i, n - 1)
    return np.where(i < n, i, beyond)
