"""RunFollower: a run folder followed from a background thread while a writer appends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nectar_gui.core.geometry import ReceptiveField
from nectar_gui.core.rundir import RunWriter
from nectar_gui.core.training.reports import LossReport, SampleReport
from nectar_gui.workers.run_follower import RunFollower

CONFIG = {"schema_version": 1, "name": "follow-me"}


def _loss(step: int, epoch: int = 0) -> LossReport:
    return LossReport(step=step, epoch=epoch, wall_time=float(step),
                      losses={"G_GAN": 1.0 / step, "D_real": 0.5}, lrs={"lr_G": 2e-4})


def _sample(step: int) -> SampleReport:
    image = np.full((8, 8, 3), step, dtype=np.uint8)
    return SampleReport(step=step, epoch=0, images={"real_A": image, "fake_B": image},
                        patch_maps={}, patch_map_images={},
                        receptive_field=ReceptiveField.from_layers([(4, 2, 1)]),
                        gan_mode="lsgan")


class Recorder:
    """Collects everything a follower emits."""

    def __init__(self, follower: RunFollower) -> None:
        self.configs: list[dict[str, Any]] = []
        self.steps: list[int] = []
        self.resets = 0
        self.samples: list[list[int]] = []
        self.checkpoints: list[list[int]] = []
        self.errors: list[str] = []
        follower.config_loaded.connect(self.configs.append)
        follower.metrics.connect(lambda recs: self.steps.extend(r["step"] for r in recs))
        follower.reset.connect(self._on_reset)
        follower.sample_steps.connect(self.samples.append)
        follower.checkpoints.connect(self.checkpoints.append)
        follower.error.connect(self.errors.append)

    def _on_reset(self) -> None:
        self.resets += 1
        self.steps.clear()


@pytest.fixture
def follower() -> Iterator[RunFollower]:
    follower = RunFollower(interval_ms=20)
    yield follower
    follower.stop()


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[RunWriter]:
    with RunWriter.create(tmp_path / "run", json.dumps(CONFIG)) as writer:
        yield writer


def test_reads_a_finished_run(qtbot: Any, follower: RunFollower, writer: RunWriter) -> None:
    for step in (1, 2, 3):
        writer.write_metrics(_loss(step))
    writer.write_sample(_sample(2))
    record = Recorder(follower)
    with qtbot.waitSignal(follower.config_loaded, timeout=5000):
        follower.start(writer.paths.root)
    qtbot.waitUntil(lambda: record.steps == [1, 2, 3] and record.samples == [[2]])
    assert record.configs == [CONFIG]
    assert record.checkpoints == [[]]
    assert record.errors == []
    assert follower.is_running()


def test_picks_up_lines_appended_while_following(qtbot: Any, follower: RunFollower,
                                                 writer: RunWriter) -> None:
    writer.write_metrics(_loss(1))
    record = Recorder(follower)
    follower.start(writer.paths.root)
    qtbot.waitUntil(lambda: record.steps == [1])
    for step in (2, 3, 4):
        writer.write_metrics(_loss(step, epoch=1))
    writer.write_sample(_sample(4))
    qtbot.waitUntil(lambda: record.steps == [1, 2, 3, 4] and record.samples[-1] == [4])
    _fake_checkpoint(writer.paths.checkpoints / "00000004")
    qtbot.waitUntil(lambda: record.checkpoints[-1] == [4])
    assert record.resets == 0
    assert len(record.configs) == 1


def test_rewritten_metrics_reset_the_history(qtbot: Any, follower: RunFollower,
                                             writer: RunWriter) -> None:
    for step in range(1, 6):
        writer.write_metrics(_loss(step))
    record = Recorder(follower)
    follower.start(writer.paths.root)
    qtbot.waitUntil(lambda: record.steps == [1, 2, 3, 4, 5])
    with qtbot.waitSignal(follower.reset, timeout=5000):
        writer.truncate_after(2)  # a resume from the checkpoint at step 2
    writer.write_metrics(_loss(3))
    qtbot.waitUntil(lambda: record.steps == [1, 2, 3])
    assert record.resets == 1


def test_missing_folder_is_an_error_then_found_when_it_appears(
        qtbot: Any, follower: RunFollower, tmp_path: Path) -> None:
    root = tmp_path / "not-yet"
    record = Recorder(follower)
    with qtbot.waitSignal(follower.error, timeout=5000) as blocker:
        follower.start(root)
    assert "does not exist" in blocker.args[0]
    assert str(root) in blocker.args[0]
    with RunWriter.create(root, json.dumps(CONFIG)) as writer:
        writer.write_metrics(_loss(1))
        qtbot.waitUntil(lambda: record.steps == [1])
    assert record.configs == [CONFIG]
    assert len(record.errors) == 1  # reported once, not at every poll


def test_folder_without_config_is_an_error(qtbot: Any, follower: RunFollower,
                                           tmp_path: Path) -> None:
    with qtbot.waitSignal(follower.error, timeout=5000) as blocker:
        follower.start(tmp_path)
    assert "config.json" in blocker.args[0]


def test_stop_joins_the_thread_and_silences_the_follower(
        qtbot: Any, follower: RunFollower, writer: RunWriter) -> None:
    record = Recorder(follower)
    follower.start(writer.paths.root)
    qtbot.waitUntil(lambda: record.configs == [CONFIG])
    follower.stop()
    assert not follower.is_running()
    writer.write_metrics(_loss(1))
    follower.stop()  # twice is fine
    with qtbot.assertNotEmitted(follower.metrics, wait=100):
        pass
    assert record.steps == []


def test_restart_on_another_folder(qtbot: Any, follower: RunFollower, writer: RunWriter,
                                   tmp_path: Path) -> None:
    writer.write_metrics(_loss(1))
    record = Recorder(follower)
    follower.start(writer.paths.root)
    qtbot.waitUntil(lambda: record.steps == [1])
    with RunWriter.create(tmp_path / "other", json.dumps({"name": "other"})) as other:
        other.write_metrics(_loss(7))
        follower.start(other.paths.root)
        qtbot.waitUntil(lambda: record.steps == [1, 7])
    assert record.configs == [CONFIG, {"name": "other"}]
    assert follower.path() == tmp_path / "other"


def _fake_checkpoint(folder: Path) -> None:
    """A folder that passes the reader's completeness check (contents are not read)."""
    tmp = folder.with_name(".tmp-" + folder.name)
    tmp.mkdir()
    (tmp / "meta.json").write_text(json.dumps({"networks": ["G"]}), encoding="utf-8")
    (tmp / "state.pt").write_bytes(b"x")
    (tmp / "G.safetensors").write_bytes(b"x")
    tmp.rename(folder)
