"""``nectar train`` killed with SIGKILL resumes from its last complete checkpoint.

Each run is a real process killed with SIGKILL: once at a chosen checkpoint (seen on its
progress output), and once in the middle of writing a checkpoint. ``nectar train
--resume`` then finishes the run, and its final weights and optimizer state are
bit-identical to those of an uninterrupted run with the same config and seed (CPU).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch

from nectar_gui.cli import main
from nectar_gui.core.checkpoints import latest_checkpoint, load_checkpoint
from nectar_gui.core.config import NectarConfig
from nectar_gui.core.rundir import RunReader, checkpoint_networks
from nectar_gui.core.training.control import TrainingControl
from nectar_gui.core.training.reports import ErrorReport
from nectar_gui.core.training.session import SessionOptions, TrainingSession
from tests.tiny import tiny_config

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX-only")

TOTAL = 24  # 4 epochs of the 6-pair dataset: crosses into the decay epochs
EVERY = 4  # checkpoint interval, in steps
KILLED = -signal.SIGKILL

# Run as a script: `nectar train ARGS`, SIGKILL-ed while it writes checkpoint STEP.
KILLER = textwrap.dedent('''
    import os, signal, sys
    from pathlib import Path

    mode, step, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if mode == "weights":  # half of the first weights file written, then killed
        import safetensors.torch
        real_save = safetensors.torch.save_file

        def save_file(tensors, filename, *args, **kwargs):
            real_save(tensors, filename, *args, **kwargs)
            path = Path(filename)
            if path.parent.name.startswith(f".tmp-{step}-"):
                os.truncate(path, path.stat().st_size // 2)
                die()

        safetensors.torch.save_file = save_file
    else:  # folder renamed into place, killed just before LATEST is replaced
        real_replace = os.replace

        def replace(src, dst, *args, **kwargs):
            if Path(dst).name == "LATEST" and Path(src).read_text().strip() == f"{step:08d}":
                die()
            return real_replace(src, dst, *args, **kwargs)

        os.replace = replace

    from nectar_gui.cli import main
    sys.exit(main(argv))
''')


def kill_config(data: Path) -> NectarConfig:
    return tiny_config("pix2pix", data, **{
        "optim.n_epochs": 2, "optim.n_epochs_decay": 2, "logging.max_steps": TOTAL,
        "logging.checkpoint_every_steps": EVERY})


@pytest.fixture(scope="module")
def uninterrupted(paired_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The final checkpoint of a run that was never interrupted."""
    run = tmp_path_factory.mktemp("straight") / "run"
    session = TrainingSession(kill_config(paired_data), SessionOptions(run_dir=run))
    errors = [r for r in session.run(TrainingControl()) if isinstance(r, ErrorReport)]
    assert not errors, errors[0].detail
    final = latest_checkpoint(run / "checkpoints")
    assert final is not None and final.name == f"{TOTAL:08d}"
    return final


def train_args(tmp_path: Path, data: Path) -> list[str]:
    config = tmp_path / "config.json"
    config.write_text(kill_config(data).to_json(), encoding="utf-8")
    return ["train", "--config", str(config), "--run-dir", str(tmp_path / "run")]


def resume(capsys: pytest.CaptureFixture[str], run: Path) -> str:
    """``nectar train --resume RUN`` to the end; returns what it printed."""
    status = main(["train", "--resume", str(run)])
    err = capsys.readouterr().err
    assert status == 0, err
    assert "Traceback" not in err and "nectar: error" not in err
    return err


def tensors(value: Any, where: str = "") -> dict[str, torch.Tensor]:
    """Every tensor in nested dicts and lists, by key path."""
    found: dict[str, torch.Tensor] = {}
    if isinstance(value, torch.Tensor):
        found[where] = value
    elif isinstance(value, dict):
        for key, item in value.items():
            found.update(tensors(item, f"{where}/{key}"))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found.update(tensors(item, f"{where}/{index}"))
    return found


def assert_same_final_state(resumed_run: Path, reference: Path) -> None:
    final = latest_checkpoint(resumed_run / "checkpoints")
    assert final is not None and final.name == reference.name
    a, b = load_checkpoint(final), load_checkpoint(reference)
    assert a.state["counters"] == b.state["counters"]
    got, want = tensors([a.weights, a.state["model"]]), tensors([b.weights, b.state["model"]])
    assert got.keys() == want.keys() and len(got) > 50
    different = [key for key in got if not torch.equal(got[key], want[key])]
    assert not different, f"{len(different)} tensors differ, e.g. {different[:3]}"
    steps = [m["step"] for m in RunReader(resumed_run).all_metrics()]
    assert steps == sorted(set(steps)) and steps[-1] == TOTAL


def leftovers(run: Path) -> list[str]:
    return sorted(p.name for p in (run / "checkpoints").iterdir() if p.name.startswith(".tmp-"))


def test_killed_after_a_checkpoint_resumes_exactly(
        paired_data: Path, tmp_path: Path, uninterrupted: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    target = random.Random(1234).choice(range(EVERY, TOTAL // 2 + 1, EVERY))
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "nectar_gui.cli",
                             *train_args(tmp_path, paired_data)],
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # ends when the process does
        seen.append(line)
        if line.startswith("checkpoint saved:") and line.rstrip().endswith(f"{target:08d}"):
            proc.send_signal(signal.SIGKILL)
            break
    assert proc.wait(timeout=60) == KILLED, "".join(seen)

    survivor = latest_checkpoint(run / "checkpoints")
    assert survivor is not None and target <= int(survivor.name) < TOTAL
    err = resume(capsys, run)
    assert f"Resumed from checkpoint {survivor.name} at step {int(survivor.name)}" in err
    assert_same_final_state(run, uninterrupted)


@pytest.mark.parametrize("moment", ["weights", "latest"])
def test_killed_while_writing_a_checkpoint_resumes_from_the_previous_one(
        moment: str, paired_data: Path, tmp_path: Path, uninterrupted: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    second = 2 * EVERY
    script = tmp_path / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), moment, str(second),
                           *train_args(tmp_path, paired_data)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == KILLED, done.stderr

    run, checkpoints = tmp_path / "run", tmp_path / "run" / "checkpoints"
    assert (checkpoints / "LATEST").read_text().strip() == f"{EVERY:08d}"
    assert leftovers(run), "the kill should have left a temporary file or folder"
    half_written = checkpoint_networks(checkpoints / f"{second:08d}") is None
    assert half_written == (moment == "weights")  # "latest": complete, but not yet named

    err = resume(capsys, run)
    assert f"Resumed from checkpoint {EVERY:08d} at step {EVERY}" in err
    assert leftovers(run) == []  # cleaned up by the next save
    assert_same_final_state(run, uninterrupted)
