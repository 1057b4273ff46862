"""Checkpoints: round trip, crash safety, pruning, and plain errors for bad folders."""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.torch
import torch
from torch import nn

from nectar_gui.core import checkpoints as ckpt
from nectar_gui.core.checkpoints import (
    CheckpointError,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from nectar_gui.core.config import NectarConfig


def _trained_pair() -> tuple[nn.Module, torch.optim.Adam]:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.InstanceNorm2d(4, affine=True), nn.Conv2d(4, 1, 1))
    opt = torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.5, 0.999))
    net(torch.randn(1, 3, 8, 8)).mean().backward()
    opt.step()
    return net, opt


def _save(folder: Path, step: int, keep: int = 3, **weights: Any) -> Path:
    weights = weights or {"G": {"w": torch.full((2, 2), float(step))}}
    return save_checkpoint(folder, step, weights=weights, state={"step": step}, meta={},
                           keep=keep)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_round_trip_restores_weights_optimizer_rng_and_counters(tmp_path: Path) -> None:
    net, opt = _trained_pair()
    rng = torch.get_rng_state()
    state = {"optimizers": {"G": opt.state_dict()}, "rng": {"torch": rng}, "epoch": 3,
             "pool": [torch.zeros(1, 3, 4, 4)], "note": None}
    config = NectarConfig().to_json()
    path = save_checkpoint(tmp_path, 1000, weights={"G_A": net.state_dict()}, state=state,
                           meta={"config": config}, keep=3)

    loaded = load_checkpoint(path)

    assert path.name == "00001000" and loaded.step == 1000
    for key, value in net.state_dict().items():
        assert torch.equal(loaded.weights["G_A"][key], value)
    assert torch.equal(loaded.state["rng"]["torch"], rng)
    assert loaded.state["epoch"] == 3 and loaded.state["note"] is None
    fresh_net, _ = _trained_pair()
    fresh_opt = torch.optim.Adam(fresh_net.parameters())
    fresh_opt.load_state_dict(loaded.state["optimizers"]["G"])
    assert fresh_opt.state_dict()["param_groups"][0]["betas"] == (0.5, 0.999)
    assert torch.equal(fresh_opt.state_dict()["state"][0]["exp_avg"],
                       opt.state_dict()["state"][0]["exp_avg"])
    assert loaded.meta["config"] == json.loads(config)
    assert loaded.meta["networks"] == ["G_A"] and loaded.meta["format_version"] == 1
    assert (tmp_path / "LATEST").read_text().strip() == "00001000"


def test_load_reads_state_with_weights_only(tmp_path: Path, monkeypatch: Any) -> None:
    path = _save(tmp_path, 1)
    calls: list[dict[str, Any]] = []
    real_load = torch.load

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    load_checkpoint(path)
    assert calls and all(c.get("weights_only") is True for c in calls)


class _Sneaky:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (Path.touch, (self.marker,))


def test_foreign_state_is_refused_without_running_its_code(tmp_path: Path) -> None:
    path = _save(tmp_path, 1)
    marker = tmp_path / "code-ran"
    torch.save({"x": _Sneaky(marker)}, path / "state.pt")
    never_loaded = r"state\.pt holds a \S+ object, which is never loaded"
    with pytest.raises(CheckpointError, match=never_loaded):
        load_checkpoint(path)
    assert not marker.exists()


def test_shared_and_strided_tensors_are_saved(tmp_path: Path) -> None:
    base = torch.arange(6.0).reshape(2, 3)
    weights = {"D": {"a": base, "b": base[0], "c": base.t()}}  # shared storage, a transposed view
    loaded = load_checkpoint(_save(tmp_path, 5, **weights))
    for key in "abc":
        assert torch.equal(loaded.weights["D"][key], weights["D"][key])


def test_state_with_numpy_is_refused_naming_the_key(tmp_path: Path) -> None:
    state = {"rng": {"numpy": [1, np.zeros(3)]}}
    with pytest.raises(CheckpointError, match=r"numpy\.ndarray at state\['rng'\]\['numpy'\]\[1\]"):
        save_checkpoint(tmp_path, 1, weights={"G": {}}, state=state, meta={}, keep=1)
    assert not list(tmp_path.iterdir())


def test_crash_mid_save_keeps_previous_checkpoint_and_latest(tmp_path: Path,
                                                             monkeypatch: Any) -> None:
    first = _save(tmp_path, 1)
    real_save = safetensors.torch.save_file
    written: list[str] = []

    def crash_after_first_file(tensors: Any, filename: Any, *args: Any) -> None:
        if written:
            raise RuntimeError("simulated crash")
        written.append(str(filename))
        real_save(tensors, filename, *args)

    monkeypatch.setattr(safetensors.torch, "save_file", crash_after_first_file)
    two_nets = {"G": {"w": torch.ones(2)}, "D": {"w": torch.ones(2)}}
    with pytest.raises(CheckpointError, match="simulated crash"):
        save_checkpoint(tmp_path, 2, weights=two_nets, state={}, meta={}, keep=3)

    assert written and _names(tmp_path) == ["00000001", "LATEST"]
    assert (tmp_path / "LATEST").read_text().strip() == "00000001"
    assert torch.equal(load_checkpoint(first).weights["G"]["w"], torch.full((2, 2), 1.0))
    monkeypatch.undo()
    assert _save(tmp_path, 2) == latest_checkpoint(tmp_path)


def test_failed_latest_write_rolls_back(tmp_path: Path, monkeypatch: Any) -> None:
    _save(tmp_path, 1)
    real_replace = os.replace

    def refuse_latest(src: Any, dst: Any) -> None:
        if Path(dst).name == "LATEST":
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse_latest)
    with pytest.raises(CheckpointError, match="input/output error"):
        _save(tmp_path, 2)
    monkeypatch.undo()
    assert _names(tmp_path) == ["00000001", "LATEST"]
    assert latest_checkpoint(tmp_path) == tmp_path / "00000001"


def test_disk_full_gives_plain_message(tmp_path: Path, monkeypatch: Any) -> None:
    _save(tmp_path, 1)

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(CheckpointError) as info:
        _save(tmp_path, 2)
    assert str(info.value).startswith(f"Could not save checkpoint to {tmp_path / '00000002'}: "
                                      f"no space left on device")
    assert _names(tmp_path) == ["00000001", "LATEST"]


def test_safetensors_io_error_text_is_made_plain(tmp_path: Path, monkeypatch: Any) -> None:
    def disk_full(*args: Any) -> None:
        raise Exception("Error while serializing: I/O error: No space left (os error 28)")

    monkeypatch.setattr(safetensors.torch, "save_file", disk_full)
    with pytest.raises(CheckpointError, match="00000003: no space left on device"):
        _save(tmp_path, 3)
    assert not list(tmp_path.iterdir())


def test_saving_the_same_step_again_replaces_it(tmp_path: Path) -> None:
    _save(tmp_path, 7, G={"w": torch.zeros(1)})
    path = _save(tmp_path, 7, G={"w": torch.ones(1)})
    assert torch.equal(load_checkpoint(path).weights["G"]["w"], torch.ones(1))
    assert _names(tmp_path) == ["00000007", "LATEST"]


def test_keeps_newest_k_and_removes_leftovers(tmp_path: Path) -> None:
    (tmp_path / ".tmp-99-12345").mkdir(parents=True)
    for step in range(1, 6):
        _save(tmp_path, step, keep=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["00000004", "00000005"]
    assert _names(tmp_path) == ["00000004", "00000005", "LATEST"]


def test_resuming_from_an_earlier_step_drops_later_checkpoints(tmp_path: Path) -> None:
    for step in (10, 20, 30):
        _save(tmp_path, step)
    _save(tmp_path, 15)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["00000010", "00000015"]


def test_latest_falls_back_to_newest_complete(tmp_path: Path) -> None:
    assert latest_checkpoint(tmp_path) is None
    _save(tmp_path, 1)
    newest = _save(tmp_path, 2)
    (tmp_path / "LATEST").write_text("00000009\n")
    assert latest_checkpoint(tmp_path) == newest
    (tmp_path / "LATEST").unlink()
    assert latest_checkpoint(tmp_path) == newest
    (newest / "state.pt").unlink()
    (tmp_path / "LATEST").write_text("00000002\n")
    assert latest_checkpoint(tmp_path) == tmp_path / "00000001"


@pytest.mark.parametrize(("damage", "message"), [
    (lambda p: (p / "meta.json").unlink(), "not a Nectar checkpoint: meta.json missing"),
    (lambda p: (p / "meta.json").write_text('{"step": 1}'), "not a Nectar checkpoint"),
    (lambda p: (p / "meta.json").write_text("{"), "meta.json is damaged"),
    (lambda p: (p / "state.pt").write_bytes(b"garbage"), "state.pt is damaged"),
    (lambda p: (p / "state.pt").unlink(), "state.pt missing"),
    (lambda p: (p / "G.safetensors").write_bytes(b"\x00" * 3), "G.safetensors is damaged"),
])
def test_damaged_checkpoints_name_the_file(tmp_path: Path, damage: Any, message: str) -> None:
    path = _save(tmp_path, 1)
    damage(path)
    expected = re.escape(f"Cannot load checkpoint {path}: {message}")
    with pytest.raises(CheckpointError, match=expected):
        load_checkpoint(path)


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope")


def test_meta_records_version_and_created_time(tmp_path: Path) -> None:
    meta = json.loads((_save(tmp_path, 4) / "meta.json").read_text())
    assert meta["format"] == ckpt.FORMAT and meta["step"] == 4
    assert meta["nectar_version"] and meta["created"].endswith("+00:00")


def test_weights_are_saved_without_copying_what_safetensors_takes(tmp_path: Path) -> None:
    """Whole CPU tensors go in as they are (no second copy of a network at save time);
    views and tensors sharing storage are copied, since safetensors refuses them."""
    whole = torch.arange(6.0)
    base = torch.arange(12.0)
    view = base[2:8]
    shared = whole.view(2, 3)  # the same storage as ``whole``
    out = ckpt._for_safetensors({"whole": whole, "view": view, "shared": shared})
    assert out["whole"].data_ptr() == whole.data_ptr()
    assert out["view"].data_ptr() != view.data_ptr() and torch.equal(out["view"], view)
    assert out["shared"].data_ptr() != whole.data_ptr() and torch.equal(out["shared"], shared)
    safetensors.torch.save_file(out, tmp_path / "w.safetensors")
    loaded = safetensors.torch.load_file(tmp_path / "w.safetensors")
    assert all(torch.equal(loaded[k], v) for k, v in out.items())
