"""Run folder: writer and reader agree, including while another process is writing."""

from __future__ import annotations

import json
import logging
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.geometry import ReceptiveField
from nectar_gui.core.rundir import RunDirError, RunPaths, RunReader, RunWriter
from nectar_gui.core.sample_grid import make_sample_grid
from nectar_gui.core.training.reports import LossReport, SampleReport

CONFIG = NectarConfig().to_json()


def _loss(step: int, g: float = 0.5) -> LossReport:
    return LossReport(step=step, epoch=step // 10, wall_time=1000.0 + step,
                      losses={"G": g, "D": 0.25}, lrs={"G": 2e-4})


def _sample(step: int) -> SampleReport:
    rng = np.random.default_rng(step)
    images = {"real_A": rng.integers(0, 256, (16, 16, 3), dtype=np.uint8),
              "fake_B": rng.integers(0, 256, (16, 16, 1), dtype=np.uint8),
              "mask": rng.integers(0, 256, (16, 16, 4), dtype=np.uint8)}
    maps = {"D(fake_B)": rng.standard_normal((2, 2)).astype(np.float32)}
    field = ReceptiveField.from_layers([(4, 2, 1)] * 3 + [(4, 1, 1)] * 2)  # 70×70 PatchGAN
    return SampleReport(step=step, epoch=1, images=images, patch_maps=maps,
                        patch_map_images={"D(fake_B)": "fake_B"}, receptive_field=field,
                        gan_mode="lsgan")


@pytest.fixture
def writer(tmp_path: Path) -> Any:
    with RunWriter.create(tmp_path / "run", CONFIG) as run:
        yield run


def test_create_lays_out_the_run(writer: RunWriter) -> None:
    paths = writer.paths
    assert json.loads(paths.config.read_text()) == json.loads(CONFIG)
    assert paths.samples.is_dir() and paths.checkpoints.is_dir()
    assert RunReader.is_run_dir(paths.root)
    assert RunReader(paths.root).config()["schema_version"] == 1


def test_refuses_a_non_empty_folder_that_is_not_a_run(tmp_path: Path) -> None:
    (tmp_path / "holiday.jpg").write_bytes(b"")
    with pytest.raises(RunDirError, match="is not empty and is not a run folder"):
        RunWriter.create(tmp_path, CONFIG)
    with pytest.raises(RunDirError, match=r"Cannot resume.*config\.json is missing"):
        RunWriter.create(tmp_path, CONFIG, resume=True)


def test_refuses_to_start_a_new_run_over_an_old_one(writer: RunWriter) -> None:
    with pytest.raises(RunDirError, match="already holds a run"):
        RunWriter.create(writer.paths.root, CONFIG)


def test_discard_removes_only_what_create_made(tmp_path: Path) -> None:
    new = RunWriter.create(tmp_path / "runs" / "a", CONFIG)
    other = RunWriter.create(tmp_path / "runs" / "b", CONFIG)  # started meanwhile
    new.discard()
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["b"]
    other.discard()
    assert list((tmp_path / "runs").iterdir()) == []
    RunWriter.create(tmp_path / "runs" / "c", CONFIG).discard()
    assert (tmp_path / "runs").is_dir()  # not made by this writer: kept
    RunWriter.create(tmp_path / "new" / "runs" / "d", CONFIG).discard()
    assert not (tmp_path / "new").exists()  # made by this writer, and empty again

    (tmp_path / "mine").mkdir()
    RunWriter.create(tmp_path / "mine", CONFIG).discard()
    assert list((tmp_path / "mine").iterdir()) == []  # the user's folder stays

    resumed = RunWriter.create(tmp_path / "mine", CONFIG)
    resumed.close()
    RunWriter.create(tmp_path / "mine", CONFIG, resume=True).discard()
    assert RunReader.is_run_dir(tmp_path / "mine")  # a resumed run is never discarded


def test_metrics_line_format_with_non_finite_as_null(writer: RunWriter) -> None:
    writer.write_metrics(LossReport(step=3, epoch=0, wall_time=12.5,
                                    losses={"G": math.nan, "D": 1.0}, lrs={"G": math.inf}))
    line = writer.paths.metrics.read_text()
    assert json.loads(line) == {"step": 3, "epoch": 0, "time": 12.5,
                                "losses": {"G": None, "D": 1.0}, "lrs": {"G": None}}
    (record,) = RunReader(writer.paths.root).read_new_metrics()
    assert math.isnan(record["losses"]["G"]) and math.isnan(record["lrs"]["G"])


def test_reader_follows_a_line_written_in_pieces(tmp_path: Path) -> None:
    paths = RunPaths(tmp_path)
    reader = RunReader(tmp_path)
    assert reader.read_new_metrics() == []
    line = json.dumps({"step": 1, "epoch": 0, "time": 1.0, "losses": {}, "lrs": {}}) + "\n"
    with paths.metrics.open("ab") as handle:
        handle.write(line[:10].encode())
        handle.flush()
        assert reader.read_new_metrics() == []
        handle.write(line[10:].encode() + line[:-1].replace("1", "2", 1).encode())
        handle.flush()
        assert [r["step"] for r in reader.read_new_metrics()] == [1]
        handle.write(b"\n")
        handle.flush()
        assert [r["step"] for r in reader.read_new_metrics()] == [2]
    assert reader.read_new_metrics() == [] and not reader.restarted
    assert [r["step"] for r in reader.all_metrics()] == [1, 2]


def test_corrupt_line_is_skipped_with_a_warning(writer: RunWriter, caplog: Any) -> None:
    writer.write_metrics(_loss(1))
    with writer.paths.metrics.open("ab") as handle:
        handle.write(b'{"step": 2, "epo\n')
    writer.write_metrics(_loss(3))
    with caplog.at_level(logging.WARNING):
        steps = [r["step"] for r in RunReader(writer.paths.root).read_new_metrics()]
    assert steps == [1, 3]
    assert "damaged line" in caplog.text


def test_truncation_is_detected(writer: RunWriter) -> None:
    reader = RunReader(writer.paths.root)
    for step in (10, 20, 30):
        writer.write_metrics(_loss(step))
    assert len(reader.read_new_metrics()) == 3
    writer.truncate_after(20)
    assert [r["step"] for r in reader.read_new_metrics()] == [10, 20]
    assert reader.restarted
    writer.write_metrics(_loss(25))
    assert [r["step"] for r in reader.read_new_metrics()] == [25]
    assert not reader.restarted
    writer.paths.metrics.write_bytes(b"")
    assert reader.read_new_metrics() == [] and reader.restarted


def test_rewrite_of_same_length_is_detected(writer: RunWriter) -> None:
    reader = RunReader(writer.paths.root)
    writer.write_metrics(_loss(1, g=0.5))
    reader.read_new_metrics()
    writer.paths.metrics.write_text(writer.paths.metrics.read_text().replace("0.5", "0.7"))
    assert [r["losses"]["G"] for r in reader.read_new_metrics()] == [0.7]
    assert reader.restarted


def test_resume_cuts_history_after_the_checkpoint(writer: RunWriter) -> None:
    for step in (10, 20, 30):
        writer.write_metrics(_loss(step))
        writer.write_sample(_sample(step))
    with writer.paths.metrics.open("ab") as handle:
        handle.write(b'{"step": 4')  # a crash mid-line
    writer.close()
    with RunWriter.create(writer.paths.root, CONFIG, resume=True) as resumed:
        resumed.truncate_after(20)
        resumed.write_metrics(_loss(21))
    reader = RunReader(writer.paths.root)
    assert [r["step"] for r in reader.read_new_metrics()] == [10, 20, 21]
    assert reader.sample_steps() == [10, 20]


def test_sample_round_trip(writer: RunWriter) -> None:
    report = _sample(40)
    png = writer.write_sample(report)
    record = RunReader(writer.paths.root).load_sample(40)

    assert png == writer.paths.sample_png(40)
    assert np.array_equal(np.asarray(Image.open(png)), make_sample_grid(report.images))
    assert record.images.keys() == report.images.keys()
    for name, image in report.images.items():
        assert np.array_equal(record.images[name], image)
    assert np.array_equal(record.patch_maps["D(fake_B)"], report.patch_maps["D(fake_B)"])
    assert record.receptive_field == report.receptive_field
    assert record.receptive_field is not None and record.receptive_field.size == 70
    assert (record.step, record.epoch, record.gan_mode) == (40, 1, "lsgan")
    assert record.patch_map_images == {"D(fake_B)": "fake_B"}
    assert sorted(p.name for p in writer.paths.samples.iterdir()) == ["00000040.npz",
                                                                      "00000040.png"]


def test_sample_with_png_only(writer: RunWriter) -> None:
    writer.write_sample(_sample(5))
    writer.paths.sample_npz(5).unlink()
    reader = RunReader(writer.paths.root)
    record = reader.load_sample(5)
    assert reader.sample_steps() == [5]
    assert list(record.images) == ["grid"] and record.images["grid"].shape[2] == 3
    assert record.patch_maps == {} and record.receptive_field is None
    with pytest.raises(RunDirError, match="No sample for step 6"):
        reader.load_sample(6)


def test_reader_errors_are_plain(tmp_path: Path) -> None:
    with pytest.raises(RunDirError, match=r"is not a run folder: config\.json is missing"):
        RunReader(tmp_path).config()
    (tmp_path / "config.json").write_text("{oops")
    with pytest.raises(RunDirError, match="could not be read as JSON"):
        RunReader(tmp_path).config()


def test_checkpoint_steps_lists_complete_folders(tmp_path: Path) -> None:
    checkpoints = RunPaths(tmp_path).checkpoints
    for step, files in ((100, ["state.pt", "G.safetensors"]), (200, ["state.pt"])):
        folder = checkpoints / f"{step:08d}"
        folder.mkdir(parents=True)
        (folder / "meta.json").write_text(json.dumps({"networks": ["G"]}))
        for name in files:
            (folder / name).write_bytes(b"x")
    assert RunReader(tmp_path).checkpoint_steps() == [100]


def test_log_lines_are_timestamped(writer: RunWriter) -> None:
    writer.log("started")
    stamp, message = writer.paths.log.read_text().rstrip("\n").split(" ", 1)
    assert message == "started" and stamp[:2] == "20"


_WRITER_SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from nectar_gui.core.rundir import RunWriter
    from nectar_gui.core.training.reports import LossReport

    def report(step):
        return LossReport(step=step, epoch=0, wall_time=float(step), losses={"G": 1.0},
                          lrs={"G": 0.1})

    with RunWriter.create(Path(sys.argv[1]), "{}") as run:
        run.write_metrics(report(1))
        run.write_metrics(report(2))
        print("ready", flush=True)
        sys.stdin.readline()
        run.write_metrics(report(3))
""")


def test_reader_sees_lines_of_a_writer_in_another_process(tmp_path: Path) -> None:
    root = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER_SCRIPT, str(root)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().strip() == "ready"
        reader = RunReader(root)
        assert [r["step"] for r in reader.read_new_metrics()] == [1, 2]
        proc.stdin.write("go\n")
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait()
    assert [r["step"] for r in reader.read_new_metrics()] == [3]
    assert reader.all_metrics() == [json.loads(ln) for ln in root.joinpath(
        "metrics.jsonl").read_text().splitlines()]
