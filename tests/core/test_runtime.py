"""Runtime: the device each torchrun process gets, and the thread count — no GPU needed.

torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE) and the number of
CUDA GPUs are faked, so the check that runs before NCCL is tested on any machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from nectar_gui.cli.main import main
from nectar_gui.core import runtime
from nectar_gui.core.config import RuntimeSection
from nectar_gui.core.runtime import DeviceError, Runtime, dist_info_from_env, resolve_device


def fake_torchrun(monkeypatch: pytest.MonkeyPatch, *, local_rank: int, processes: int,
                  gpus: int) -> None:
    """This process as one of ``processes`` torchrun started on a machine with ``gpus``."""
    for name, value in {"RANK": local_rank, "LOCAL_RANK": local_rank,
                        "WORLD_SIZE": processes, "LOCAL_WORLD_SIZE": processes}.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpus > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)


@pytest.fixture
def no_process_group(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to start NCCL/gloo fails the test: the check must come first."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("init_process_group was called")

    monkeypatch.setattr(dist, "init_process_group", refuse)


@pytest.mark.parametrize("choice", ["auto", "cuda"])
def test_two_processes_on_one_gpu_are_refused_in_one_line(
        monkeypatch: pytest.MonkeyPatch, choice: str) -> None:
    fake_torchrun(monkeypatch, local_rank=1, processes=2, gpus=1)
    with pytest.raises(DeviceError) as caught:
        resolve_device(choice, dist_info_from_env())
    message = str(caught.value)
    assert "\n" not in message
    assert message == ("torchrun started 2 processes on this machine but it has 1 CUDA GPU, "
                       "and each process needs its own: run torchrun with --nproc_per_node=1, "
                       "or train on the CPU with --set runtime.device=cpu")


def test_more_processes_than_several_gpus_names_the_largest_count(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake_torchrun(monkeypatch, local_rank=0, processes=8, gpus=4)
    with pytest.raises(DeviceError, match=r"started 8 processes .* it has 4 CUDA GPUs, .*"
                                          r"--nproc_per_node=4 or fewer, or train on the CPU"):
        resolve_device("auto", dist_info_from_env())


def test_each_process_gets_its_own_gpu_when_there_are_enough(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake_torchrun(monkeypatch, local_rank=1, processes=2, gpus=2)
    assert resolve_device("auto", dist_info_from_env()) == torch.device("cuda", 1)


def test_the_cpu_takes_any_number_of_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_torchrun(monkeypatch, local_rank=1, processes=4, gpus=1)
    assert resolve_device("cpu", dist_info_from_env()) == torch.device("cpu")


def test_one_process_on_one_gpu_is_fine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("auto") == torch.device("cuda", 0)


@pytest.mark.usefixtures("no_process_group")
def test_runtime_refuses_before_starting_the_process_group(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake_torchrun(monkeypatch, local_rank=0, processes=2, gpus=1)
    with pytest.raises(DeviceError, match="--nproc_per_node=1"):
        Runtime(RuntimeSection())


@pytest.mark.usefixtures("no_process_group")
@pytest.mark.parametrize(("local_rank", "printed"), [(0, True), (1, False)])
def test_nectar_train_says_it_once_per_machine_and_fails(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        paired_data: Path, local_rank: int, printed: bool) -> None:
    """The machine's first process prints the one line; every process exits with 2."""
    fake_torchrun(monkeypatch, local_rank=local_rank, processes=2, gpus=1)
    status = main(["train", "--preset", "demo-pix2pix", "--data", str(paired_data),
                   "--run-dir", str(tmp_path / "run"), "--quiet"])
    err = capsys.readouterr().err
    assert status == 2
    if printed:
        assert err.splitlines() == [
            "nectar: error: torchrun started 2 processes on this machine but it has 1 CUDA "
            "GPU, and each process needs its own: run torchrun with --nproc_per_node=1, or "
            "train on the CPU with --set runtime.device=cpu"]
    else:
        assert err == ""
    assert not (tmp_path / "run").exists()


def test_nectar_train_asked_for_a_missing_gpu_says_so_in_one_line(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        paired_data: Path) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    status = main(["train", "--preset", "demo-pix2pix", "--data", str(paired_data),
                   "--run-dir", str(tmp_path / "run"), "--set", "runtime.device=cuda"])
    assert status == 2
    assert capsys.readouterr().err.splitlines() == [
        "nectar: error: runtime.device is 'cuda' but no CUDA GPU is available; use 'auto' "
        "or 'cpu'"]
    assert not (tmp_path / "run").exists()


@pytest.fixture
def restore_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.usefixtures("restore_threads")
@pytest.mark.parametrize(("processes", "threads"), [(1, 4), (2, 2), (8, 1)])
def test_threads_default_to_every_core_shared_by_the_machines_processes(
        monkeypatch: pytest.MonkeyPatch, processes: int, threads: int) -> None:
    """The app trains with every core too: leaving one to the window cost 40 % on 2 cores."""
    monkeypatch.setattr(runtime.os, "cpu_count", lambda: 4)
    assert runtime.default_threads() == 4
    if processes > 1:
        fake_torchrun(monkeypatch, local_rank=0, processes=processes, gpus=0)
        monkeypatch.setattr(Runtime, "_init_process_group", lambda self: None)
    Runtime(RuntimeSection(device="cpu", tune_malloc=False))
    assert torch.get_num_threads() == threads
    Runtime(RuntimeSection(device="cpu", threads=3, tune_malloc=False))
    assert torch.get_num_threads() == 3
