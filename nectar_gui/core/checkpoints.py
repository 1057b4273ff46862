"""Crash-safe checkpoints: safetensors weights, a weights-only training state, meta.json.

A checkpoint folder ``checkpoints/<step:08d>/`` holds ``<net>.safetensors`` per network,
``state.pt`` and ``meta.json``. It is written into a temporary sibling folder, flushed
to disk, renamed into place, and only then named in ``checkpoints/LATEST`` (replaced
atomically). A crash or a full disk at any moment leaves the previous checkpoint and
LATEST as they were.

``state.pt`` is read back with ``torch.load(weights_only=True)``, which never runs code
from the file. So the state may hold only tensors, ``int``/``float``/``bool``/``str``,
``None``, and lists, tuples and dicts (keys ``str`` or ``int``) of those: exactly what
optimizer, scheduler, grad-scaler and ``torch.get_rng_state()`` state dicts contain.
Anything else (numpy arrays or scalars, custom objects) is refused at save time, with
the key path of the offending value, instead of producing a file that cannot be loaded.
"""

from __future__ import annotations

import collections
import errno
import importlib.metadata
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NoReturn

import safetensors.torch
import torch
from torch import Tensor

from nectar_gui.core.evaluation.best import best_name
from nectar_gui.core.rundir import (
    CHECKPOINT_META,
    CHECKPOINT_STATE,
    TMP_PREFIX,
    checkpoint_networks,
    complete_checkpoints,
)

_logger = logging.getLogger(__name__)
FORMAT = "nectar-checkpoint"
FORMAT_VERSION = 1
LATEST = "LATEST"
_NET_NAME = re.compile(r"^[A-Za-z0-9_][\w.\-]*$")
_PLAIN_ERRORS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the disk is read-only",
}
_STATE_LEAVES = (Tensor, torch.nn.Parameter, int, float, bool, str, type(None))
_STATE_DICTS = (dict, collections.OrderedDict)


class CheckpointError(RuntimeError):
    """A checkpoint could not be saved or loaded; the message is meant for the user."""


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: weights per network, the training state and meta.json."""

    path: Path
    step: int
    weights: dict[str, dict[str, Tensor]]
    state: dict[str, Any]
    meta: dict[str, Any]


# ---- saving ------------------------------------------------------------------------------
def save_checkpoint(checkpoints_dir: Path, step: int, *, weights: dict[str, dict[str, Tensor]],
                    state: dict[str, Any], meta: dict[str, Any], keep: int) -> Path:
    """Write checkpoint ``step`` crash-safely, point LATEST at it, prune old ones.

    Args:
        checkpoints_dir: The run's ``checkpoints/`` folder (created if missing).
        step: Training step; names the folder ``<step:08d>``.
        weights: Network name → state dict of tensors (one safetensors file each).
        state: Everything else needed to resume; see the module docstring for what it
            may contain.
        meta: Extra JSON fields for meta.json. By convention ``config`` holds the run's
            config, as ``NectarConfig.to_json()`` text or its parsed dict (stored as an
            object). The fields this function writes itself take precedence.
        keep: How many of the newest checkpoints to keep (at least 1).

    Returns:
        The checkpoint folder.

    Raises:
        CheckpointError: Invalid contents, or the disk refused (full, read-only, no
            permission). The previous checkpoint and LATEST are then unchanged.
    """
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    checkpoints_dir = Path(checkpoints_dir)
    _check_weights(weights)
    _check_state(state)
    meta_text = _meta_json(step, sorted(weights), meta)
    final = checkpoints_dir / f"{step:08d}"
    tmp = checkpoints_dir / f"{TMP_PREFIX}{step}-{os.getpid()}"
    try:
        checkpoints_dir.mkdir(parents=True, exist_ok=True)
        _remove_tree(tmp)
        _write_folder(tmp, weights, state, meta_text)
        _install(tmp, final)
    except Exception as exc:
        raise CheckpointError(f"Could not save checkpoint to {final}: {_plain_reason(exc)}. "
                              f"The previous checkpoint is unchanged.") from exc
    finally:
        _remove_tree(tmp)
    _prune(checkpoints_dir, step, keep)
    return final


def _write_folder(folder: Path, weights: dict[str, dict[str, Tensor]],
                  state: dict[str, Any], meta_text: str) -> None:
    folder.mkdir()
    for name, tensors in weights.items():
        path = folder / f"{name}.safetensors"
        safetensors.torch.save_file(_for_safetensors(tensors), path)
        _fsync_file(path)
    with (folder / CHECKPOINT_STATE).open("wb") as handle:
        torch.save(state, handle)
        _flush_to_disk(handle)
    with (folder / CHECKPOINT_META).open("w", encoding="utf-8") as text:
        text.write(meta_text)
        _flush_to_disk(text)
    _fsync_dir(folder)


def _for_safetensors(tensors: dict[str, Tensor]) -> dict[str, Tensor]:
    """CPU tensors safetensors accepts: it refuses views and shared storage.

    A CPU tensor that owns all of its contiguous storage is written as it is: saving
    happens between steps, so nothing changes it meanwhile, and copying it would add
    the whole network's size to the run's peak memory (218 MB for pix2pix's U-Net).
    Anything else (GPU tensors, views, shared storage) is copied.
    """
    out: dict[str, Tensor] = {}
    seen: set[int] = set()
    for key, tensor in tensors.items():
        t = tensor.detach()
        shared = t.device.type == "cpu" and t.untyped_storage().data_ptr() in seen
        if _owns_storage(t) and not shared:
            seen.add(t.untyped_storage().data_ptr())
            out[key] = t
        else:
            out[key] = t.to(device="cpu", memory_format=torch.contiguous_format, copy=True)
    return out


def _owns_storage(t: Tensor) -> bool:
    """A contiguous CPU tensor that is the whole of its storage (no view, no sharing)."""
    return bool(t.device.type == "cpu" and t.is_contiguous() and t.storage_offset() == 0
                and t.untyped_storage().nbytes() == t.numel() * t.element_size())


def _install(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final``, then point LATEST at it; undo both if LATEST fails.

    A folder already called ``final`` (an earlier attempt at the same step) is moved
    aside first and removed only once LATEST is written. Directories cannot be swapped
    atomically everywhere, so a crash between the two renames leaves ``final`` missing;
    ``latest_checkpoint`` then falls back to the newest complete folder.
    """
    aside = tmp.with_name(tmp.name + "-old")
    _remove_tree(aside)
    had_old = final.exists()
    if had_old:
        os.replace(final, aside)
    try:
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        _write_latest(final.parent, final.name)
    except BaseException:
        if final.exists():
            os.replace(final, tmp)  # removed by the caller's cleanup
        if had_old:
            os.replace(aside, final)
        raise
    _remove_tree(aside)
    try:  # LATEST is in place; failing to make its rename durable is no reason to undo it
        _fsync_dir(final.parent)
    except OSError as exc:
        _logger.warning("Could not flush %s to disk: %s", final.parent, exc)


def _write_latest(checkpoints_dir: Path, name: str) -> None:
    tmp = checkpoints_dir / f"{TMP_PREFIX}{LATEST}-{os.getpid()}"
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(name + "\n")
            _flush_to_disk(handle)
        os.replace(tmp, checkpoints_dir / LATEST)
    finally:
        tmp.unlink(missing_ok=True)


def _prune(checkpoints_dir: Path, step: int, keep: int) -> None:
    """Keep the newest ``keep`` checkpoints up to ``step``; drop temporary leftovers.

    Checkpoints with a *higher* step than the one just saved belong to a history the
    run abandoned when it resumed from an earlier checkpoint (its metrics were cut back
    the same way), so they go too. The folders LATEST and BEST name are never removed.
    """
    try:
        protected = {_read_latest(checkpoints_dir), best_name(checkpoints_dir)}
        complete = complete_checkpoints(checkpoints_dir)
        done = [p for p in complete if int(p.name) <= step]
        stale = [p for p in complete if int(p.name) > step]
        leftovers = [p for p in checkpoints_dir.iterdir() if p.name.startswith(TMP_PREFIX)]
    except OSError as exc:
        _logger.warning("Could not prune old checkpoints in %s: %s", checkpoints_dir, exc)
        return
    for path in [*done[:-keep], *stale, *leftovers]:
        if path.name not in protected:
            _remove_tree(path)


# ---- loading -----------------------------------------------------------------------------
def load_checkpoint(path: Path, *, map_location: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint folder without running any code stored in it.

    Raises:
        CheckpointError: The folder or one of its files is missing, damaged or not
            from Nectar; the message names the file and the problem.
    """
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"Cannot load checkpoint {path}: the folder does not exist")
    meta = _read_meta(path)
    device = str(map_location)
    weights = {name: _load_weights(path, name, device) for name in meta["networks"]}
    return Checkpoint(path=path, step=meta["step"], weights=weights,
                      state=_load_state(path, map_location), meta=meta)


def _read_meta(folder: Path) -> dict[str, Any]:
    file = folder / CHECKPOINT_META
    if not file.is_file():
        _fail(folder, f"not a Nectar checkpoint: {CHECKPOINT_META} missing")
    try:
        meta = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _fail(folder, f"{CHECKPOINT_META} is damaged: {exc}")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        _fail(folder, f"not a Nectar checkpoint: {CHECKPOINT_META} has no Nectar format mark")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        _fail(folder, f"checkpoint format {version!r} is not one this version reads "
                      f"(≤ {FORMAT_VERSION}); it may come from a newer Nectar GUI")
    nets = meta.get("networks")
    if not isinstance(meta.get("step"), int) or not isinstance(nets, list) or not all(
            isinstance(n, str) and _NET_NAME.match(n) for n in nets):
        _fail(folder, f"{CHECKPOINT_META} is damaged: step or networks missing or invalid")
    return meta


def _load_weights(folder: Path, name: str, device: str) -> dict[str, Tensor]:
    file = folder / f"{name}.safetensors"
    if not file.is_file():
        _fail(folder, f"{file.name} missing")
    try:
        return safetensors.torch.load_file(file, device=device)
    except Exception as exc:
        _fail(folder, f"{file.name} is damaged: {_first_line(exc)}")


def _load_state(folder: Path, map_location: str | torch.device) -> dict[str, Any]:
    file = folder / CHECKPOINT_STATE
    if not file.is_file():
        _fail(folder, f"{CHECKPOINT_STATE} missing")
    try:
        state = torch.load(file, map_location=map_location, weights_only=True)
    except Exception as exc:
        _fail(folder, _state_problem(exc))
    if not isinstance(state, dict):
        _fail(folder, f"{CHECKPOINT_STATE} is damaged: it holds {type(state).__name__}, "
                      f"not a dict")
    return state


def unsafe_global(exc: BaseException) -> str | None:
    """The class torch.load(weights_only=True) refused to unpickle, when that was the error."""
    found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
    return found.group(1) if found else None


def _state_problem(exc: Exception) -> str:
    """Say what torch.load's long weights-only message boils down to."""
    foreign = unsafe_global(exc)
    if foreign:
        return (f"{CHECKPOINT_STATE} holds a {foreign} object, which is never "
                f"loaded because loading it could run code (not a Nectar training state)")
    detail = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", str(exc))
    return f"{CHECKPOINT_STATE} is damaged: {detail.group(1) if detail else _first_line(exc)}"


def _fail(folder: Path, problem: str) -> NoReturn:
    raise CheckpointError(f"Cannot load checkpoint {folder}: {problem}")


# ---- finding -----------------------------------------------------------------------------
def list_checkpoints(checkpoints_dir: Path) -> list[Path]:
    """Complete checkpoint folders, oldest step first."""
    return complete_checkpoints(Path(checkpoints_dir))


def latest_checkpoint(checkpoints_dir: Path) -> Path | None:
    """The checkpoint to resume from: LATEST's folder if complete, else the newest one.

    The fallback covers a lost LATEST file and a crash while an existing folder of
    the same step was being replaced.
    """
    checkpoints_dir = Path(checkpoints_dir)
    named = _read_latest(checkpoints_dir)
    if named and checkpoint_networks(checkpoints_dir / named) is not None:
        return checkpoints_dir / named
    complete = complete_checkpoints(checkpoints_dir)
    return complete[-1] if complete else None


def _read_latest(checkpoints_dir: Path) -> str | None:
    try:
        name = (checkpoints_dir / LATEST).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name if name.isdigit() else None


# ---- validation --------------------------------------------------------------------------
def _check_weights(weights: dict[str, dict[str, Tensor]]) -> None:
    if not weights:
        raise CheckpointError("A checkpoint needs the weights of at least one network")
    for name, tensors in weights.items():
        if not isinstance(name, str) or not _NET_NAME.match(name):
            raise CheckpointError(f"Network name {name!r} cannot be a file name; use "
                                  f"letters, digits, _ . -")
        for key, value in tensors.items():
            if not isinstance(value, Tensor):
                raise CheckpointError(f"Weights of {name!r} hold {type(value).__name__} at "
                                      f"{key!r}; only tensors go into safetensors files")


def _check_state(state: dict[str, Any]) -> None:
    """Refuse values that ``torch.load(weights_only=True)`` could not read back."""
    if type(state) not in _STATE_DICTS:
        raise CheckpointError(f"Checkpoint state must be a dict, got {type(state).__name__}")
    _check_state_value(state, "state")


def _check_state_value(value: Any, where: str) -> None:
    kind = type(value)
    if kind in _STATE_DICTS:
        for key, item in value.items():
            if type(key) not in (str, int):
                raise CheckpointError(f"Checkpoint state has the {type(key).__name__} key "
                                      f"{key!r} in {where}; dict keys must be str or int")
            _check_state_value(item, f"{where}[{key!r}]")
    elif kind in (list, tuple):
        for index, item in enumerate(value):
            _check_state_value(item, f"{where}[{index}]")
    elif kind not in _STATE_LEAVES:
        raise CheckpointError(
            f"Checkpoint state holds a {kind.__module__}.{kind.__qualname__} at {where}; "
            f"it may hold only tensors, numbers, strings, None and lists/tuples/dicts of "
            f"them (convert it, e.g. with torch.as_tensor or .tolist())")


def _meta_json(step: int, networks: list[str], extra: dict[str, Any]) -> str:
    created = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        meta = dict(extra)
        if isinstance(meta.get("config"), str):
            meta["config"] = json.loads(meta["config"])
        meta.update(format=FORMAT, format_version=FORMAT_VERSION, step=step, created=created,
                    networks=networks, nectar_version=_nectar_version())
        return json.dumps(meta, indent=2, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"Checkpoint meta is not plain JSON: {exc}") from None


def _nectar_version() -> str:
    try:
        return importlib.metadata.version("nectar-gui")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# ---- disk helpers --------------------------------------------------------------------------
def _plain_reason(exc: BaseException) -> str:
    """A short lowercase reason; safetensors reports I/O errors as text ("os error 28")."""
    code = exc.errno if isinstance(exc, OSError) else None
    found = re.search(r"os error (\d+)", str(exc))
    if code is None and found:
        code = int(found.group(1))
    if code in _PLAIN_ERRORS:
        return _PLAIN_ERRORS[code]
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _flush_to_disk(handle: IO[Any]) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _fsync_file(path: Path) -> None:
    with path.open("r+b") as handle:  # Windows can only fsync a handle open for writing
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable; Windows cannot open folders, and NTFS needs no help."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_tree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)
