"""Ask D about any image: a real tiny run's D judges a file, shown in the Inspector tab."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pytestqt.qtbot import QtBot

from nectar_gui.ui.inspector import InspectorTab
from tests.fields import patchgan_field
from tests.tiny import TINY

TIMEOUT = 90_000


@pytest.fixture(scope="module")
def pix2pix_run(tmp_path_factory: pytest.TempPathFactory, paired_data: Path) -> Path:
    run = tmp_path_factory.mktemp("ask") / "run"
    sets = [f"--set={k}={v}" for k, v in {**TINY, "model.unet_downs": 5}.items()]
    subprocess.run([sys.executable, "-m", "nectar_gui.cli", "train", "--preset", "pix2pix",
                    "--data", str(paired_data), "--run-dir", str(run), "--max-steps", "1",
                    "--quiet", *sets], check=True, timeout=300)
    return run


@pytest.fixture
def tab(qtbot: QtBot) -> Iterator[InspectorTab]:
    widget = InspectorTab()
    qtbot.addWidget(widget)
    widget.resize(1000, 760)
    widget.show()
    yield widget
    widget.shutdown()


def photo(path: Path, height: int, width: int) -> Path:
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (height, width, 3), np.uint8)
                    ).save(path)
    return path


def test_a_runs_d_judges_any_image_in_the_inspector(qtbot: QtBot, tab: InspectorTab,
                                                    pix2pix_run: Path, tmp_path: Path) -> None:
    panel = tab.ask
    tab.controls.ask.click()
    assert panel.isVisible() and panel.problem() is not None
    with qtbot.waitSignal(panel.runner.loaded, timeout=TIMEOUT):
        panel.load_model(pix2pix_run)
    assert panel.info is not None and panel.info.kind == "pix2pix"
    assert "step 1" in panel.model_label.text()
    assert panel.condition_button.isVisible() and not panel.domain.isVisible()
    panel.set_image(photo(tmp_path / "b.png", 45, 61))
    panel.ask()
    assert "needs the A image" in panel.status.text()  # asked nothing: no condition yet

    panel.set_judging(translate=True)  # G's output for this A image, which is the condition
    assert not panel.condition_button.isVisible()
    with qtbot.waitSignal(panel.judged, timeout=TIMEOUT):
        panel.ask()
    assert tab.current_map() == "D(fake_B)"
    assert tab.view.image_size() == (45, 61)
    rf = patchgan_field(3)
    assert tab.view.grid_shape() == (rf.output_size(45), rf.output_size(61))
    assert tab.header.text().startswith("Your image, judged by D of run, step 1")
    assert not tab.scrubber.is_live()

    panel.set_judging(translate=False)
    panel.set_condition(photo(tmp_path / "a.png", 30, 30))
    with qtbot.waitSignal(panel.judged, timeout=TIMEOUT):
        panel.ask()
    assert tab.current_map() == "D(real_B)"

    with qtbot.waitSignal(panel.runner.failed, timeout=TIMEOUT) as failed:
        panel.load_model(tmp_path)
    assert "neither a run folder" in failed.args[0]
    assert panel.info is not None  # the loaded model stays


def test_another_tab_asks_about_an_image_with_a_checkpoint(
        qtbot: QtBot, tab: InspectorTab, pix2pix_run: Path, tmp_path: Path) -> None:
    checkpoint = next((pix2pix_run / "checkpoints").glob("0*"))
    with qtbot.waitSignal(tab.ask.judged, timeout=TIMEOUT):
        tab.ask_about(checkpoint, photo(tmp_path / "a.png", 40, 52))  # one call: load, judge
    assert tab.ask.isVisible() and tab.controls.ask.isChecked()
    assert tab.current_map() == "D(fake_B)" and tab.view.image_size() == (40, 52)
