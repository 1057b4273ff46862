"""An opened run's progress and ETA, from plan.json and the wall times in metrics.jsonl."""

from __future__ import annotations

from pathlib import Path

import pytest

from nectar_gui.cli import main
from nectar_gui.core.run_progress import QUIET_MIN_S, last_written, opened_run_progress
from nectar_gui.core.rundir import RunPaths, RunPlan, RunReader, RunWriter
from tests.core.test_cli import tiny_config_file


def _records(steps: range, seconds_per_step: float, start: float = 1000.0
             ) -> list[dict[str, object]]:
    return [{"step": s, "epoch": (s - 1) // 10, "time": start + s * seconds_per_step}
            for s in steps]


def test_progress_and_eta_come_from_the_plan_and_the_recent_speed() -> None:
    plan = RunPlan(total_steps=100, steps_per_epoch=10)
    report = opened_run_progress(_records(range(1, 31), 0.5), plan)
    assert report is not None
    assert (report.step, report.epoch, report.total_steps) == (30, 2, 100)
    assert report.it_per_s == pytest.approx(2.0)
    assert report.eta_s == pytest.approx(35.0)  # 70 steps at 2 it/s


def test_only_recent_lines_set_the_speed_so_a_resume_gap_does_not() -> None:
    before = _records(range(1, 21), 1.0)
    after = _records(range(21, 61), 0.25, start=90_000.0)  # resumed a day later, faster
    report = opened_run_progress(before + after, RunPlan(100, 10))
    assert report is not None and report.it_per_s == pytest.approx(4.0)


def test_without_a_plan_or_lines_there_is_no_report() -> None:
    assert opened_run_progress(_records(range(1, 5), 1.0), None) is None
    assert opened_run_progress([], RunPlan(10, 5)) is None
    single = opened_run_progress(_records(range(5, 6), 1.0), RunPlan(10, 5))
    assert single is not None and single.eta_s is None  # one line: no speed yet


def test_a_quiet_run_is_called_stopped_only_when_quiet_for_long() -> None:
    records = _records(range(1, 21), 2.0)  # a line every 2 s, the last at 1040
    assert last_written(records, now=1040.0 + 60) is None
    quiet = last_written(records, now=1040.0 + QUIET_MIN_S + 1)
    assert quiet == pytest.approx(QUIET_MIN_S + 1)
    slow = _records(range(1, 21), 60.0)  # a line a minute: 5 minutes is not "stopped"
    assert last_written(slow, now=float(slow[-1]["time"]) + 300) is None  # type: ignore[arg-type]


def test_plan_json_round_trips_and_a_bad_one_reads_as_none(tmp_path: Path) -> None:
    writer = RunWriter.create(tmp_path / "run", '{"schema_version": 1}')
    writer.write_plan(total_steps=123, steps_per_epoch=7)
    writer.close()
    assert RunReader(tmp_path / "run").plan() == RunPlan(123, 7)
    RunPaths(tmp_path / "run").plan.write_text("{not json")
    assert RunReader(tmp_path / "run").plan() is None


def test_a_real_run_records_its_plan(capsys: pytest.CaptureFixture[str], paired_data: Path,
                                     tmp_path: Path) -> None:
    config = tiny_config_file(tmp_path, paired_data, **{"logging.max_steps": 3,
                                                        "logging.val_images": 0})
    assert main(["train", "--config", str(config), "--run-dir", str(tmp_path / "run"),
                 "--quiet"]) == 0
    plan = RunReader(tmp_path / "run").plan()
    assert plan is not None and plan.total_steps == 3 and plan.steps_per_epoch >= 1
