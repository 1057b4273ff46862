"""The training worker on a real QThread: signals, pause/resume/stop, errors, joining."""

from __future__ import annotations

import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from nectar_gui.core.checkpoints import latest_checkpoint
from nectar_gui.core.training.reports import ErrorReport, FinishedReport
from nectar_gui.workers.training import TRAINING_SWITCH_INTERVAL_S, TrainingRunner
from tests.tiny import tiny_config

TIMEOUT = 60_000


def test_run_pause_resume_stop(qtbot: QtBot, paired_data: Path, tmp_path: Path) -> None:
    runner = TrainingRunner()
    # Runs until stopped: a run that ended before pause() would leave nothing to pause.
    config = tiny_config("pix2pix", paired_data, **{"logging.sample_interval_s": 0.0,
                                                    "optim.n_epochs": 10_000})
    run_dir = tmp_path / "run"
    before = sys.getswitchinterval()
    with qtbot.waitSignal(runner.running_changed, timeout=TIMEOUT):
        worker = runner.start(config, run_dir=run_dir)
    # The UI hands the GIL back to the training thread quickly while a run is active.
    assert sys.getswitchinterval() == TRAINING_SWITCH_INTERVAL_S < before
    finished: list[FinishedReport | None] = []
    worker.finished.connect(finished.append)

    with qtbot.waitSignals([worker.losses, worker.sample], timeout=TIMEOUT):
        pass
    with qtbot.waitSignal(worker.paused, timeout=TIMEOUT) as paused:
        runner.pause()
    with qtbot.waitSignal(worker.resumed, timeout=TIMEOUT) as resumed:
        runner.resume()
    assert resumed.args[0].step == paused.args[0].step  # no step taken while paused

    with qtbot.waitSignal(runner.running_changed, timeout=TIMEOUT) as ended:
        runner.stop()
    assert ended.args == [False]
    assert sys.getswitchinterval() == before  # restored once the run has ended
    assert finished and finished[0] is not None and finished[0].reason == "stopped"
    checkpoint = latest_checkpoint(run_dir / "checkpoints")
    assert checkpoint is not None and checkpoint.name == f"{finished[0].step:08d}"


def test_error_becomes_a_signal_and_finished_still_fires(qtbot: QtBot, tmp_path: Path) -> None:
    runner = TrainingRunner()
    config = tiny_config("pix2pix", tmp_path / "missing-data")
    errors: list[ErrorReport] = []
    finished: list[object] = []
    worker = runner.start(config, run_dir=tmp_path / "run")
    worker.error.connect(errors.append)
    worker.finished.connect(finished.append)
    qtbot.waitUntil(lambda: not runner.running, timeout=TIMEOUT)
    assert len(errors) == 1 and "missing-data" in errors[0].message
    assert finished == [None]


def test_stop_and_wait_joins_the_thread_and_saves(qtbot: QtBot, paired_data: Path,
                                                  tmp_path: Path) -> None:
    runner = TrainingRunner()
    worker = runner.start(tiny_config("pix2pix", paired_data), run_dir=tmp_path / "run")
    qtbot.waitSignal(worker.losses, timeout=TIMEOUT).wait()
    assert runner.stop_and_wait()
    assert not runner.running
    assert latest_checkpoint(tmp_path / "run" / "checkpoints") is not None
