"""The Evaluate tab driven as a user would: offscreen, real widgets, the real worker
thread, a tiny real pix2pix run (checkpoints 2 and 4, six val pairs)."""

from __future__ import annotations

import json
import math
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from nectar_gui.core.evaluation.best import read_best, write_best
from nectar_gui.core.evaluation.records import HIGHER_IS_BETTER, is_better, ranking_value
from nectar_gui.ui.evaluate.requests import InspectRequest
from nectar_gui.ui.evaluate.tab import EvaluateTab
from tests.workers.test_evaluate_worker import VAL_IMAGES, tiny_eval_run

TIMEOUT = 60_000


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, paired_data: Path) -> Path:
    folder = tmp_path_factory.mktemp("eval-ws")
    tiny_eval_run(folder, paired_data)
    return folder


@pytest.fixture
def run(workspace: Path) -> Iterator[Path]:
    """The workspace's run, with BEST put back as training left it after each test."""
    run = workspace / "runs" / "tiny"
    best = (run / "checkpoints" / "BEST").read_bytes()
    yield run
    (run / "checkpoints" / "BEST").write_bytes(best)


@pytest.fixture
def tab(qtbot: QtBot, workspace: Path, run: Path, tmp_path: Path) -> Iterator[EvaluateTab]:
    torch.set_num_threads(1)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    t = EvaluateTab(workspace=workspace, settings=settings)
    qtbot.addWidget(t)
    t.resize(1024, 600)
    t.show()
    qtbot.waitUntil(lambda: t.run is not None and t.run.run_dir == run, timeout=TIMEOUT)
    yield t
    assert t.shutdown(TIMEOUT)


def _evaluate_all(qtbot: QtBot, tab: EvaluateTab) -> None:
    tab.checkpoints.tick_all(True)
    qtbot.mouseClick(tab.controls.evaluate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.runner.busy, timeout=TIMEOUT)


def _column_values(tab: EvaluateTab, metric: str) -> list[float]:
    model = tab.table.results
    return [ranking_value(model.result(r).metrics, metric) for r in range(model.rowCount())]


def _row_text(tab: EvaluateTab, row: int) -> str:
    item = tab.checkpoints.tree.topLevelItem(row)
    assert item is not None
    return item.text(0)


def _click_header(qtbot: QtBot, tab: EvaluateTab, column: int) -> None:
    header = tab.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(x, header.height() // 2))


def test_evaluate_two_checkpoints_sorts_worst_first(qtbot: QtBot, tab: EvaluateTab) -> None:
    assert tab.controls.split() == "val" and tab.controls.ranking_metric() == "psnr"
    _evaluate_all(qtbot, tab)
    assert sorted(tab._split_results()) == [2, 4]
    assert "2 checkpoint(s) measured" in tab.strip.label.text()
    assert tab.table.results.rowCount() == VAL_IMAGES
    psnr = _column_values(tab, "psnr")
    assert psnr == sorted(psnr)  # worst PSNR (lowest) on top
    assert tab.table.results.data(tab.table.results.index(0, 4),
                                  Qt.ItemDataRole.DecorationRole) is not None  # A|G(A)|B
    l1_column = tab.table.results.metric_column("l1")
    _click_header(qtbot, tab, l1_column)
    l1 = _column_values(tab, "l1")
    assert "l1" not in HIGHER_IS_BETTER and l1 == sorted(l1, reverse=True)  # worst first
    _click_header(qtbot, tab, l1_column)
    assert _column_values(tab, "l1") == sorted(l1)
    points = dict(tab.plot.evaluated_points())
    assert set(points) == {2.0, 4.0}
    validated, _ = tab.plot.validation.getData()  # val.jsonl, written while training
    assert validated is not None and list(validated) == [2.0, 4.0]
    assert points[4.0] == pytest.approx(tab._split_results()[4].mean["psnr"])


def test_cancel_half_way_leaves_the_tab_usable(qtbot: QtBot, tab: EvaluateTab) -> None:
    # Hold the worker after its second image until Cancel was pressed, so the click
    # always lands half-way however fast the machine is.
    pressed = threading.Event()
    tab.runner.worker.progress.connect(
        lambda p: pressed.wait(TIMEOUT / 1000) if p.done == 2 else None)
    tab.checkpoints.tick_all(True)
    qtbot.mouseClick(tab.controls.evaluate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "image 2 of" in tab.strip.label.text(), timeout=TIMEOUT)
    assert not tab.controls.evaluate_button.isEnabled() and tab.strip.bar.isVisible()
    qtbot.mouseClick(tab.strip.cancel_button, Qt.MouseButton.LeftButton)
    pressed.set()
    qtbot.waitUntil(lambda: not tab.runner.busy, timeout=TIMEOUT)
    assert "cancelled" in tab.strip.label.text()
    assert tab._split_results() == {} and tab.controls.evaluate_button.isEnabled()
    assert tab.runner.shutdown(TIMEOUT)  # joins: no thread left running
    assert not tab.message.isVisible()


def test_mark_as_best_and_pick_the_best(qtbot: QtBot, tab: EvaluateTab, run: Path) -> None:
    write_best(run / "checkpoints", 4, by="validation")
    tab.refresh_runs()
    assert _row_text(tab, 0).endswith("★ BEST")  # step 4, newest first
    tab.checkpoints.select_step(2)
    qtbot.mouseClick(tab.best.mark_button, Qt.MouseButton.LeftButton)
    mark = read_best(run / "checkpoints")
    assert mark is not None and (mark.step, mark.by) == (2, "user")
    assert "step 2" in tab.best.status.text() and "by hand" in tab.best.status.text()
    assert "★ BEST" in _row_text(tab, 1) and "★" not in _row_text(tab, 0)

    _evaluate_all(qtbot, tab)
    for metric in ("ssim", "l1"):
        tab.controls.metric_combo.setCurrentIndex(tab.controls.metric_combo.findData(metric))
        tab.controls.metric_combo.activated.emit(tab.controls.metric_combo.currentIndex())
        means = {s: e.mean[metric] for s, e in tab._split_results().items()}
        expected = 4 if is_better(metric, means[4], means[2]) else 2
        qtbot.mouseClick(tab.best.auto_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not tab.runner.busy, timeout=TIMEOUT)
        mark = read_best(run / "checkpoints")
        assert mark is not None and (mark.step, mark.metric) == (expected, metric)
        assert tab.plot.star_point() == (expected, pytest.approx(means[expected]))
        assert f"step {expected}" in tab.best.status.text()


def test_double_click_asks_for_the_inspector(qtbot: QtBot, tab: EvaluateTab,
                                             run: Path) -> None:
    _evaluate_all(qtbot, tab)
    tab.checkpoints.select_step(2)
    worst = tab.table.results.result(0)
    rect = tab.table.visualRect(tab.table.results.index(0, 0))
    # Qt 6 item views take a double-click only on the index the press landed on.
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(tab.inspect_requested, timeout=5_000) as asked:
        qtbot.mouseDClick(tab.table.viewport(), Qt.MouseButton.LeftButton,
                          pos=rect.center())
    request = asked.args[0]
    assert isinstance(request, InspectRequest)
    assert request.checkpoint == run / "checkpoints" / "00000002" and request.step == 2
    assert request.name == worst.name and request.image_a == Path(worst.a_path)
    assert request.image_a.is_file() and request.image_b is None  # A|B in one file
    assert not math.isnan(worst.metrics["psnr"])


def test_runs_that_cannot_be_evaluated_say_why(qtbot: QtBot, tab: EvaluateTab, run: Path,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "fresh"
    empty.mkdir()
    shutil.copy(run / "config.json", empty / "config.json")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(empty))
    qtbot.mouseClick(tab.controls.open_button, Qt.MouseButton.LeftButton)
    assert tab.message.isVisible() and "has no checkpoint yet" in tab.message.text()
    assert not tab.controls.evaluate_button.isEnabled()
    assert tab.controls.current_run() == empty

    tab.open_run(tmp_path)
    assert "not a Nectar run folder" in tab.message.text()

    no_val = tmp_path / "no-val"
    shutil.copytree(run, no_val)
    data = tmp_path / "train-only"
    shutil.copytree(Path(json.loads((run / "config.json").read_text())["data"]["root"]) /
                    "train", data / "train")
    config = json.loads((no_val / "config.json").read_text())
    config["data"]["root"] = str(data)
    (no_val / "config.json").write_text(json.dumps(config))
    tab.open_run(no_val)
    assert "no val/ or test/ split" in tab.message.text()
    assert tab.best.mark_button.isEnabled()  # marking by hand needs no evaluation

    tab.open_run(run)
    assert not tab.message.isVisible() and tab.controls.evaluate_button.isEnabled()


def test_fits_a_small_window(qtbot: QtBot, tab: EvaluateTab) -> None:
    assert tab.minimumSizeHint().width() <= 620
    tab.resize(1024, 600)
    qtbot.waitUntil(lambda: tab.controls.geometry().bottom() < 120, timeout=TIMEOUT)
    assert tab.table.height() > 150


def test_a_failed_evaluation_says_why(qtbot: QtBot, tab: EvaluateTab, run: Path,
                                      tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    tab.controls.open_run(copy / "checkpoints" / "00000002")  # a checkpoint folder
    assert tab.run is not None and tab.run.run_dir == copy
    assert tab.checkpoints.current_step() == 2 and tab.checkpoints.ticked_steps() == [2]
    (copy / "checkpoints" / "00000002" / "G.safetensors").unlink()  # gone meanwhile
    _evaluate_all(qtbot, tab)
    assert tab.message.isVisible() and "no checkpoint at step 2" in tab.message.text()
    assert "failed" in tab.strip.label.text()
    tab.refresh_runs()  # re-reading the run lists what is left; the tab is usable
    assert tab.run.steps == (4,) and tab.controls.evaluate_button.isEnabled()
    tab.plot.step_clicked.emit(4)
    assert tab.checkpoints.current_step() == 4


def test_a_generator_file_is_measured_on_a_chosen_dataset(
        qtbot: QtBot, tab: EvaluateTab, run: Path, tmp_path: Path, unpaired_data: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A reference latest_net_G.pth on the run's dataset: one entry, no BEST, no D."""
    from nectar_gui.core.evaluation.evaluate import evaluate_generator_file
    from tests.tiny_generators import reference_pth

    pth = reference_pth(tmp_path / "latest_net_G.pth")
    data = Path(json.loads((run / "config.json").read_text())["data"]["root"])
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(pth), ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(data))
    qtbot.mouseClick(tab.controls.file_button, Qt.MouseButton.LeftButton)
    assert tab.run is not None and tab.run.generator_file == pth
    assert tab.controls.current_file() == (pth, data)
    assert "latest_net_G.pth on" in tab.controls.run_combo.currentText()
    assert _row_text(tab, 0) == "latest_net_G.pth" and tab.checkpoints.ticked_steps() == [0]
    assert not tab.best.mark_button.isVisible() and "not a run" in tab.best.status.text()

    _evaluate_all(qtbot, tab)
    evaluation = tab.current_evaluation()
    assert evaluation is not None and evaluation.step == 0
    assert tab.table.results.rowCount() == len(evaluation.images) > 0
    direct = evaluate_generator_file(pth, data, tab.controls.split(), tab.controls.limit(),
                                     thumb_size=0)
    assert evaluation.mean == pytest.approx(direct.mean)  # the engine's own numbers
    assert "latest_net_G.pth" in tab.caption.text() and "double-click" not in tab.caption.text()

    rect = tab.table.visualRect(tab.table.results.index(0, 0))
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.assertNotEmitted(tab.inspect_requested):
        qtbot.mouseDClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert "no discriminator" in tab.strip.label.text()

    tab.open_run(run)  # back to the run: BEST can be marked again
    assert tab.best.mark_button.isVisible() and not tab.run.is_file
    index = tab.controls.run_combo.findText("latest_net_G.pth", Qt.MatchFlag.MatchStartsWith)
    tab.controls.run_combo.setCurrentIndex(index)
    tab.controls.run_combo.activated.emit(index)  # the file stays in the list
    assert tab.run is not None and tab.run.generator_file == pth

    tab.open_generator_file(pth, unpaired_data)
    assert tab.message.isVisible() and "unpaired" in tab.message.text()
    assert not tab.controls.evaluate_button.isEnabled()


def test_fid_is_offered_once_an_evaluation_has_it(qtbot: QtBot) -> None:
    from nectar_gui.ui.evaluate.controls import ControlBar

    bar = ControlBar()
    qtbot.addWidget(bar)
    bar.set_metrics(("psnr", "ssim", "l1"), "psnr")
    bar.offer_metrics(["fid", "kid"])
    bar.offer_metrics(["fid"])
    combo = bar.metric_combo
    assert [combo.itemData(i) for i in range(combo.count())] == ["psnr", "ssim", "l1", "fid",
                                                                 "kid"]
    assert combo.itemText(3) == "FID" and bar.ranking_metric() == "psnr"


def test_fid_weights_chosen_in_the_tab_measure_a_generator_file(
        qtbot: QtBot, tab: EvaluateTab, run: Path, tmp_path: Path, inception_file: Path,
        small_inputs: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A loose file has no run config: without a weights file the caption says why FID is
    missing; with one chosen under FID/KID it is measured, offered and remembered."""
    from tests.tiny_generators import reference_pth

    pth = reference_pth(tmp_path / "latest_net_G.pth")
    data = Path(json.loads((run / "config.json").read_text())["data"]["root"])
    tab.controls.limit_spin.setValue(4)
    tab.open_generator_file(pth, data)
    assert tab.controls.fid_button.text() == "no weights file"
    assert not tab.controls.fid_clear_action.isEnabled()
    _evaluate_all(qtbot, tab)
    evaluation = tab.current_evaluation()
    assert evaluation is not None and "fid" not in evaluation.mean
    assert "FID and KID unavailable" in tab.caption.text()
    assert tab.controls.metric_combo.findData("fid") < 0

    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(inception_file), ""))
    menu = tab.controls.fid_button.menu()
    assert menu is not None
    menu.actions()[0].trigger()  # "Choose a weights file…"
    assert tab.controls.fid_button.text() == inception_file.name
    assert tab.settings.value("evaluate/inception_weights") == str(inception_file)
    _evaluate_all(qtbot, tab)
    evaluation = tab.current_evaluation()
    assert evaluation is not None and math.isfinite(evaluation.mean["fid"])
    assert math.isfinite(evaluation.mean["kid"]) and not evaluation.unavailable
    assert "unavailable" not in tab.caption.text()
    assert tab.controls.metric_combo.findData("fid") >= 0

    # A new tab on the same settings starts with the file; "Use none" forgets it.
    again = EvaluateTab(workspace=tab.workspace, settings=tab.settings)
    qtbot.addWidget(again)
    assert again.controls.inception_weights() == str(inception_file)
    again.controls.fid_clear_action.trigger()
    assert again.controls.inception_weights() is None
    assert tab.settings.value("evaluate/inception_weights") == ""
    assert again.shutdown(TIMEOUT)
