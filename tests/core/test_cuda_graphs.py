"""CUDA-graph steps: when they are used, the capturable optimizer they need, and (on a
GPU) that replayed steps train like eager ones.

The capture itself needs a CUDA GPU; the CUDA tests are skipped without one. Everything
around it — the decision, the capturable optimizer with a device-tensor learning rate,
checkpoints crossing between capturable and plain optimizers, the phase split of the
step — runs on the CPU too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.presets import load_preset
from nectar_gui.core.runtime import Runtime
from nectar_gui.core.training import gan_model
from nectar_gui.core.training.cuda_graphs import PhaseGraphs, use_graphs
from nectar_gui.core.training.models import create_model
from nectar_gui.core.training.reports import LogReport
from nectar_gui.core.training.session import SessionOptions, TrainingSession
from tests.core.test_training import run_all
from tests.tiny import tiny_config

CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")


def _config(**overrides: object) -> NectarConfig:
    return load_preset("pix2pix").with_overrides(overrides)


@pytest.mark.parametrize(("overrides", "device", "dist", "expect"), [
    ({}, "cpu", False, (False, None)),
    ({"runtime.cuda_graphs": "off"}, "cuda", False, (False, None)),
    ({}, "cuda", False, (True, None)),
    ({"runtime.precision": "bf16-mixed"}, "cuda", False, (True, None)),
    ({"runtime.precision": "fp16-mixed"}, "cuda", False, (False, None)),
    ({"runtime.compile": True}, "cuda", False, (False, None)),
    ({}, "cuda", True, (False, None)),
])
def test_auto_uses_graphs_only_where_they_work(overrides: dict[str, object], device: str,
                                               dist: bool, expect: tuple[bool, None]) -> None:
    assert use_graphs(_config(**overrides), torch.device(device), dist) == expect


@pytest.mark.parametrize(("overrides", "device", "dist", "reason"), [
    ({}, "cpu", False, "need a CUDA GPU"),
    ({"runtime.precision": "fp16-mixed"}, "cuda", False, "fp16-mixed"),
    ({}, "cuda", True, "torchrun"),
    ({"runtime.compile": True}, "cuda", False, "runtime.compile"),
])
def test_on_says_why_it_cannot_be_honoured(overrides: dict[str, object], device: str,
                                           dist: bool, reason: str) -> None:
    enabled, message = use_graphs(_config(**{"runtime.cuda_graphs": "on", **overrides}),
                                  torch.device(device), dist)
    assert not enabled
    assert message is not None and reason in message and "without CUDA graphs" in message


@pytest.mark.parametrize(("choice", "device", "bf16", "expect"), [
    ("auto", "cpu", True, "fp32"),
    ("auto", "mps", True, "fp32"),
    ("auto", "cuda", True, "bf16-mixed"),
    ("auto", "cuda", False, "fp32"),  # cards before Ampere
    ("fp32", "cuda", True, "fp32"),
    ("fp16-mixed", "cuda", True, "fp16-mixed"),
])
def test_auto_precision_is_bf16_on_cuda_cards_that_have_it(
        monkeypatch: pytest.MonkeyPatch, choice: str, device: str, bf16: bool, expect: str
) -> None:
    from nectar_gui.core.runtime import resolve_precision

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    assert resolve_precision(choice, torch.device(device)) == expect


def test_disabled_phases_run_eagerly() -> None:
    calls: list[dict[str, torch.Tensor]] = []

    def phase(inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        calls.append(inputs)
        return {"y": inputs["x"] * 2}

    graphs = PhaseGraphs(False)
    x = torch.arange(3.0)
    assert torch.equal(graphs.run("p", phase, {"x": x})["y"], x * 2)
    assert len(calls) == 1 and calls[0]["x"] is x and graphs.captured == ()


def _capturable_model(monkeypatch: pytest.MonkeyPatch, config: NectarConfig) -> gan_model.GanModel:
    """A model built as for CUDA graphs (capturable Adam, device-tensor rates), run eagerly.

    The CPU has fused capturable Adam, so everything but the capture is exercised here.
    """
    monkeypatch.setattr(gan_model, "use_graphs", lambda *_a: (True, None))
    model = create_model(config, Runtime(config.runtime))
    monkeypatch.undo()
    model.graphs = PhaseGraphs(False)  # no capture on the CPU
    return model


def _batch(config: NectarConfig, seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    size = config.data.crop_size
    return {k: torch.rand(1, 3, size, size, generator=g) * 2 - 1 for k in ("A", "B")}


@pytest.mark.parametrize("kind", ["pix2pix", "cyclegan"])
def test_capturable_optimizer_trains_like_the_plain_one(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str, one_thread: None) -> None:
    config = tiny_config(kind, tmp_path, **{"runtime.device": "cpu"})
    torch.manual_seed(0)
    plain = create_model(config, Runtime(config.runtime))
    torch.manual_seed(0)
    capturable = _capturable_model(monkeypatch, config)
    assert isinstance(capturable.optimizers["G"].param_groups[0]["lr"], torch.Tensor)
    losses = []
    for model in (plain, capturable):
        model.set_lr(0.5)
        torch.manual_seed(1)
        for step in range(3):
            last = model.train_step(_batch(config, step))
        losses.append(last)
    assert plain.lrs() == capturable.lrs() == {"lr_G": 1e-4, "lr_D": 1e-4}
    for name, value in losses[0].items():
        assert torch.allclose(value, losses[1][name], atol=1e-6), name
    for name, net in plain.nets.items():
        for (key, a), b in zip(net.state_dict().items(),
                               capturable.nets[name].state_dict().values(), strict=True):
            assert torch.allclose(a, b, atol=1e-6), f"{name}.{key} differs"


def test_the_learning_rate_tensor_is_updated_in_place(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    """Captured graphs read the rate's memory: replacing the tensor would be ignored."""
    model = _capturable_model(monkeypatch, tiny_config("pix2pix", tmp_path))
    rate = model.optimizers["D"].param_groups[0]["lr"]
    model.set_lr(0.25)
    assert model.optimizers["D"].param_groups[0]["lr"] is rate
    assert rate.item() == pytest.approx(2e-4 * 0.25)


def test_checkpoints_cross_between_capturable_and_plain_optimizers(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, one_thread: None) -> None:
    """A run saved on a GPU with graphs resumes on a CPU without, and the other way round."""
    config = tiny_config("pix2pix", tmp_path, **{"runtime.device": "cpu"})
    capturable = _capturable_model(monkeypatch, config)
    capturable.train_step(_batch(config, 0))
    capturable.set_lr(0.5)
    saved = capturable.state_dict()
    assert all(isinstance(g["lr"], float)
               for opt in saved["optimizers"].values() for g in opt["param_groups"])

    plain = create_model(config, Runtime(config.runtime))
    plain.load_state_dict(saved)
    group = plain.optimizers["G"].param_groups[0]
    assert not group["capturable"] and group["lr"] == pytest.approx(1e-4)
    plain.train_step(_batch(config, 1))  # a capturable group would refuse CPU steps here

    again = _capturable_model(monkeypatch, config)
    rate = again.optimizers["G"].param_groups[0]["lr"]
    again.load_state_dict(plain.state_dict())
    group = again.optimizers["G"].param_groups[0]
    assert group["capturable"] and group["lr"] is rate
    assert rate.item() == pytest.approx(1e-4)
    again.train_step(_batch(config, 2))


# ---- on a GPU ------------------------------------------------------------------------

def _cuda_run(kind: str, data: Path, run: Path, graphs: str, **extra: object) -> list[str]:
    """Train 12 tiny steps on the GPU into ``run``; returns the log lines."""
    config = tiny_config(kind, data, **{"runtime.device": "cuda", "runtime.cuda_graphs": graphs,
                                        "runtime.precision": "fp32",
                                        "optim.n_epochs": 2, "logging.max_steps": 12,
                                        **extra})
    reports = run_all(TrainingSession(config, SessionOptions(run_dir=run)))
    logs = [r.message for r in reports if isinstance(r, LogReport)]
    return logs


def _untrained(config: NectarConfig) -> dict[str, dict[str, torch.Tensor]]:
    """The weights a run starts from (stopped before its first step)."""
    from nectar_gui.core.training.control import TrainingControl

    control = TrainingControl()
    control.request_stop()
    session = TrainingSession(config, SessionOptions())
    list(session.run(control))
    assert session.model is not None and session.counters.step == 0
    return session.model.weights()


@needs_cuda
@pytest.mark.parametrize("kind", ["pix2pix", "cyclegan"])
def test_replayed_steps_train_like_eager_steps(paired_data: Path, unpaired_data: Path,
                                               tmp_path: Path, kind: str) -> None:
    """Graph and eager runs end close together, compared with how far training moved.

    Not bit for bit: some CUDA backward kernels (reflection padding's) add with atomics,
    and Adam turns such tiny differences in near-zero gradients into steps of ±lr. On an
    H200 the pix2pix weights agreed to 1e-4; CycleGAN biases differed by about 2e-4
    after 12 steps. Replays that skipped their updates would leave the runs apart by
    most of the distance training moved.
    """
    from tests.core.test_training import final_weights

    data = paired_data if kind == "pix2pix" else unpaired_data
    extra = {"model.dropout": False} if kind == "pix2pix" else {}
    torch.backends.cudnn.deterministic = True
    try:
        logs = _cuda_run(kind, data, tmp_path / "graphs", "on", **extra)
        _cuda_run(kind, data, tmp_path / "eager", "off", **extra)
    finally:
        torch.backends.cudnn.deterministic = False
    assert any("CUDA graphs: captured" in line for line in logs), logs
    start = _untrained(tiny_config(kind, data, **{"runtime.device": "cuda",
                                                  "runtime.precision": "fp32", **extra}))
    replayed, eager = final_weights(tmp_path / "graphs"), final_weights(tmp_path / "eager")
    moved = apart = 0.0
    for net, weights in eager.items():
        for key, value in weights.items():
            if value.is_floating_point():
                moved += float((value - start[net][key].to(value)).pow(2).sum())
                apart += float((replayed[net][key] - value).pow(2).sum())
    assert moved > 0
    assert apart ** 0.5 <= 0.35 * moved ** 0.5, (apart ** 0.5, moved ** 0.5)


@needs_cuda
def test_a_batch_of_another_shape_runs_eagerly(paired_data: Path, tmp_path: Path) -> None:
    """batch 4 over the 6 demo pairs leaves a last batch of 2 in every epoch; 6 epochs."""
    logs = _cuda_run("pix2pix", paired_data, tmp_path / "run", "on",
                        **{"optim.batch_size": 4, "optim.n_epochs": 5})
    assert any("another shape" in line for line in logs), logs
