"""Real (tiny) training runs: run folder contents, exact resume, stop, NaN handling."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from nectar_gui.core.checkpoints import latest_checkpoint, load_checkpoint
from nectar_gui.core.rundir import RunReader
from nectar_gui.core.training.control import TrainingControl
from nectar_gui.core.training.pix2pix import Pix2PixModel
from nectar_gui.core.training.reports import (
    CheckpointReport,
    ErrorReport,
    FinishedReport,
    LossReport,
    PausedReport,
    Report,
    SampleReport,
    StartedReport,
)
from nectar_gui.core.training.session import SessionOptions, TrainingSession
from tests.tiny import tiny_config


def run_all(session: TrainingSession, control: TrainingControl | None = None) -> list[Report]:
    reports = list(session.run(control or TrainingControl()))
    errors = [r for r in reports if isinstance(r, ErrorReport)]
    assert not errors, errors[0].detail
    return reports


def final_weights(run_dir: Path) -> dict[str, dict[str, torch.Tensor]]:
    path = latest_checkpoint(run_dir / "checkpoints")
    assert path is not None
    return load_checkpoint(path).weights


def assert_same_weights(a: dict[str, dict[str, torch.Tensor]],
                        b: dict[str, dict[str, torch.Tensor]]) -> None:
    assert a.keys() == b.keys()
    for net in a:
        assert a[net].keys() == b[net].keys()
        for key in a[net]:
            assert torch.equal(a[net][key], b[net][key]), f"{net}.{key} differs"


def test_pix2pix_run_writes_a_complete_run_folder(paired_data: Path, tmp_path: Path) -> None:
    config = tiny_config("pix2pix", paired_data, **{"logging.max_steps": 8})
    run = tmp_path / "run"
    reports = run_all(TrainingSession(config, SessionOptions(run_dir=run, live_samples=True)))

    assert sum(isinstance(r, StartedReport) for r in reports) == 1
    assert isinstance(reports[-1], FinishedReport) and reports[-1].reason == "completed"
    assert reports[-1].step == 8
    samples = [r for r in reports if isinstance(r, SampleReport)]
    assert samples and samples[-1].step == 8
    s = samples[-1]
    assert s.images["fake_B"].shape == (32, 32, 3) and s.images["fake_B"].dtype.name == "uint8"
    assert s.patch_maps["D(fake_B)"].shape == (2, 2)  # 70×70 field, 32 px input
    assert s.receptive_field.size == 70

    reader = RunReader(run)
    metrics = reader.all_metrics()
    assert metrics[-1]["step"] == 8 and set(metrics[-1]["losses"]) == {
        "G_GAN", "G_L1", "D_real", "D_fake"}
    assert reader.config()["model"]["kind"] == "pix2pix"
    assert reader.sample_steps()[-1] == 8
    assert reader.checkpoint_steps() == [8]
    assert (run / "checkpoints" / "LATEST").read_text().strip() == "00000008"
    assert "Training completed" in (run / "log.txt").read_text()


@pytest.mark.parametrize("kind", ["pix2pix", "cyclegan"])
def test_resumed_run_matches_uninterrupted_run(kind: str, paired_data: Path,
                                               unpaired_data: Path, tmp_path: Path) -> None:
    """Stop part-way (mid-epoch), resume, and end with bit-identical weights."""
    data = paired_data if kind == "pix2pix" else unpaired_data
    total = 9  # 6 steps per epoch: crosses into the decay epoch
    config = tiny_config(kind, data, **{"logging.max_steps": total})

    straight = tmp_path / "straight"
    run_all(TrainingSession(config, SessionOptions(run_dir=straight)))

    interrupted = tmp_path / "interrupted"
    control = TrainingControl()
    first = TrainingSession(config, SessionOptions(run_dir=interrupted))
    for report in first.run(control):
        assert not isinstance(report, ErrorReport), report
        if isinstance(report, LossReport) and report.step >= 4:
            control.request_stop()
    checkpoint = latest_checkpoint(interrupted / "checkpoints")
    assert checkpoint is not None
    stopped_at = load_checkpoint(checkpoint).step
    assert 4 <= stopped_at < total

    resumed = TrainingSession(config, SessionOptions(run_dir=interrupted, resume=True))
    reports = run_all(resumed)
    started = [r for r in reports if isinstance(r, StartedReport)]
    assert len(started) == 1 and started[0].resumed and started[0].step == stopped_at
    assert_same_weights(final_weights(straight), final_weights(interrupted))
    steps = [m["step"] for m in RunReader(interrupted).all_metrics()]
    assert steps == sorted(steps) and steps[-1] == total


def test_stop_request_saves_a_checkpoint_and_reports_stopped(paired_data: Path,
                                                             tmp_path: Path) -> None:
    config = tiny_config("pix2pix", paired_data)
    control = TrainingControl()
    reports: list[Report] = []
    for report in TrainingSession(config, SessionOptions(run_dir=tmp_path / "r")).run(control):
        reports.append(report)
        if isinstance(report, LossReport) and report.step >= 2:
            control.request_stop()
    end = reports[-1]
    assert isinstance(end, FinishedReport) and end.reason == "stopped"
    saved = [r for r in reports if isinstance(r, CheckpointReport)]
    assert saved and saved[-1].step == end.step


def _nan_after_two_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Pix2PixModel.train_step
    calls = {"n": 0}

    def step(self: Pix2PixModel, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        losses = original(self, batch)
        calls["n"] += 1
        if calls["n"] > 2:
            losses["G_L1"] = torch.tensor(float("nan"))
        return losses

    monkeypatch.setattr(Pix2PixModel, "train_step", step)


def test_nan_loss_stops_a_headless_run_with_advice(paired_data: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _nan_after_two_steps(monkeypatch)
    config = tiny_config("pix2pix", paired_data)
    reports = list(TrainingSession(config, SessionOptions(run_dir=tmp_path / "r")).run(
        TrainingControl()))
    error = reports[-1]
    assert isinstance(error, ErrorReport)
    assert "G_L1 became NaN or infinite at step 3" in error.message
    assert "learning rate" in error.message


def test_nan_loss_pauses_an_interactive_run(paired_data: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _nan_after_two_steps(monkeypatch)
    config = tiny_config("pix2pix", paired_data)
    control = TrainingControl()
    options = SessionOptions(run_dir=tmp_path / "r", interactive=True)
    reports: list[Report] = []
    for report in TrainingSession(config, options).run(control):
        reports.append(report)
        if isinstance(report, PausedReport):
            assert control.paused
            assert report.reason is not None and "G_L1 became NaN" in report.reason
            control.request_stop()  # the user reads the advice, then stops
    assert any(isinstance(r, PausedReport) for r in reports)
    assert isinstance(reports[-1], FinishedReport) and reports[-1].reason == "stopped"


def test_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    config = tiny_config("pix2pix", tmp_path / "nowhere")
    reports = list(TrainingSession(config).run(TrainingControl()))
    assert len(reports) == 1 and isinstance(reports[0], ErrorReport)
    assert "nowhere" in reports[0].message and "Traceback" not in reports[0].message


def test_bf16_mixed_precision_trains_on_the_cpu(paired_data: Path) -> None:
    config = tiny_config("cyclegan", paired_data, **{"logging.max_steps": 3,
                                                     "runtime.precision": "bf16-mixed"})
    reports = run_all(TrainingSession(config))
    losses = [r for r in reports if isinstance(r, LossReport)]
    assert losses and all(math.isfinite(v) for v in losses[-1].losses.values())


def test_time_gate_hold_keeps_it_closed() -> None:
    from nectar_gui.core.training.schedule import TimeGate

    gate = TimeGate(0.0)
    assert gate.ready() and gate.ready()  # interval 0: always open
    gate.hold(3600)
    assert not gate.ready()
