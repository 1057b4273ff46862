"""The Training tab's measured quality: validation curves with the best step starred, and
an opened run's progress from its plan."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nectar_gui.cli import main
from nectar_gui.core.evaluation.best import BestMark, read_best
from nectar_gui.core.rundir import RunReader
from nectar_gui.core.training.reports import ValidationReport
from nectar_gui.ui.shell.main_window import MainWindow
from nectar_gui.ui.training.validation_plot import ValidationPlot
from nectar_gui.ui.training.view import TrainingView
from tests.core.test_cli import tiny_config_file
from tests.ui.conftest import shown_window

TIMEOUT = 60_000


def _report(step: int, psnr: float, best: int | None) -> ValidationReport:
    return ValidationReport(step=step, epoch=0, split="val", images=4,
                            metrics={"l1": 0.3, "psnr": psnr, "ssim": 0.5}, unavailable={},
                            seconds=0.1, best_metric="psnr", best_step=best,
                            is_best=best == step)


def test_the_best_step_is_starred_and_said(qtbot: QtBot) -> None:
    plot = ValidationPlot()
    qtbot.addWidget(plot)
    assert "No validation yet" in plot.readout.text()
    plot.add_report(_report(100, 12.0, best=100))
    plot.add_report(_report(200, 15.5, best=200))
    plot.add_report(_report(300, 14.0, best=200))
    assert plot.steps() == [100, 200, 300] and plot.shown_metric() == "psnr"
    assert plot.starred_step() == 200
    xs, ys = plot.star.getData()
    assert list(xs) == [200.0] and list(ys) == [15.5]
    assert "the BEST checkpoint: 15.5 at step 200" in plot.readout.text()
    assert "higher is better" in plot.readout.text()
    plot.metric_combo.setCurrentIndex(plot.metric_combo.findData("l1"))
    assert "lower is better" in plot.readout.text()
    plot.set_best(None)  # no BEST file: the best value of the metric shown is starred
    plot.metric_combo.setCurrentIndex(plot.metric_combo.findData("psnr"))
    assert plot.starred_step() == 200 and "best so far" in plot.readout.text()
    plot.set_best(BestMark(step=300, metric="psnr", value=14.0, by="user"))
    assert plot.starred_step() == 300  # the user's choice wins
    plot.clear()
    assert plot.steps() == [] and "No validation yet" in plot.readout.text()


@pytest.fixture(scope="module")
def validated_run(tmp_path_factory: pytest.TempPathFactory, paired_data: Path) -> Path:
    """A tiny pix2pix run validated at steps 2 and 4 (its checkpoints)."""
    work = tmp_path_factory.mktemp("quality")
    config = tiny_config_file(work, paired_data, **{
        "logging.max_steps": 4, "logging.checkpoint_every_steps": 2,
        "logging.val_images": 3})
    assert main(["train", "--config", str(config), "--run-dir", str(work / "run"),
                 "--quiet"]) == 0
    return work / "run"


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    with shown_window(qtbot, tmp_path / "ws", tmp_path) as win:
        yield win


def test_an_opened_run_shows_its_quality_and_where_it_got_to(
        qtbot: QtBot, window: MainWindow, validated_run: Path) -> None:
    reader = RunReader(validated_run)
    validated = [r.step for r in reader.all_validations()]
    best = read_best(reader.paths.checkpoints)
    assert validated == [2, 4] and best is not None
    window.open_run(validated_run)
    plot = window.training_view.validation_plot
    qtbot.waitUntil(lambda: plot.steps() == validated, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: plot.starred_step() == best.step, timeout=TIMEOUT)
    progress = window.training_view.progress
    qtbot.waitUntil(lambda: progress.label.text().startswith("Step 4 / 4"), timeout=TIMEOUT)
    assert progress.bar.isVisible() and progress.bar.value() == progress.bar.maximum()


def _health_records(steps: range, *, acc_fake: float, g_gan: float) -> list[dict[str, object]]:
    return [{"step": s, "epoch": 0, "time": float(s),
             "losses": {"G_GAN": g_gan + s * 0.002, "G_L1": 5.0, "D_real": 0.3, "D_fake": 0.2},
             "d_health": {"acc_real": 0.97, "acc_fake": acc_fake, "score_real": 0.9,
                          "score_fake": 0.05, "grad_norm_G": 3.0, "grad_norm_D": 0.5}}
            for s in steps]


def test_the_health_strip_says_when_d_overpowers_g(qtbot: QtBot) -> None:
    view = TrainingView()
    qtbot.addWidget(view)
    view.resize(1400, 700)
    view.show()
    assert view.health_badge.plain_text() == ""
    with qtbot.waitSignal(view.health_plot.diagnosis_changed, timeout=5000):
        view.health_plot.add_points(_health_records(range(10, 710, 10), acc_fake=0.99,
                                                    g_gan=1.0))
    diagnosis = view.health_plot.diagnosis()
    assert diagnosis is not None and diagnosis.state == "d_overpowering"
    assert view.health_badge.plain_text().startswith("D vs G: D is overpowering G — ")
    assert "d_lr_factor" in view.health_badge.toolTip()  # what to try
    view.health_plot.refresh()
    assert view.health_plot.signal_names()[:2] == ["acc_real", "acc_fake"]
    labels = {item.name() for item in view.health_plot.plots["acc"].listDataItems()}
    assert labels == {"D right on real", "D right on fake"}
    view.clear()
    assert view.health_badge.plain_text() == "" and view.health_plot.signal_names() == []


def test_the_probe_timeline_scrubs_and_compares_two_steps(
        qtbot: QtBot, window: MainWindow, validated_run: Path) -> None:
    window.open_run(validated_run)
    probes = window.training_view.probes
    qtbot.waitUntil(lambda: probes.steps() == [2, 4], timeout=TIMEOUT)
    window.training_view.side.setCurrentWidget(probes)
    assert probes.shown_step() == 4  # the newest, like a live view
    assert probes.stack.currentWidget() is probes.pictures
    sizes = [label.pixmap().size().toTuple() for label in probes.images]
    assert len(set(sizes)) == 1 and sizes[0][0] > 0  # input, translation, target alike
    probes.slider.setValue(0)
    assert probes.shown_step() == 2 and probes.step_label.text() == "step 2"
    probes.compare_combo.setCurrentIndex(1)  # step 4 right of the divider
    probes.compare_box.setChecked(True)
    assert probes.stack.currentWidget() is probes.split
    assert probes.split.labels == ("step 2", "step 4")
    assert probes.split.image_size() is not None


def test_the_inspector_follows_the_probe_through_every_checkpoint(
        qtbot: QtBot, window: MainWindow, validated_run: Path) -> None:
    window.open_run(validated_run)
    inspector = window.inspector
    window.tabs.setCurrentWidget(inspector)
    button = inspector.controls.over_time
    assert button.isEnabled()
    with qtbot.waitSignal(inspector.over_time.probe.ready, timeout=TIMEOUT) as ready:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    records = ready.args[0]
    assert sorted(records) == [2, 4]  # one answer per checkpoint, for the same image
    qtbot.waitUntil(lambda: inspector.current_map() == "D(fake_B)", timeout=TIMEOUT)
    assert inspector.scrubber.steps() == [2, 4] and inspector.history.isVisible()
    inspector.set_pins([(0, 0)])
    steps, values = inspector.history.curve.getData()
    assert list(steps) == [2, 4] and len(values) == 2
    first = records[2].patch_maps["D(fake_B)"]
    assert first.shape == records[4].patch_maps["D(fake_B)"].shape  # the same image
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # back to the training samples
    assert not inspector.history.isVisible()
    qtbot.waitUntil(lambda: inspector.scrubber.steps() != [2, 4], timeout=TIMEOUT)


def _copy_without(run: Path, tmp_path: Path, *folders: str) -> Path:
    """A copy of ``run`` with ``folders`` removed (an older run, or one that lost them)."""
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    for folder in folders:
        shutil.rmtree(copy / folder)
    return copy


def test_a_run_without_probes_follows_its_first_sample_input(
        qtbot: QtBot, window: MainWindow, validated_run: Path, tmp_path: Path) -> None:
    run = _copy_without(validated_run, tmp_path, "probes")
    first = RunReader(run).load_sample(RunReader(run).sample_steps()[0]).images["real_A"]
    window.open_run(run)
    inspector = window.inspector
    with qtbot.waitSignal(inspector.over_time.probe.ready, timeout=TIMEOUT) as ready:
        inspector.controls.over_time.click()
    records = ready.args[0]
    assert sorted(records) == [2, 4]
    for record in records.values():  # D judged G's translation of that very input
        assert np.array_equal(record.images["real_A"], first)
    assert "the first sample's input at 2 checkpoints" in inspector.pins_label.text().lower()


def test_a_run_with_nothing_to_follow_says_so(
        qtbot: QtBot, window: MainWindow, validated_run: Path, tmp_path: Path) -> None:
    run = _copy_without(validated_run, tmp_path, "probes", "samples")
    window.open_run(run)
    window.inspector.controls.over_time.click()
    assert "neither a probe image nor a saved sample" in window.inspector.pins_label.text()
    assert not window.inspector.controls.over_time.isChecked()  # nothing to follow


def test_the_probe_over_time_judges_only_checkpoints_it_has_not_seen(
        qtbot: QtBot, window: MainWindow, validated_run: Path, tmp_path: Path) -> None:
    run = _copy_without(validated_run, tmp_path)
    window.open_run(run)
    inspector = window.inspector
    window.tabs.setCurrentWidget(inspector)
    probe, button = inspector.over_time.probe, inspector.controls.over_time
    loads: list[object] = []
    probe.runner.loaded.connect(loads.append)
    with qtbot.waitSignal(probe.ready, timeout=TIMEOUT) as ready:
        button.click()
    first = ready.args[0]
    assert sorted(first) == [2, 4] and len(loads) == 2

    button.click()  # back to the samples, then the probe again: nothing is judged anew
    with qtbot.waitSignal(probe.ready, timeout=TIMEOUT) as ready:
        button.click()
    assert len(loads) == 2 and ready.args[0] == first
    qtbot.waitUntil(lambda: inspector.scrubber.steps() == [2, 4], timeout=TIMEOUT)

    # A live run saved one more checkpoint: only that one is loaded and judged.
    shutil.copytree(run / "checkpoints" / "00000004", run / "checkpoints" / "00000006")
    button.click()
    with qtbot.waitSignal(probe.ready, timeout=TIMEOUT) as ready:
        button.click()
    assert sorted(ready.args[0]) == [2, 4, 6] and len(loads) == 3
    assert ready.args[0][2] is first[2]
