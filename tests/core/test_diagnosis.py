"""The plain-words diagnosis on constructed metric series, probe statistics, the
``nectar health`` command, ``nectar train``'s health lines and d_health in the run folder."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from nectar_gui.cli.main import main
from nectar_gui.cli.progress import ProgressPrinter
from nectar_gui.core import diagnosis as dg
from nectar_gui.core.diagnosis import HealthTracker, MetricPoint, ProbeStats, diagnose
from nectar_gui.core.run_health import probe_stats
from nectar_gui.core.rundir import RunReader, RunWriter
from nectar_gui.core.training.reports import LossReport, ProgressReport

Curve = Callable[[int], float]


def flat(value: float) -> Curve:
    return lambda step: value


def ramp(start: float, end: float, steps: int = 600) -> Curve:
    return lambda step: start + (end - start) * min(step / steps, 1.0)


def series(steps: int = 600, *, acc_real: Curve | None = None, acc_fake: Curve | None = None,
           g_loss: Curve | None = None, suffixes: tuple[str, ...] = ("",),
           every: int = 5) -> list[MetricPoint]:
    """Points every ``every`` steps; pix2pix names, or CycleGAN's with suffixes _A/_B.
    Defaults: D right on 75 % of real and 70 % of generated patches, G's loss flat at 0.9."""
    acc_real, acc_fake = acc_real or flat(0.75), acc_fake or flat(0.7)
    g_loss = g_loss or flat(0.9)
    points = []
    for step in range(every, steps + 1, every):
        health: dict[str, float] = {}
        losses = {"D_real": 0.4, "D_fake": 0.4, "G_L1": 20.0}
        for sfx in suffixes:
            health.update({f"acc_real{sfx}": acc_real(step), f"acc_fake{sfx}": acc_fake(step),
                           f"score_real{sfx}": 0.6, f"score_fake{sfx}": 0.4})
            losses[dg.ADVERSARIAL_LOSS[sfx]] = g_loss(step)
        health["grad_norm_G"] = 30.0
        points.append(MetricPoint(step=step, losses=losses, d_health=health))
    return points


def with_last(points: list[MetricPoint], **losses: float) -> list[MetricPoint]:
    last = points[-1]
    return [*points[:-1], MetricPoint(last.step, {**last.losses, **losses}, last.d_health)]


# ---- states -----------------------------------------------------------------------------------
def test_healthy_tug_of_war() -> None:
    d = diagnose(series())
    assert d.state == "healthy" and d.title == "Healthy tug-of-war"
    assert "75 % of real and 70 % of generated" in d.evidence and d.suggestions


def test_d_overpowering_when_fake_accuracy_stays_near_one_and_g_loss_climbs() -> None:
    d = diagnose(series(acc_fake=flat(0.99), g_loss=ramp(0.5, 1.5)))
    assert d.state == "d_overpowering" and "99 % of generated patches fake" in d.evidence
    assert "rose from" in d.evidence and any("d_lr_factor" in s for s in d.suggestions)


def test_a_winning_d_is_not_overpowering_while_g_catches_up() -> None:
    assert diagnose(series(acc_fake=flat(0.99), g_loss=ramp(1.5, 0.5))).state == "healthy"


def test_cyclegan_names_the_discriminator_that_overpowers() -> None:
    points = series(suffixes=("_A", "_B"))
    points = [MetricPoint(p.step, {**p.losses, "G_A": 0.5 + p.step / 600},
                          {**p.d_health, "acc_fake_B": 0.98}) for p in points]
    d = diagnose(points)
    assert d.state == "d_overpowering" and d.evidence.startswith("D_B ") and "G_A" in d.evidence


def test_d_blind_only_long_after_warm_up() -> None:
    real, fake = flat(0.47), flat(0.55)  # a coin flip
    assert diagnose(series(600, acc_real=real, acc_fake=fake)).state == "healthy"
    d = diagnose(series(dg.BLIND_AFTER_STEPS + 100, acc_real=real, acc_fake=fake))
    assert d.state == "d_blind" and "51 % of patches" in d.evidence


def test_g_collapse_from_probe_statistics() -> None:
    d = diagnose(series(), ProbeStats(input_diversity=0.2, output_diversity=0.02))
    assert d.state == "g_collapse" and "10× more alike" in d.evidence
    assert diagnose(series(), ProbeStats(0.2, 0.15)).state == "healthy"


def test_g_copying_only_when_the_distance_is_measured() -> None:
    d = diagnose(series(), ProbeStats(0.2, 0.2, output_input_distance=0.01))
    assert d.state == "g_copying" and "1.0 %" in d.evidence
    assert diagnose(series(), ProbeStats(0.2, 0.2, None)).state == "healthy"


def test_diverging_on_non_finite_or_exploding_losses() -> None:
    d = diagnose(with_last(series(), G_L1=math.nan))
    assert d.state == "diverging" and "G_L1 became NaN" in d.evidence
    d = diagnose(with_last(series(), G_L1=5000.0))
    assert d.state == "diverging" and "250× its recent median" in d.evidence
    # Divergence wins over everything, even before the warm-up ends.
    assert diagnose(with_last(series(50), D_fake=math.inf)).state == "diverging"


def test_a_small_loss_growing_back_is_not_an_explosion() -> None:
    points = [MetricPoint(p.step, {**p.losses, "D_fake": 0.001}, p.d_health) for p in series()]
    assert diagnose(with_last(points, D_fake=0.3)).state == "healthy"


def test_too_early_and_no_signals() -> None:
    assert diagnose([]).state == "too_early"
    assert diagnose(series(300)).state == "too_early"
    bare = [MetricPoint(p.step, p.losses) for p in series()]
    assert diagnose(bare).state == "no_signals"


def test_every_state_has_a_title_and_problems_have_suggestions() -> None:
    for state in ("healthy", "d_overpowering", "d_blind", "g_collapse", "g_copying",
                  "diverging"):
        verdict = dg._verdict(state, "evidence", 1)  # type: ignore[arg-type]
        assert verdict.title and verdict.suggestions


def test_tracker_reports_changes_only_and_restarts_after_a_resume() -> None:
    tracker = HealthTracker()
    changes = [c for p in series(acc_fake=flat(0.99), g_loss=ramp(0.5, 1.5))
               if (c := tracker.add(p)) is not None]
    assert [c.state for c in changes] == ["too_early", "d_overpowering"]
    assert tracker.add(MetricPoint(10, {"G_GAN": 1.0})) is not None  # history restarted
    assert tracker.current is not None and tracker.current.state == "too_early"


# ---- probe statistics ---------------------------------------------------------------------------
def test_probe_stats_see_collapse_and_copying() -> None:
    rng = np.random.default_rng(0)
    inputs = [rng.integers(0, 256, (40, 30, 3), dtype=np.uint8) for _ in range(4)]
    same = [np.full((40, 30, 3), 128, np.uint8)] * 4
    collapsed = probe_stats(inputs, same, copying=True)
    assert collapsed is not None and collapsed.output_diversity == 0.0
    assert diagnose(series(), collapsed).state == "g_collapse"
    copied = probe_stats(inputs, inputs, copying=True)
    assert copied is not None and copied.output_input_distance == 0.0
    assert diagnose(series(), copied).state == "g_copying"
    assert probe_stats(inputs, inputs, copying=False) is not None
    assert probe_stats(inputs[:1], inputs[:1], copying=True) is None


# ---- run folder, CLI, progress printer --------------------------------------------------------
def _write_run(root: Path, points: list[MetricPoint]) -> None:
    with RunWriter.create(root, json.dumps({"model": {"kind": "pix2pix"}})) as writer:
        for p in points:
            writer.write_metrics(LossReport(step=p.step, epoch=0, wall_time=float(p.step),
                                            losses=dict(p.losses), lrs={"lr_G": 2e-4},
                                            d_health=dict(p.d_health)))


def test_run_reader_exposes_d_health_and_keeps_nan(tmp_path: Path) -> None:
    points = series(20)
    _write_run(tmp_path / "run", [*points[:-1], MetricPoint(
        points[-1].step, points[-1].losses, {**points[-1].d_health, "grad_norm_G": math.inf})])
    records = RunReader(tmp_path / "run").all_metrics()
    assert records[0]["d_health"]["acc_real"] == 0.75
    assert math.isnan(records[-1]["d_health"]["grad_norm_G"])
    plain = LossReport(step=1, epoch=0, wall_time=0.0, losses={"G": 1.0}, lrs={})
    from nectar_gui.core.rundir import metrics_record

    assert "d_health" not in metrics_record(plain)  # runs without signals: format unchanged


def test_nectar_health_prints_state_and_evidence(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _write_run(tmp_path / "run", series(acc_fake=flat(0.99), g_loss=ramp(0.5, 1.5)))
    assert main(["health", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("D is overpowering G [d_overpowering]") and "  - " in out
    assert main(["health", str(tmp_path / "run"), "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["state"] == "d_overpowering" and verdict["step"] == 600
    assert main(["health", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_nectar_train_prints_the_diagnosis_when_it_changes() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream=stream, log_every_s=0.0)
    for p in series(acc_fake=flat(0.99), g_loss=ramp(0.5, 1.5)):
        printer.show(LossReport(step=p.step, epoch=0, wall_time=0.0, losses=dict(p.losses),
                                lrs={}, d_health=dict(p.d_health)))
        printer.show(ProgressReport(step=p.step, epoch=0, total_steps=600, steps_per_epoch=600,
                                    it_per_s=10.0, eta_s=1.0))
    lines = stream.getvalue().splitlines()
    health = [ln for ln in lines if ln.startswith("health:")]
    assert health == [next(ln for ln in lines if ln.startswith("health: D is overpowering G"))]
    assert sum(ln.startswith("  try: ") for ln in lines) == 3
    assert sum(ln.startswith("step ") for ln in lines) == 120  # progress lines unchanged
