"""D-health signals: accuracies and scores per objective, gradient norms, no added syncs,
and real tiny runs that end healthy or with D overpowering G."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from nectar_gui.core.diagnosis import HealthTracker, MetricPoint
from nectar_gui.core.run_health import diagnose_run
from nectar_gui.core.rundir import RunReader
from nectar_gui.core.runtime import Runtime
from nectar_gui.core.training import d_health
from nectar_gui.core.training.control import TrainingControl
from nectar_gui.core.training.cyclegan import CycleGanModel
from nectar_gui.core.training.pix2pix import Pix2PixModel
from nectar_gui.core.training.reports import ErrorReport, LossReport
from nectar_gui.core.training.session import SessionOptions, TrainingSession
from tests.tiny import tiny_config

#: Long enough for a verdict: warm-up (200) + one stretch (200), and a little more.
RUN_STEPS = 450
LONG_RUN = {"logging.max_steps": RUN_STEPS, "logging.val_images": 0, "optim.n_epochs": 1000,
            "optim.n_epochs_decay": 0, "logging.checkpoint_every_steps": 10**6}


# ---- a hand-set D -----------------------------------------------------------------------------
class PatternG(nn.Module):
    """A "generator" whose output is a fixed image: left half −1, right half +1."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, x: Tensor) -> Tensor:
        out = torch.ones_like(x)
        out[..., : x.shape[-1] // 2] = -1
        return out + 0 * self.w  # (B, C, H, W)


class ScoreD(nn.Module):
    """A "discriminator" scoring each 8×8 block by its B image's top-left pixel × 3."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, x: Tensor) -> Tensor:
        return 3 * x[:, -1:, ::8, ::8] * (1 + self.w)  # (B, 1, H/8, W/8)


def _hand_set_pix2pix(gan_mode: str, data: Path) -> Pix2PixModel:
    config = tiny_config("pix2pix", data, **{"loss.gan_mode": gan_mode})
    model = Pix2PixModel(config, Runtime(config.runtime))
    for name, net in (("G", PatternG()), ("D", ScoreD())):
        model.nets[name] = model._fwd[name] = net
    model.optimizers = {"G": torch.optim.SGD(model.nets["G"].parameters(), lr=0.0),
                        "D": torch.optim.SGD(model.nets["D"].parameters(), lr=0.0)}
    return model


@pytest.mark.parametrize(("gan_mode", "score_real", "score_fake"), [
    ("vanilla", 0.75 * torch.sigmoid(torch.tensor(3.0)).item()
     + 0.25 * torch.sigmoid(torch.tensor(-3.0)).item(), 0.5),
    ("lsgan", 0.75 * 3 - 0.25 * 3, 0.0),
    ("hinge", 0.75 * 3 - 0.25 * 3, 0.0),
])
def test_accuracies_and_scores_of_a_hand_set_d(gan_mode: str, score_real: float,
                                               score_fake: float, paired_data: Path) -> None:
    """Real B: +1 on 3 of 4 blocks (scores +3, right), −1 on 1 (score −3, wrong).
    Fake B: −1 on the left half (score −3, right), +1 on the right half (wrong)."""
    model = _hand_set_pix2pix(gan_mode, paired_data)
    real_b = torch.ones(1, 3, 32, 32)
    real_b[..., 16:, 16:] = -1
    model.train_step({"A": torch.zeros(1, 3, 32, 32), "B": real_b})
    h = {k: v.item() for k, v in model.d_health.items()}
    assert h["acc_real"] == pytest.approx(0.75) and h["acc_fake"] == pytest.approx(0.5)
    assert h["score_real"] == pytest.approx(score_real, abs=1e-6)
    assert h["score_fake"] == pytest.approx(score_fake, abs=1e-6)
    assert h["grad_norm_G"] == 0.0  # G's output does not depend on its parameter
    d_weight = model.nets["D"].w
    assert isinstance(d_weight, Tensor) and d_weight.grad is not None
    assert h["grad_norm_D"] == pytest.approx(abs(d_weight.grad.item()))


def test_lsgan_decides_at_one_half() -> None:
    real, fake = torch.tensor([0.4, 0.6, 1.0, 0.5]), torch.tensor([0.4, 0.6, 0.0, 0.5])
    h = d_health.patch_signals("lsgan", real.view(1, 1, 2, 2), fake.view(1, 1, 2, 2))
    assert h["acc_real"].item() == 0.5 and h["acc_fake"].item() == 0.5  # 0.5 itself: undecided


def test_grad_norm_is_the_global_l2_norm() -> None:
    nets = [nn.Linear(3, 2), nn.Linear(2, 1)]
    nets[1](nets[0](torch.randn(4, 3))).sum().backward()
    grads = torch.cat([p.grad.flatten() for n in nets for p in n.parameters()
                       if p.grad is not None])
    assert d_health.grad_norm(nets).item() == pytest.approx(grads.norm().item(), rel=1e-6)


def test_cyclegan_keys_per_discriminator(unpaired_data: Path, one_thread: None) -> None:
    config = tiny_config("cyclegan", unpaired_data)
    model = CycleGanModel(config, Runtime(config.runtime))
    model.train_step({"A": torch.rand(1, 3, 32, 32) * 2 - 1, "B": torch.rand(1, 3, 32, 32) * 2 - 1})
    per_d = ("acc_real", "acc_fake", "score_real", "score_fake")
    assert set(model.d_health) == {"grad_norm_G", "grad_norm_D_A", "grad_norm_D_B",
                                   *(f"{k}_{d}" for k in per_d for d in "AB")}
    assert all(v.dim() == 0 for v in model.d_health.values())


# ---- no added device syncs --------------------------------------------------------------------
SYNCS = ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__")


def _count_syncs(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts = dict.fromkeys(SYNCS, 0)
    for name in SYNCS:
        original: Callable[..., Any] = getattr(torch.Tensor, name)

        def counted(self: Tensor, *args: Any, _n: str = name, _f: Any = original,
                    **kwargs: Any) -> Any:
            counts[_n] += 1
            return _f(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    return counts


@pytest.mark.parametrize("kind", ["pix2pix", "cyclegan"])
def test_signals_add_no_device_syncs(kind: str, paired_data: Path, unpaired_data: Path,
                                     monkeypatch: pytest.MonkeyPatch, one_thread: None) -> None:
    """Same number of host syncs per run with and without the signals (one flush at the end)."""
    data = paired_data if kind == "pix2pix" else unpaired_data
    config = tiny_config(kind, data, **{"logging.max_steps": 4, "logging.val_images": 0,
                                        "logging.metrics_interval_s": 3600.0})
    seen: dict[bool, dict[str, int]] = {}
    for enabled in (True, False):
        with monkeypatch.context() as m:
            m.setattr(d_health, "ENABLED", enabled)
            counts = _count_syncs(m)
            reports = list(TrainingSession(config).run(TrainingControl()))
        assert not [r for r in reports if isinstance(r, ErrorReport)]
        flushed = [r for r in reports if isinstance(r, LossReport)]
        assert len(flushed) == 1 and bool(flushed[0].d_health) == enabled
        seen[enabled] = counts
    assert seen[True] == seen[False]


# ---- real tiny runs ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def healthy_run(paired_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The pix2pix recipe (vanilla objective, 70×70 PatchGAN) on the tiny demo set."""
    run = tmp_path_factory.mktemp("healthy") / "run"
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        config = tiny_config("pix2pix", paired_data, **LONG_RUN)
        reports = list(TrainingSession(config, SessionOptions(run_dir=run)).run(
            TrainingControl()))
    finally:
        torch.set_num_threads(before)
    assert not [r for r in reports if isinstance(r, ErrorReport)]
    yield run


def test_healthy_demo_run_is_diagnosed_healthy(healthy_run: Path) -> None:
    records = RunReader(healthy_run).all_metrics()
    assert {"acc_real", "acc_fake", "score_real", "score_fake", "grad_norm_G",
            "grad_norm_D"} == set(records[-1]["d_health"])
    tracker = HealthTracker()
    for record in records:
        tracker.add(MetricPoint.from_record(record))
        assert tracker.current is not None
        assert tracker.current.state in ("too_early", "healthy"), tracker.current
    assert diagnose_run(healthy_run).state == "healthy"


def test_d_far_faster_than_g_ends_in_d_overpowering(paired_data: Path, one_thread: None) -> None:
    """D learning 20× faster than G (LSGAN, 16×16 patches) wins outright by step 450."""
    config = tiny_config("pix2pix", paired_data, **LONG_RUN, **{
        "optim.d_lr_factor": 20.0, "loss.gan_mode": "lsgan", "model.d_layers": 1})
    tracker = HealthTracker()
    for report in TrainingSession(config).run(TrainingControl()):
        assert not isinstance(report, ErrorReport), report.detail
        if isinstance(report, LossReport):
            tracker.add(report)
    assert tracker.current is not None and tracker.current.state == "d_overpowering", (
        tracker.current)
    assert "generated patches fake" in tracker.current.evidence
