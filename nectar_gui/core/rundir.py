"""The run directory: the one format the GUI, the CLI and cluster jobs write and read.

Layout (see ARCHITECTURE.md, "The run directory is the contract")::

    config.json              full validated config (NectarConfig.to_json())
    metrics.jsonl            one JSON object per logged point (format below)
    samples/<step:08d>.png   sample grid as the user sees it
    samples/<step:08d>.npz   raw images, D patch maps, receptive field, meta
    checkpoints/<step:08d>/  written by ``nectar_gui.core.checkpoints``
    checkpoints/LATEST       name of the newest complete checkpoint
    checkpoints/BEST         name of the best checkpoint (``core.evaluation.best``)
    val.jsonl                one line per validation (``core.evaluation.records``)
    probes/                  probe images and their translations (``core.evaluation.probes``)
    log.txt                  timestamped log lines

A metrics line is exactly ``{"step": int, "epoch": int, "time": float, "losses":
{name: float}, "lrs": {name: float}}``, plus ``"d_health": {name: float}`` when the run
records D-health signals (``core.training.d_health``; runs from before them have none).
NaN and ±inf are not valid JSON, so they are written as ``null``; ``RunReader`` turns
them back into NaN so every value is a float.

This module imports no torch: the UI reads runs with it, including runs that another
process is still writing. Every file a reader might open mid-write is either appended
line by line (metrics, log) or written to a temporary name and renamed into place.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np
from PIL import Image

from nectar_gui.core.evaluation.records import ValidationRecord, parse_validation_line
from nectar_gui.core.line_tail import LineTail
from nectar_gui.core.sample_grid import (
    SampleRecord,
    decode_sample_npz,
    encode_sample_npz,
    make_sample_grid,
)
from nectar_gui.core.training.reports import LossReport, SampleReport

__all__ = ["RunDirError", "RunPaths", "RunReader", "RunWriter", "SampleRecord",
           "check_run_folder"]

_logger = logging.getLogger(__name__)

CHECKPOINT_META = "meta.json"
CHECKPOINT_STATE = "state.pt"
TMP_PREFIX = ".tmp-"
_STEP_NAME = re.compile(r"^\d{8,}$")
VAL_LOG = "val.jsonl"


class RunDirError(ValueError):
    """A folder is not a usable run folder; the message says which file and why."""


@dataclass(frozen=True)
class RunPlan:
    """How many steps a run is meant to take (``plan.json``)."""

    total_steps: int
    steps_per_epoch: int


@dataclass(frozen=True)
class RunPaths:
    """Every path of the run layout, derived from the run's root folder."""

    root: Path
    config: Path = field(init=False)
    metrics: Path = field(init=False)
    samples: Path = field(init=False)
    checkpoints: Path = field(init=False)
    latest: Path = field(init=False)
    log: Path = field(init=False)
    plan: Path = field(init=False)

    def __post_init__(self) -> None:
        root = Path(self.root)
        layout = {"root": root, "config": root / "config.json", "log": root / "log.txt",
                  "metrics": root / "metrics.jsonl", "samples": root / "samples",
                  "checkpoints": root / "checkpoints", "latest": root / "checkpoints/LATEST",
                  "plan": root / "plan.json"}
        for name, path in layout.items():
            object.__setattr__(self, name, path)  # frozen: derived fields set once here

    def sample_png(self, step: int) -> Path:
        return self.samples / f"{step:08d}.png"

    def sample_npz(self, step: int) -> Path:
        return self.samples / f"{step:08d}.npz"


# ---- checkpoint folders (torch-free, so the reader can list them) ---------------------
def checkpoint_networks(folder: Path) -> list[str] | None:
    """Network names of a *complete* checkpoint folder, or None if it is incomplete.

    Complete means meta.json parses and lists its networks, and state.pt plus one
    ``<net>.safetensors`` per listed network are all present.
    """
    try:
        meta = json.loads((folder / CHECKPOINT_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    nets = meta.get("networks") if isinstance(meta, dict) else None
    if not isinstance(nets, list) or not all(isinstance(n, str) for n in nets):
        return None
    files = [CHECKPOINT_STATE, *(f"{n}.safetensors" for n in nets)]
    return nets if all((folder / f).is_file() for f in files) else None


def complete_checkpoints(checkpoints_dir: Path) -> list[Path]:
    """Complete ``<step:08d>`` checkpoint folders, oldest step first."""
    found = [p for p in _step_entries(checkpoints_dir, "")
             if p.is_dir() and checkpoint_networks(p) is not None]
    return sorted(found, key=lambda p: int(p.name))


def _step_entries(folder: Path, suffix: str) -> list[Path]:
    """Entries named ``<digits><suffix>`` (temporary files never match)."""
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir()
            if p.name.endswith(suffix) and _STEP_NAME.match(p.name.removesuffix(suffix))]


# ---- small file helpers ----------------------------------------------------------------
def replace_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` next to ``target``, then rename it over ``target`` in one step."""
    tmp = target.with_name(f"{TMP_PREFIX}{os.getpid()}-{target.name}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def metrics_record(report: LossReport) -> dict[str, Any]:
    """The JSON object for one metrics line (non-finite floats become None → null)."""
    record: dict[str, Any] = {
        "step": int(report.step),
        "epoch": int(report.epoch),
        "time": _finite_or_none(report.wall_time),
        "losses": {k: _finite_or_none(v) for k, v in report.losses.items()},
        "lrs": {k: _finite_or_none(v) for k, v in report.lrs.items()},
    }
    if report.d_health:
        record["d_health"] = {k: _finite_or_none(v) for k, v in report.d_health.items()}
    return record


def parse_metrics_line(line: bytes) -> dict[str, Any] | None:
    """Parse one metrics line, or return None (and log why) when it is not one."""
    try:
        obj = json.loads(line)
    except ValueError as exc:
        _logger.warning("Skipping a damaged line in metrics.jsonl: %s", exc)
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("step"), int):
        _logger.warning("Skipping a line in metrics.jsonl without an integer step: %.80r", line)
        return None
    for group in ("losses", "lrs", "d_health"):
        values = obj.get(group)
        if isinstance(values, dict):
            obj[group] = {k: math.nan if v is None else v for k, v in values.items()}
    return obj


# ---- writer ------------------------------------------------------------------------------
class RunWriter:
    """Writes one run folder; used by the process that trains.

    Create it with ``RunWriter.create``. Metrics and log lines are appended and flushed
    at once so a reader in another process sees them promptly; samples appear
    atomically (NPZ first, then PNG).
    """

    def __init__(self, paths: RunPaths) -> None:
        self.paths = paths
        self._metrics: IO[bytes] = self._open_append(paths.metrics)
        self._log: IO[bytes] = self._open_append(paths.log)
        self._made: Path | None = None  # outermost folder ``create`` made for a new run
        self._new = False

    @classmethod
    def create(cls, root: Path, config_json: str, *, resume: bool = False) -> RunWriter:
        """Create (or, with ``resume``, reopen) the run folder and write config.json.

        A new run needs a missing or empty folder, so two runs never mix their files.
        Resuming needs an existing run; call ``truncate_after(step)`` with the step of
        the checkpoint resumed from so the history matches the restored state.
        """
        root = Path(root)
        check_run_folder(root, resume=resume)
        made = None if resume else _outermost_missing(root)
        paths = RunPaths(root)
        for folder in (root, paths.samples, paths.checkpoints):
            folder.mkdir(parents=True, exist_ok=True)
        replace_atomically(paths.config, config_json.encode("utf-8"))
        writer = cls(paths)
        writer._made, writer._new = made, not resume
        return writer

    def write_metrics(self, report: LossReport) -> None:
        """Append one metrics line and flush it."""
        line = json.dumps(metrics_record(report), allow_nan=False) + "\n"
        self._metrics.write(line.encode("utf-8"))
        self._metrics.flush()

    def write_plan(self, *, total_steps: int, steps_per_epoch: int) -> None:
        """Record how long the run is meant to go (``plan.json``), so a reader that opens
        or follows the folder can show progress and an ETA; rewritten on resume."""
        plan = {"total_steps": total_steps, "steps_per_epoch": steps_per_epoch}
        replace_atomically(self.paths.plan, (json.dumps(plan) + "\n").encode("utf-8"))

    def write_sample(self, report: SampleReport) -> Path:
        """Write the sample's NPZ, then its PNG grid; returns the PNG path."""
        png, npz = self.paths.sample_png(report.step), self.paths.sample_npz(report.step)
        buffer = io.BytesIO()  # the grid first: it checks the images before anything is written
        Image.fromarray(make_sample_grid(report.images)).save(buffer, format="PNG")
        replace_atomically(npz, encode_sample_npz(report))
        replace_atomically(png, buffer.getvalue())
        return png

    def log(self, message: str) -> None:
        """Append a timestamped line to log.txt and flush it."""
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        self._log.write(f"{stamp} {message}\n".encode())
        self._log.flush()

    def truncate_after(self, step: int) -> None:
        """Drop metrics lines and samples with a step above ``step``.

        Used when resuming from a checkpoint: whatever was logged after it belongs to a
        history the run no longer has. Readers notice the rewrite and start over.
        """
        self._metrics.close()
        try:
            data = self.paths.metrics.read_bytes()
            kept = b"".join(ln for ln in data.splitlines(keepends=True)
                            if ln.endswith(b"\n") and _line_step(ln) <= step)
            if kept != data:
                replace_atomically(self.paths.metrics, kept)
        finally:
            self._metrics = self._open_append(self.paths.metrics)
        for path in _step_entries(self.paths.samples, ".png") + _step_entries(
                self.paths.samples, ".npz"):
            if int(path.name[:-4]) > step:
                path.unlink(missing_ok=True)

    def close(self) -> None:
        """Close the files (safe to call twice)."""
        self._metrics.close()
        self._log.close()

    def discard(self) -> None:
        """Close, and delete a new run that never got going; a resumed run is kept.

        Removes only what ``create`` made: the run folder if it created it (and the
        parent folders it created, while they are empty: another run may have started
        in one), else the files it wrote into the empty folder it was given.
        """
        self.close()
        root = self.paths.root
        if not self._new:
            return
        if self._made is None:
            for entry in root.iterdir():
                _remove(entry)
            return
        shutil.rmtree(root, ignore_errors=True)
        for parent in root.parents:
            if not parent.is_relative_to(self._made):
                break
            try:
                parent.rmdir()
            except OSError:
                break

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @staticmethod
    def _open_append(path: Path) -> IO[bytes]:
        """Open for appending; end a partial last line a crashed writer left behind."""
        handle = path.open("ab")
        if handle.tell() > 0:
            with path.open("rb") as check:
                check.seek(-1, os.SEEK_END)
                if check.read(1) != b"\n":
                    handle.write(b"\n")
                    handle.flush()
        return handle


def check_run_folder(root: Path, *, resume: bool) -> None:
    """Raise RunDirError unless ``root`` can hold a new run (or, with ``resume``, is one).

    ``RunWriter.create`` checks this too; call it first to fail before slow set-up work.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise RunDirError(f"{root} is a file, not a folder; choose a folder for the run")
    is_run = RunReader.is_run_dir(root)
    if resume and not is_run:
        raise RunDirError(f"Cannot resume in {root}: it is not a run folder "
                          f"(config.json is missing)")
    if not resume and is_run:
        raise RunDirError(f"{root} already holds a run; resume it or choose a new run name")
    if not resume and root.exists() and any(root.iterdir()):
        raise RunDirError(f"{root} is not empty and is not a run folder; choose an empty "
                          f"folder or a new run name")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _outermost_missing(path: Path) -> Path | None:
    """The outermost folder on the way to ``path`` that does not exist yet, if any."""
    missing = None
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing = folder
    return missing


def _line_step(line: bytes) -> float:
    """Step of a metrics line; damaged lines count as infinitely late (dropped)."""
    try:
        step = json.loads(line).get("step")
    except (ValueError, AttributeError):
        return math.inf
    return step if isinstance(step, int) else math.inf


# ---- reader ------------------------------------------------------------------------------
class RunReader:
    """Reads a run folder, finished or still being written by another process.

    ``read_new_metrics`` is incremental: it returns only lines completed since the last
    call. If the file was rewritten (a resumed run truncated it), it starts over and sets
    ``restarted`` so the caller can drop what it had.
    """

    def __init__(self, root: Path) -> None:
        self.paths = RunPaths(Path(root))
        self._offset = 0
        self._last_line = b""
        self.restarted = False
        self._validations = LineTail(self.paths.root / VAL_LOG)

    @staticmethod
    def is_run_dir(path: Path) -> bool:
        """True if ``path`` holds a run (it has a config.json)."""
        return (Path(path) / "config.json").is_file()

    def config(self) -> dict[str, Any]:
        """The raw config.json contents; validating them is the caller's job."""
        path = self.paths.config
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RunDirError(f"{self.paths.root} is not a run folder: config.json is "
                              f"missing") from None
        except (OSError, ValueError) as exc:
            raise RunDirError(f"{path} could not be read as JSON: {exc}") from None
        if not isinstance(data, dict):
            raise RunDirError(f"{path} does not hold a JSON object")
        return data

    def plan(self) -> RunPlan | None:
        """The planned length from ``plan.json``; None for older runs or a bad file."""
        try:
            data = json.loads(self.paths.plan.read_text(encoding="utf-8"))
            return RunPlan(total_steps=int(data["total_steps"]),
                           steps_per_epoch=int(data["steps_per_epoch"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def read_new_metrics(self) -> list[dict[str, Any]]:
        """Metrics lines completed since the previous call (a partial line waits).

        The last line already returned is read again and compared: if it is no longer
        where it was, the file was truncated or replaced, so reading starts over.
        """
        data = self._read_metrics_from(self._offset - len(self._last_line))
        self.restarted = not data.startswith(self._last_line)
        if self.restarted:
            self._offset, self._last_line = 0, b""
            data = self._read_metrics_from(0)
        return self._consume(data[len(self._last_line):])

    def all_metrics(self) -> list[dict[str, Any]]:
        """Every complete metrics line, read afresh (does not move the incremental offset)."""
        try:
            data = self.paths.metrics.read_bytes()
        except FileNotFoundError:
            return []
        return _parse_lines(data[:data.rfind(b"\n") + 1])

    def sample_steps(self) -> list[int]:
        """Steps that have a sample (PNG, NPZ or both), ascending."""
        entries = (_step_entries(self.paths.samples, ".png")
                   + _step_entries(self.paths.samples, ".npz"))
        return sorted({int(p.name[:-4]) for p in entries})

    def load_sample(self, step: int) -> SampleRecord:
        """Load one sample; falls back to the PNG grid when the NPZ is missing."""
        npz, png = self.paths.sample_npz(step), self.paths.sample_png(step)
        if npz.is_file():
            try:
                return decode_sample_npz(npz.read_bytes(), step)
            except (OSError, ValueError) as exc:
                raise RunDirError(f"Sample file {npz} is damaged: {exc}") from None
        if png.is_file():
            with Image.open(png) as image:
                grid = np.asarray(image.convert("RGB")).copy()
            return SampleRecord(step=step, epoch=None, images={"grid": grid})
        raise RunDirError(f"No sample for step {step} in {self.paths.samples}")

    def checkpoint_steps(self) -> list[int]:
        """Steps of the complete checkpoints, ascending."""
        return [int(p.name) for p in complete_checkpoints(self.paths.checkpoints)]

    # ---- validation (val.jsonl; BEST: core.evaluation.best; probes: core.evaluation.probes) -
    def read_new_validations(self) -> list[ValidationRecord]:
        """val.jsonl records completed since the previous call; like ``read_new_metrics``,
        ``validations_restarted`` tells when the file was rewritten and reading started over."""
        return _validation_records(self._validations.read_new())

    @property
    def validations_restarted(self) -> bool:
        return self._validations.restarted

    def all_validations(self) -> list[ValidationRecord]:
        """Every complete val.jsonl record, read afresh."""
        return _validation_records(self._validations.read_all())

    def _read_metrics_from(self, offset: int) -> bytes:
        try:
            with self.paths.metrics.open("rb") as handle:
                handle.seek(offset)
                return handle.read()
        except FileNotFoundError:
            return b""

    def _consume(self, data: bytes) -> list[dict[str, Any]]:
        complete = data[:data.rfind(b"\n") + 1]
        if complete:
            self._offset += len(complete)
            self._last_line = complete[complete.rstrip(b"\n").rfind(b"\n") + 1:]
        return _parse_lines(complete)


def _validation_records(lines: list[bytes]) -> list[ValidationRecord]:
    records = (parse_validation_line(ln) for ln in lines)
    return [r for r in records if r is not None]


def _parse_lines(data: bytes) -> list[dict[str, Any]]:
    records = (parse_metrics_line(ln) for ln in data.splitlines() if ln.strip())
    return [r for r in records if r is not None]
