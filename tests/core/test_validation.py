"""Validation during training: it changes nothing, it is recorded, BEST follows it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from nectar_gui.core.checkpoints import save_checkpoint
from nectar_gui.core.evaluation.best import read_best, write_best
from nectar_gui.core.evaluation.probes import (
    load_probe_inputs,
    load_probe_outputs,
    probe_steps,
    read_probe_set,
)
from nectar_gui.core.rundir import RunReader
from nectar_gui.core.training import validation
from nectar_gui.core.training.control import TrainingControl
from nectar_gui.core.training.reports import (
    ErrorReport,
    LogReport,
    LossReport,
    Report,
    ValidationReport,
)
from nectar_gui.core.training.session import SessionOptions, TrainingSession
from tests.core.test_training import assert_same_weights, final_weights, run_all
from tests.tiny import tiny_config

pytestmark = pytest.mark.usefixtures("one_thread")


def _data(kind: str, paired: Path, unpaired: Path) -> Path:
    return paired if kind == "pix2pix" else unpaired


@pytest.mark.parametrize("kind", ["pix2pix", "cyclegan"])
def test_validation_does_not_change_the_run(kind: str, paired_data: Path, unpaired_data: Path,
                                            tmp_path: Path) -> None:
    """Bit-identical weights with and without validation (pix2pix: batch norm + dropout)."""
    data = _data(kind, paired_data, unpaired_data)
    common = {"logging.max_steps": 7, "logging.checkpoint_every_steps": 3}
    with_val = tiny_config(kind, data, **common, **{"logging.validate_every_steps": 2})
    without = tiny_config(kind, data, **common, **{"logging.val_images": 0})
    reports = run_all(TrainingSession(with_val, SessionOptions(run_dir=tmp_path / "v")))
    run_all(TrainingSession(without, SessionOptions(run_dir=tmp_path / "n")))

    assert_same_weights(final_weights(tmp_path / "v"), final_weights(tmp_path / "n"))
    validations = [r for r in reports if isinstance(r, ValidationReport)]
    assert [r.step for r in validations] == [2, 4, 6, 7]
    assert not (tmp_path / "n" / "val.jsonl").exists()
    # BEST only ever names a validated step that has a checkpoint (6 or 7 here).
    best = read_best(tmp_path / "v" / "checkpoints")
    assert best is not None and best.step in (6, 7) and best.by == "validation"


def test_validation_is_recorded_for_readers(paired_data: Path, tmp_path: Path) -> None:
    config = tiny_config("pix2pix", paired_data, **{"logging.max_steps": 6,
                                                     "logging.checkpoint_every_steps": 3})
    run = tmp_path / "run"
    reports = run_all(TrainingSession(config, SessionOptions(run_dir=run)))
    validations = [r for r in reports if isinstance(r, ValidationReport)]
    assert [r.step for r in validations] == [3, 6]  # default: with every checkpoint
    assert set(validations[0].metrics) == {"l1", "psnr", "ssim"}
    assert validations[0].split == "val" and validations[0].images == 2
    assert "logging.inception_weights" in validations[0].unavailable["fid"]
    assert any(isinstance(r, LogReport) and "Validating on 2 val images" in r.message
               for r in reports)

    reader = RunReader(run)
    records = reader.read_new_validations()
    assert [r.step for r in records] == [3, 6] and reader.read_new_validations() == []
    assert records[-1].metrics == pytest.approx(validations[-1].metrics)

    probes = read_probe_set(run)
    assert probes is not None and probes.split == "val" and len(probes.items) == 2
    assert probe_steps(run) == [3, 6]
    inputs, outputs = load_probe_inputs(run), load_probe_outputs(run, 6)
    assert len(inputs) == len(outputs) == 2
    assert inputs[0]["A"].shape == outputs[0]["AtoB"].shape == (32, 32, 3)


def _stop_after(config_kind: str, data: Path, run: Path, step: int, **overrides: object
                ) -> list[Report]:
    config = tiny_config(config_kind, data, **overrides)
    control = TrainingControl()
    reports: list[Report] = []
    for report in TrainingSession(config, SessionOptions(run_dir=run)).run(control):
        assert not isinstance(report, ErrorReport), report
        reports.append(report)
        if isinstance(report, LossReport) and report.step >= step:
            control.request_stop()
    return reports


def test_probes_and_history_survive_a_resume(unpaired_data: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    overrides = {"logging.max_steps": 9, "logging.checkpoint_every_steps": 2,
                 "logging.validate_every_steps": 3}
    _stop_after("cyclegan", unpaired_data, run, 4, **overrides)
    before = (run / "probes" / "probes.json").read_bytes()
    stopped = int((run / "checkpoints" / "LATEST").read_text().strip())
    # A validation line from a later, abandoned history must go on resume.
    with (run / "val.jsonl").open("a") as handle:
        handle.write(json.dumps({"step": 99, "metrics": {}}) + "\n")
    reader = RunReader(run)
    assert reader.read_new_validations()[-1].step == 99

    config = tiny_config("cyclegan", unpaired_data, **overrides)
    run_all(TrainingSession(config, SessionOptions(run_dir=run, resume=True)))
    assert (run / "probes" / "probes.json").read_bytes() == before
    steps = [r.step for r in reader.read_new_validations()]
    assert reader.validations_restarted
    assert steps == sorted(set(steps)) and steps[-1] == 9 and stopped in steps
    assert probe_steps(run) == steps


def test_best_pointing_into_an_abandoned_history_is_repointed(paired_data: Path,
                                                             tmp_path: Path) -> None:
    run = tmp_path / "run"
    overrides = {"logging.max_steps": 6, "logging.checkpoint_every_steps": 2,
                 "logging.keep_checkpoints": 5}
    run_all(TrainingSession(tiny_config("pix2pix", paired_data, **overrides),
                            SessionOptions(run_dir=run)))
    write_best(run / "checkpoints", 6, metric="psnr", value=99.0, by="user")
    # Resume from step 2: steps 4 and 6 are the abandoned history.
    for step in (4, 6):
        (run / "checkpoints" / f"{step:08d}" / "meta.json").unlink()
    (run / "checkpoints" / "LATEST").write_text("00000002\n")
    config = tiny_config("pix2pix", paired_data, **{**overrides, "logging.max_steps": 3})
    run_all(TrainingSession(config, SessionOptions(run_dir=run, resume=True)))
    best = read_best(run / "checkpoints")
    assert best is not None and best.step in (2, 3) and best.by == "validation"


def test_keep_k_pruning_never_deletes_best(tmp_path: Path) -> None:
    def save(step: int) -> None:
        save_checkpoint(tmp_path, step, weights={"G": {"w": torch.zeros(1)}},
                        state={}, meta={}, keep=1)

    save(1)
    write_best(tmp_path, 1, metric="psnr", value=20.0, by="eval")
    for step in (2, 3, 4):
        save(step)
    kept = sorted(p.name for p in tmp_path.iterdir() if p.name.isdigit())
    assert kept == ["00000001", "00000004"]
    mark = read_best(tmp_path)
    assert mark is not None and (mark.step, mark.metric, mark.value) == (1, "psnr", 20.0)
    with pytest.raises(ValueError, match="no complete checkpoint at step 2"):
        write_best(tmp_path, 2)


def test_validation_bench_prints_its_table() -> None:
    """bench/validation.py runs end to end (times are printed, never asserted)."""
    bench = Path(__file__).resolve().parents[2] / "bench" / "validation.py"
    out = subprocess.run([sys.executable, str(bench), "--quick", "--models", "pix2pix"],
                         capture_output=True, text=True, timeout=240, check=True).stdout
    row = next(line.split() for line in out.splitlines() if line.startswith("pix2pix"))
    assert row[2] == "2" and row[-2].endswith("%")  # two validations, a share


def _report(seconds: float, images: int = 50) -> ValidationReport:
    return ValidationReport(step=10, epoch=0, split="val", images=images, metrics={},
                            unavailable={}, seconds=seconds, best_metric="psnr",
                            best_step=None, is_best=False)


def test_a_slow_validation_is_said_with_what_to_change() -> None:
    hint = validation.slow_validation_hint(_report(3.0, images=50), training_s=6.0)
    assert hint is not None and "3.0 s, 33% of the time" in hint
    assert "logging.validate_every_steps" in hint and "logging.val_images, now 50" in hint
    assert validation.slow_validation_hint(_report(1.0), training_s=9.0) is None  # 10 %


def test_the_slow_validation_hint_is_given_once_and_not_at_the_end(
        paired_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "SLOW_VALIDATION_SHARE", -1.0)  # every one is "slow"
    config = tiny_config("pix2pix", paired_data, **{"logging.max_steps": 7,
                                                     "logging.validate_every_steps": 2})
    reports = run_all(TrainingSession(config, SessionOptions(run_dir=tmp_path / "a")))
    hints = [r for r in reports
             if isinstance(r, LogReport) and r.message.startswith("Validation took")]
    assert len(hints) == 1 and hints[0].level == "warning"
    assert (tmp_path / "a" / "log.txt").read_text().count("Validation took") == 1

    only_final = tiny_config("pix2pix", paired_data, **{"logging.max_steps": 3})
    reports = run_all(TrainingSession(only_final, SessionOptions(run_dir=tmp_path / "b")))
    assert [r.step for r in reports if isinstance(r, ValidationReport)] == [3]
    assert not any(isinstance(r, LogReport) and r.message.startswith("Validation took")
                   for r in reports)
