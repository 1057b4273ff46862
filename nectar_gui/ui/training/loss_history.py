"""The loss history behind the loss plot: growing numpy columns, EMA smoothing, CSV.

Qt-free, so it is tested and reused without a widget. Rows are logged points in step
order; a point whose step is not above the last one means the run went back (a resume
from an earlier checkpoint), so the rows from that step on are dropped first, the same
way the run folder drops them.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

_FIXED_COLUMNS = ("step", "epoch", "time")
_LR_PREFIX = "lr/"
_MAX_EXPONENT = 500.0  # weight**-k stays below e**500 inside one EMA block (no overflow)


def _names_in_order(groups: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every key of the dicts, in order of first appearance (fast when all agree)."""
    names = list(groups[0]) if groups else []
    extra = set().union(*groups) - set(names)
    if extra:
        names += [n for n in dict.fromkeys(n for g in groups for n in g) if n in extra]
    return names


class _Column:
    """A float64 array that grows by doubling, so appends are amortised O(1)."""

    def __init__(self, fill: float = math.nan) -> None:
        self.fill = fill
        self.data = np.empty(0, dtype=np.float64)

    def ensure(self, capacity: int) -> None:
        if capacity > self.data.size:
            grown = np.full(max(capacity, 2 * self.data.size, 1024), self.fill)
            grown[:self.data.size] = self.data
            self.data = grown

    def write(self, start: int, values: np.ndarray) -> None:
        self.ensure(start + values.size)
        self.data[start:start + values.size] = values

    def blank_from(self, start: int) -> None:
        self.data[start:] = self.fill


def ema(values: np.ndarray, weight: float, state: float = math.nan) -> tuple[np.ndarray, float]:
    """Exponential moving average ``y[i] = weight * y[i-1] + (1 - weight) * x[i]``.

    Non-finite values are skipped (they stay NaN in the result, a gap in the curve).
    ``state`` is the smoothed value before ``values[0]``; NaN starts at the first value.

    Returns:
        The smoothed values and the state after the last one, to continue later.
    """
    out = np.full(values.shape, math.nan)
    index = np.flatnonzero(np.isfinite(values))
    if index.size == 0 or weight <= 0.0:
        out[index] = values[index]
        return out, (float(values[index[-1]]) if index.size else state)
    x = values[index]
    state = float(x[0]) if math.isnan(state) else state
    smooth = np.empty_like(x)
    # Closed form within a block: y_i = w^i * (w*s + (1-w) * cumsum_j(w^-j * x_j)).
    block = max(1, int(_MAX_EXPONENT / -math.log(weight)))
    for start in range(0, x.size, block):
        chunk = x[start:start + block]
        powers = weight ** np.arange(chunk.size, dtype=np.float64)
        smooth[start:start + chunk.size] = powers * (
            weight * state + (1.0 - weight) * np.cumsum(chunk / powers))
        state = float(smooth[start + chunk.size - 1])
    out[index] = smooth
    return out, state


class _EmaCache:
    """Smoothed copy of one column, extended as rows arrive instead of recomputed."""

    def __init__(self, weight: float) -> None:
        self.weight = weight
        self.done = 0
        self.state = math.nan
        self.column = _Column()

    def update(self, raw: np.ndarray) -> np.ndarray:
        smooth, self.state = ema(raw[self.done:], self.weight, self.state)
        self.column.write(self.done, smooth)
        self.done = raw.size
        return self.column.data[:self.done]


class LossHistory:
    """Every logged loss and learning rate of a run, as columns indexed by row.

    ``steps()``, ``values(name)`` and ``smoothed(name, weight)`` return views of the
    first ``len(self)`` rows; they stay valid but go stale once more rows arrive.
    """

    def __init__(self) -> None:
        self._rows = 0
        self._steps = _Column()
        self._epochs = _Column()
        self._times = _Column()
        self._losses: dict[str, _Column] = {}
        self._lrs: dict[str, _Column] = {}
        self._ema: dict[str, _EmaCache] = {}  # by loss name, for the current weight

    def __len__(self) -> int:
        return self._rows

    @property
    def loss_names(self) -> list[str]:
        """Loss names in the order they first appeared."""
        return list(self._losses)

    @property
    def lr_names(self) -> list[str]:
        return list(self._lrs)

    def clear(self) -> None:
        """Forget every row and every name."""
        self._rows = 0
        for column in (self._steps, self._epochs, self._times):
            column.data = column.data[:0]
        self._losses.clear()
        self._lrs.clear()
        self._ema.clear()

    def append(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Add metrics dicts (``{"step", "epoch", "time", "losses", "lrs"}``)."""
        steps = np.fromiter((r["step"] for r in records), dtype=np.float64, count=len(records))
        bounds = [0, *(np.flatnonzero(np.diff(steps) <= 0) + 1).tolist(), len(records)]
        for start, stop in itertools.pairwise(bounds):  # runs of increasing steps
            self._append_run(records[start:stop], steps[start:stop])

    def _append_run(self, records: Sequence[Mapping[str, Any]], steps: np.ndarray) -> None:
        """Append records whose steps strictly increase."""
        if not records:
            return
        self.truncate_before(int(steps[0]))
        first = self._rows
        self._steps.write(first, steps)
        # None → NaN: numpy converts None to NaN when the dtype is float
        self._epochs.write(first, np.array([r.get("epoch") for r in records], dtype=float))
        self._times.write(first, np.array([r.get("time") for r in records], dtype=float))
        for key, columns in (("losses", self._losses), ("lrs", self._lrs)):
            groups = [r.get(key) or {} for r in records]
            for name in _names_in_order(groups):
                values = np.array([g.get(name) for g in groups], dtype=float)
                columns.setdefault(name, _Column()).write(first, values)
        self._rows += len(records)
        for column in (*self._losses.values(), *self._lrs.values()):
            column.ensure(self._rows)  # names missing from these records stay NaN

    def truncate_before(self, step: int) -> None:
        """Drop the rows at ``step`` and after."""
        keep = int(np.searchsorted(self.steps(), step, side="left"))
        if keep == self._rows:
            return
        self._rows = keep
        for column in (self._steps, self._epochs, self._times,
                       *self._losses.values(), *self._lrs.values()):
            column.blank_from(keep)
        self._ema.clear()

    def steps(self) -> np.ndarray:
        return self._steps.data[:self._rows]

    def epochs(self) -> np.ndarray:
        return self._epochs.data[:self._rows]

    def values(self, name: str) -> np.ndarray:
        """Raw values of one loss (NaN where it was not logged)."""
        return self._losses[name].data[:self._rows]

    def lr_values(self, name: str) -> np.ndarray:
        return self._lrs[name].data[:self._rows]

    def smoothed(self, name: str, weight: float) -> np.ndarray:
        """EMA-smoothed values of one loss; the raw view when ``weight`` is 0."""
        if weight <= 0.0:
            return self.values(name)
        if weight >= 1.0:
            raise ValueError(f"smoothing weight must be below 1, got {weight}")
        cache = self._ema.get(name)
        if cache is None or cache.weight != weight or cache.done > self._rows:
            cache = self._ema[name] = _EmaCache(weight)
        return cache.update(self.values(name))

    def nearest_row(self, step: float) -> int | None:
        """The row whose step is closest to ``step``; None when empty."""
        steps = self.steps()
        if steps.size == 0:
            return None
        right = int(np.searchsorted(steps, step))
        candidates = [i for i in (right - 1, right) if 0 <= i < steps.size]
        return min(candidates, key=lambda i: abs(float(steps[i]) - step))

    def epoch_starts(self) -> tuple[np.ndarray, np.ndarray]:
        """Steps and epochs of the first row of every epoch after the first one."""
        epochs = self.epochs()
        rows = np.flatnonzero(np.diff(epochs) != 0) + 1
        rows = rows[np.isfinite(epochs[rows])]
        return self.steps()[rows], epochs[rows]

    def write_csv(self, path: Path) -> None:
        """Write every row: step, epoch, time, one column per loss, ``lr/<name>`` per LR."""
        header = [*_FIXED_COLUMNS, *self._losses, *(_LR_PREFIX + n for n in self._lrs)]
        columns: list[Iterable[Any]] = [
            self.steps().astype(np.int64).tolist(),
            [None if math.isnan(e) else int(e) for e in self.epochs().tolist()],
            self._times.data[:self._rows].tolist(),
            *(self.values(n).tolist() for n in self._losses),
            *(self.lr_values(n).tolist() for n in self._lrs),
        ]
        with Path(path).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(zip(*columns, strict=True))


def read_loss_csv(path: Path) -> list[dict[str, Any]]:
    """Read a file written by ``LossHistory.write_csv`` back as metrics dicts."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(header[:3]) != _FIXED_COLUMNS:
            raise ValueError(f"{path} is not a loss CSV: the first columns must be "
                             f"{', '.join(_FIXED_COLUMNS)}")
        return [_csv_record(header, row) for row in reader if row]


def _csv_record(header: Sequence[str], row: Sequence[str]) -> dict[str, Any]:
    epoch = row[1]
    record: dict[str, Any] = {"step": int(row[0]), "epoch": int(epoch) if epoch else None,
                              "time": float(row[2]), "losses": {}, "lrs": {}}
    for name, cell in zip(header[3:], row[3:], strict=True):
        if name.startswith(_LR_PREFIX):
            record["lrs"][name.removeprefix(_LR_PREFIX)] = float(cell)
        else:
            record["losses"][name] = float(cell)
    return record
