"""``nectar train`` under ``torchrun --nproc_per_node=2`` on the CPU (gloo), and on two GPUs.

Each run goes through ``tests/core/ddp_worker.py``, which runs the real ``nectar`` command
line on every rank and then saves that rank's parameters and loss averages, so the test
can check that DDP kept the ranks in step and that the reported losses are rank averages.
The CPU runs say ``runtime.device=cpu``: with ``auto`` a machine with one GPU would start
both ranks on it, which nectar refuses (also tested here).
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from safetensors.torch import load_file

from nectar_gui.cli import train as cli
from nectar_gui.core.checkpoints import load_checkpoint
from nectar_gui.core.rundir import RunReader
from nectar_gui.core.training.control import TrainingControl
from tests.tiny import tiny_config

pytestmark = pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()),
                                reason="torch.distributed with gloo is not available")

WORKER = Path(__file__).with_name("ddp_worker.py")
SYNC_EVERY = 2  # steps between the ranks' loss reductions and stop checks


def launch(args: list[str], dump: Path, cwd: Path, env: dict[str, str] | None = None
           ) -> subprocess.Popen[str]:
    """Start ``torchrun --nproc_per_node=2 ddp_worker.py DUMP nectar-args…``."""
    dump.mkdir(parents=True, exist_ok=True)
    cwd.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           "--nproc_per_node=2", str(WORKER), str(dump), *args, "--quiet"]
    return subprocess.Popen(cmd, cwd=cwd, env={**os.environ, "OMP_NUM_THREADS": "1",
                                               **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(proc: subprocess.Popen[str], timeout: float = 240) -> str:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"torchrun did not finish in {timeout} s:\n{out}")
    return out


def torchrun(args: list[str], dump: Path, cwd: Path) -> str:
    proc = launch(args, dump, cwd)
    out = finish(proc)
    assert proc.returncode == 0, f"torchrun exited with {proc.returncode}:\n{out}"
    return out


def write_config(kind: str, data: Path, path: Path, device: str = "cpu") -> Path:
    config = tiny_config(kind, data, **{"logging.dist_sync_every_steps": SYNC_EVERY,
                                        "runtime.device": device})
    path.write_text(config.to_json())
    return path


def assert_ranks_hold_identical_parameters(dump: Path, out: str) -> dict[str, torch.Tensor]:
    # Parameters only: with broadcast_buffers=False (forward_sync_buffers=False) batch-norm
    # running statistics are per rank by design, so buffers may differ.
    ranks = [load_file(str(dump / f"rank{r}.safetensors")) for r in (0, 1)]
    assert ranks[0].keys() == ranks[1].keys() and ranks[0], out
    differ = [k for k in ranks[0] if not torch.equal(ranks[0][k], ranks[1][k])]
    assert not differ, f"ranks disagree on {differ[:5]}:\n{out}"
    return ranks[0]


def assert_losses_are_rank_averages(dump: Path, metrics: list[dict[str, object]]) -> None:
    flushes = [json.loads((dump / f"rank{r}.losses.json").read_text()) for r in (0, 1)]
    assert len(flushes[0]) == len(flushes[1]) == len(metrics) > 0
    ranks_saw_different_data = False
    for f0, f1, record in zip(*flushes, metrics, strict=True):
        assert f0["reduced"] == pytest.approx(f1["reduced"], rel=1e-6)
        assert record["losses"] == pytest.approx(f0["reduced"], rel=1e-6)
        for name, value in f0["reduced"].items():
            assert math.isfinite(value)
            assert value == pytest.approx((f0["local"][name] + f1["local"][name]) / 2,
                                          rel=1e-5, abs=1e-7)
        for name, value in record["d_health"].items():  # reduced with the losses
            local = (f0["local"][f"d_health/{name}"] + f1["local"][f"d_health/{name}"]) / 2
            assert value == pytest.approx(local, rel=1e-5, abs=1e-7)
        ranks_saw_different_data |= f0["local"] != f1["local"]
    assert ranks_saw_different_data  # else the averaging above proves nothing


def train_fresh(kind: str, data: Path, tmp_path: Path, steps: int = 6, device: str = "cpu"
                ) -> Path:
    """A new 2-rank run of ``steps`` steps; checks the run folder, ranks and losses."""
    config = write_config(kind, data, tmp_path / "config.json", device)
    runs, cwd, dump = tmp_path / "runs", tmp_path / "cwd", tmp_path / "dump"
    run = runs / "run"
    out = torchrun(["train", "--config", str(config), "--data", str(data), "--run-dir",
                    str(run), "--max-steps", str(steps)], dump, cwd)

    # Rank 0 alone writes, and only where it was told to.
    assert list(runs.iterdir()) == [run] and not any(cwd.iterdir()), out
    reader = RunReader(run)
    assert reader.config()["model"]["kind"] == kind
    metrics = reader.all_metrics()
    # 6 images over 2 ranks: 3 steps per epoch, so the run crosses into the decay epoch.
    assert [m["step"] for m in metrics] == list(range(SYNC_EVERY, steps + 1, SYNC_EVERY))
    assert reader.checkpoint_steps() == [steps]
    assert (run / "checkpoints" / "LATEST").read_text().strip() == f"{steps:08d}"
    assert reader.sample_steps()[-1] == steps
    log = (run / "log.txt").read_text()
    assert f"Training completed at step {steps}" in log and "ERROR" not in log

    params = assert_ranks_hold_identical_parameters(dump, out)
    saved = load_checkpoint(run / "checkpoints" / f"{steps:08d}").weights
    for key, value in params.items():
        net, name = key.split(".", 1)
        assert torch.equal(saved[net][name], value), key
    assert_losses_are_rank_averages(dump, metrics)
    return run


@pytest.mark.slow
def test_cyclegan_ranks_train_in_step(unpaired_data: Path, tmp_path: Path) -> None:
    """G_A and G_B each run two or three times in one graph, D twice per D step."""
    train_fresh("cyclegan", unpaired_data, tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.device_count() < 2 or not dist.is_nccl_available(),
                    reason="needs two CUDA GPUs and NCCL")
@pytest.mark.parametrize("kind", ["pix2pix", "cyclegan"])
def test_ranks_train_in_step_on_two_gpus(kind: str, paired_data: Path, unpaired_data: Path,
                                         tmp_path: Path) -> None:
    """The same checks with NCCL, one GPU per rank."""
    data = paired_data if kind == "pix2pix" else unpaired_data
    run = train_fresh(kind, data, tmp_path, device="cuda")
    assert "on cuda:0" in (run / "log.txt").read_text()


def assert_refused_once(out: str, returncode: int, gpus: int) -> None:
    """One line from the machine's first process, nothing from NCCL, a failed job."""
    errors = [line for line in out.splitlines() if "nectar: error:" in line]
    assert errors == [
        f"nectar: error: torchrun started 2 processes on this machine but it has {gpus} CUDA "
        f"GPU, and each process needs its own: run torchrun with --nproc_per_node={gpus}, or "
        f"train on the CPU with --set runtime.device=cpu"], out
    assert "Duplicate GPU" not in out and "DeviceError" not in out, out
    assert returncode != 0, out


def test_two_processes_on_one_faked_gpu_are_refused_in_one_line(
        paired_data: Path, tmp_path: Path) -> None:
    """torchrun end to end on the CPU: ddp_worker makes each rank see one CUDA GPU."""
    run = tmp_path / "run"
    proc = launch(["train", "--preset", "demo-pix2pix", "--data", str(paired_data),
                   "--run-dir", str(run)], tmp_path / "dump", tmp_path / "cwd",
                  env={"NECTAR_TEST_FAKE_CUDA_GPUS": "1"})
    assert_refused_once(finish(proc), proc.returncode, gpus=1)
    assert not run.exists()


@pytest.mark.skipif(torch.cuda.device_count() != 1, reason="needs exactly one CUDA GPU")
def test_two_processes_on_the_one_real_gpu_are_refused_in_one_line(
        paired_data: Path, tmp_path: Path) -> None:
    proc = launch(["train", "--preset", "demo-pix2pix", "--data", str(paired_data),
                   "--run-dir", str(tmp_path / "run")], tmp_path / "dump", tmp_path / "cwd")
    assert_refused_once(finish(proc), proc.returncode, gpus=1)


@pytest.mark.slow
def test_pix2pix_ranks_train_in_step_resume_on_every_rank_and_stop_on_sigterm(
        paired_data: Path, tmp_path: Path) -> None:
    run = train_fresh("pix2pix", paired_data, tmp_path)  # batch norm and dropout

    # Resume with a long schedule, then stop it as a cluster would: SIGTERM to torchrun,
    # which forwards it to every rank. A rank that skipped loading the checkpoint would
    # keep rank 0's initial weights and no optimizer state, and the ranks would differ.
    dump, metrics = tmp_path / "dump2", run / "metrics.jsonl"
    before = len(metrics.read_text().splitlines())
    proc = launch(["train", "--resume", str(run), "--max-steps", "100000",
                   "--set", "optim.n_epochs=100000"], dump, tmp_path / "cwd")
    deadline = time.monotonic() + 180
    while len(metrics.read_text().splitlines()) < before + 1:
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"no progress from torchrun:\n{finish(proc)}")
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out = finish(proc)  # torchrun itself exits non-zero after a signal

    log = (run / "log.txt").read_text()
    assert "Resumed from checkpoint 00000006 at step 6" in log, out
    assert "Training stopped at step" in log and "ERROR" not in log, out
    assert "nectar: error" not in out, out
    stopped = int(log.split("Training stopped at step")[1].split()[0])
    assert stopped > 6 and stopped % SYNC_EVERY == 0  # ranks agree at a sync point
    assert (run / "checkpoints" / "LATEST").read_text().strip() == f"{stopped:08d}"
    steps = [m["step"] for m in RunReader(run).all_metrics()]
    assert steps == list(range(SYNC_EVERY, stopped + 1, SYNC_EVERY))
    assert_ranks_hold_identical_parameters(dump, out)
    assert not any((tmp_path / "cwd").iterdir())


def test_ctrl_c_delivered_twice_under_torchrun_still_stops_cleanly(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The terminal and torchrun both send Ctrl+C to each rank: that is one press."""
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    control = TrainingControl()
    previous = cli.install_stop_handlers(control)
    try:
        handler = signal.getsignal(signal.SIGINT)
        assert callable(handler)
        handler(signal.SIGINT, None)
        handler(signal.SIGINT, None)  # the forwarded copy: no abort
        assert control.stop_requested
        later = time.monotonic() + 2
        with monkeypatch.context() as m, pytest.raises(KeyboardInterrupt):
            m.setattr(cli.time, "monotonic", lambda: later)
            handler(signal.SIGINT, None)  # a real second press still aborts
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
