"""LossPlot: real widget, offscreen; grouping, smoothing, log scale, markers, export."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from nectar_gui.core.training.reports import LossReport
from nectar_gui.ui.training.loss_history import LossHistory, ema, read_loss_csv
from nectar_gui.ui.training.loss_plot import LossPlot

CYCLEGAN = ("G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "D_A", "D_B")


def records(steps: range, *, names: tuple[str, ...] = CYCLEGAN,
            steps_per_epoch: int = 10, seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.1, 2.0, size=(len(steps), len(names)))
    return [{"step": s, "epoch": (s - 1) // steps_per_epoch, "time": 0.5 * s,
             "losses": dict(zip(names, map(float, row), strict=True)),
             "lrs": {"lr_G": 2e-4, "lr_D": 1e-4}}
            for s, row in zip(steps, values, strict=True)]


def drawn(plot: LossPlot, name: str) -> tuple[np.ndarray, np.ndarray]:
    """What the curve draws, once the views have caught up with the new data.

    Clipping uses the view range, which follows the data at the next event-loop pass.
    """
    QApplication.processEvents()
    x, y = plot.curve(name).getData()
    assert x is not None and y is not None
    return x, y


@pytest.fixture
def plot(qtbot: Any) -> LossPlot:
    widget = LossPlot()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_one_curve_per_loss_grouped_into_g_and_d(plot: LossPlot, qtbot: Any) -> None:
    plot.add_points(records(range(1, 31)))
    qtbot.waitUntil(lambda: len(plot.curve_names()) == 8)  # drawn by the redraw timer
    assert plot.group_curve_names("G") == ["G_A", "G_B", "cycle_A", "cycle_B",
                                           "idt_A", "idt_B"]
    assert plot.group_curve_names("D") == ["D_A", "D_B"]
    assert plot.point_count() == 30
    x, y = drawn(plot, "cycle_B")
    np.testing.assert_array_equal(x, np.arange(1, 31))
    np.testing.assert_allclose(y, [r["losses"]["cycle_B"] for r in records(range(1, 31))])


def test_add_report_and_clear(plot: LossPlot) -> None:
    plot.add_report(LossReport(step=3, epoch=0, wall_time=1.0,
                               losses={"G_GAN": 0.7, "G_L1": 12.0, "D_real": 0.3,
                                       "D_fake": 0.2}, lrs={"lr_G": 2e-4}))
    plot.refresh()
    assert plot.group_curve_names("G") == ["G_GAN", "G_L1"]
    assert plot.group_curve_names("D") == ["D_real", "D_fake"]
    plot.clear()
    plot.refresh()
    assert plot.point_count() == 0
    assert plot.curve_names() == []
    assert plot.readout_text() == "No losses logged yet."


def test_smoothing_changes_the_display_not_the_data(plot: LossPlot) -> None:
    data = records(range(1, 201))
    plot.add_points(data)
    raw = np.array([r["losses"]["G_A"] for r in data])
    plot.refresh()
    plot.set_smoothing_position(100)
    plot.refresh()
    weight = plot.smoothing()
    assert 0.8 < weight < 0.95
    _, shown = drawn(plot, "G_A")
    np.testing.assert_allclose(shown, ema(raw, weight)[0])
    assert np.std(np.diff(shown)) < 0.5 * np.std(np.diff(raw))
    np.testing.assert_array_equal(plot.history().values("G_A"), raw)
    plot.set_smoothing_position(0)
    plot.refresh()
    np.testing.assert_allclose(drawn(plot, "G_A")[1], raw)


def test_smoothing_continues_across_new_points_like_one_pass() -> None:
    history = LossHistory()
    data = records(range(1, 101))
    history.append(data[:40])
    history.smoothed("D_A", 0.9)
    history.append(data[40:])
    expected, _ = ema(np.array([r["losses"]["D_A"] for r in data]), 0.9)
    np.testing.assert_allclose(history.smoothed("D_A", 0.9), expected)


def test_log_scale(plot: LossPlot) -> None:
    data = records(range(1, 21))
    plot.add_points(data)
    plot.set_log_scale(True)
    plot.refresh()
    assert plot.is_log_scale()
    _, y = drawn(plot, "D_B")
    np.testing.assert_allclose(y, np.log10([r["losses"]["D_B"] for r in data]))
    plot.set_log_scale(False)
    plot.refresh()
    np.testing.assert_allclose(drawn(plot, "D_B")[1],
                               [r["losses"]["D_B"] for r in data])


def test_epoch_markers_where_the_epoch_changes(plot: LossPlot) -> None:
    plot.add_points(records(range(1, 51), steps_per_epoch=10))  # epochs 0 … 4
    plot.refresh()
    assert plot.epoch_marker_steps() == [11.0, 21.0, 31.0, 41.0]
    lines = [line for _plot, line in plot._markers.lines]
    assert len(lines) == 2 * 4  # one per epoch change in each of the two plots
    assert sorted({line.value() for line in lines}) == [11.0, 21.0, 31.0, 41.0]


def test_epoch_numbers_sit_above_the_curves_and_never_crowd(plot: LossPlot) -> None:
    plot.add_points(records(range(1, 51), steps_per_epoch=10))
    plot.refresh()
    assert all(getattr(line, "label", None) is None  # no text over the curves
               for _plot, line in plot._markers.lines)
    labels = plot._markers.labels()
    assert labels and all(text.startswith("epoch ") for _, text in labels)
    assert labels[0] == (11.0, "epoch 2")
    view = plot._plots["G"].vb
    per_step = view.width() / (view.viewRange()[0][1] - view.viewRange()[0][0])
    gaps = [(b - a) * per_step for (a, _), (b, _) in itertools.pairwise(labels)]
    assert all(gap >= 64 for gap in gaps), gaps


def test_an_empty_plot_counts_whole_steps(plot: LossPlot) -> None:
    plot.refresh()
    assert plot._plots["G"].vb.viewRange()[0] == [0.0, 100.0]
    axis = plot._plots["D"].getAxis("bottom")
    assert all(spacing >= 1 for spacing, _ in axis.tickSpacing(0.0, 1.0, 400))


def test_many_epochs_get_thinned_markers(plot: LossPlot) -> None:
    plot.add_points(records(range(1, 1001), steps_per_epoch=1, names=("G", "D")))
    plot.refresh()
    assert 50 <= len(plot.epoch_marker_steps()) <= 100


def test_a_step_going_back_drops_the_later_points(plot: LossPlot) -> None:
    plot.add_points(records(range(1, 11)))
    plot.add_points(records(range(6, 8), seed=1))  # resumed from a checkpoint at step 5
    plot.refresh()
    np.testing.assert_array_equal(plot.history().steps(), [1, 2, 3, 4, 5, 6, 7])


def test_legend_click_hides_and_shows_a_curve(plot: LossPlot, qtbot: Any) -> None:
    plot.add_points(records(range(1, 31)))
    plot.refresh()
    qtbot.wait(1)  # let the legend lay itself out
    view = plot._graphics
    legend = plot._plots["G"].legend
    label = next(lbl for sample, lbl in legend.items if sample.item is plot.curve("cycle_A"))

    def click() -> None:
        centre = view.mapFromScene(label.sceneBoundingRect().center())
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)

    click()
    assert not plot.is_curve_visible("cycle_A")
    assert plot.is_curve_visible("cycle_B")
    assert "cycle_A" not in plot.readout_text()
    click()
    assert plot.is_curve_visible("cycle_A")
    assert "cycle_A" in plot.readout_text()


def test_hover_readout_names_the_step_and_every_value(plot: LossPlot, qtbot: Any) -> None:
    data = records(range(1, 101))
    plot.add_points(data)
    plot.refresh()
    text = plot.show_readout_at(42.3)
    first, *groups = text.splitlines()
    assert first == "step 42 · epoch 5"
    values = data[41]["losses"]
    assert groups[0].startswith("Generator loss:")
    assert groups[1].startswith("Discriminator loss:")
    for name in CYCLEGAN:
        assert f"{name} {values[name]:.4g}" in text
    assert all(line.isVisible() and line.value() == 42 for line in plot._crosshairs)


def test_hover_follows_the_mouse(plot: LossPlot, qtbot: Any) -> None:
    plot.add_points(records(range(1, 101)))
    plot.refresh()
    view_box = plot._plots["D"].vb
    view_box.setRange(xRange=(1, 100), yRange=(0, 2), padding=0)
    scene_pos = view_box.mapViewToScene(pg.Point(70, 1))
    widget_pos = plot._graphics.mapFromScene(scene_pos)
    qtbot.mouseMove(plot._graphics.viewport(), pos=QPoint(widget_pos.x(), widget_pos.y()))
    qtbot.waitUntil(lambda: plot.readout_text().startswith("step 70 "))
    plot.show_readout_at(None)
    assert plot.readout_text().startswith("step 100 ")
    assert not any(line.isVisible() for line in plot._crosshairs)


def test_a_million_points_are_kept_but_drawn_downsampled(plot: LossPlot) -> None:
    rng = np.random.default_rng(1)
    total, size = 1_000_000, 100_000
    g, d = rng.uniform(0.5, 1.5, size).tolist(), rng.uniform(0.1, 0.3, size).tolist()
    chunk: list[dict[str, Any]] = [{"step": i + 1, "epoch": i // 50_000, "time": 0.0,
              "losses": {"G_GAN": g[i], "D_fake": d[i]}, "lrs": {}} for i in range(size)]
    for _ in range(total // size):  # ten chunks, each one further on
        plot.add_points(chunk)
        for record in chunk:
            record["step"] += size
            record["epoch"] += 2
    plot.set_smoothing_position(150)
    plot.refresh()
    assert plot.point_count() == total
    for name in ("G_GAN", "D_fake"):
        x, _ = drawn(plot, name)
        assert 0 < len(x) < total // 20
    assert len(plot.epoch_marker_steps()) == 19


def test_csv_round_trip(plot: LossPlot, tmp_path: Path) -> None:
    data = records(range(1, 26))
    data[3]["losses"]["G_A"] = math.nan  # a diverged value stays NaN
    del data[5]["losses"]["idt_B"]  # a term missing from one line
    plot.add_points(data)
    path = tmp_path / "losses.csv"
    plot.export_csv(path)
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "step,epoch,time," + ",".join(CYCLEGAN) + ",lr/lr_G,lr/lr_D"
    back = read_loss_csv(path)
    assert len(back) == len(data)
    for original, loaded in zip(data, back, strict=True):
        assert loaded["step"] == original["step"]
        assert loaded["epoch"] == original["epoch"]
        assert loaded["time"] == original["time"]
        assert loaded["lrs"] == original["lrs"]
        expected = {n: original["losses"].get(n, math.nan) for n in CYCLEGAN}
        np.testing.assert_array_equal(list(loaded["losses"].values()),
                                      list(expected.values()))
    again = LossPlot()
    again.add_points(back)
    assert again.point_count() == 25


def test_png_export(plot: LossPlot, tmp_path: Path) -> None:
    plot.add_points(records(range(1, 101)))
    path = tmp_path / "losses.png"
    plot.export_png(path)
    assert path.stat().st_size > 1000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
