"""The ``nectar`` command as a new user meets it: one-line errors, no leftovers, real runs.

Most cases call ``nectar_gui.cli.main`` in-process; a few run ``python -m
nectar_gui.cli`` as a real process, where the exit status and what reaches the terminal
are what the user sees.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nectar_gui.cli import main
from nectar_gui.cli.progress import ProgressPrinter
from nectar_gui.core.training.pix2pix import Pix2PixModel
from nectar_gui.core.training.reports import ErrorReport, LossReport, ProgressReport
from tests.tiny import tiny_config

CliResult = tuple[int, str, str]


# ---- helpers --------------------------------------------------------------------------
def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> CliResult:
    """``nectar ARGS`` in this process: (exit status, stdout, stderr)."""
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def run_cli_process(*args: str | Path, cwd: Path) -> CliResult:
    """``nectar ARGS`` as a real process (a clean interpreter, a real exit status)."""
    done = subprocess.run([sys.executable, "-m", "nectar_gui.cli", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout, done.stderr


def error_line(result: CliResult, *words: str) -> str:
    """Assert a failure with exactly one ``nectar: error:`` line naming ``words``."""
    status, _, err = result
    assert status != 0, err
    assert "Traceback" not in err, err
    errors = [ln for ln in err.splitlines() if ln.startswith("nectar: error: ")]
    assert len(errors) == 1, err
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def tree(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` with a digest of its contents."""
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
            if p.is_file() else "dir" for p in sorted(folder.rglob("*"))}


def tiny_config_file(folder: Path, data: Path, **overrides: object) -> Path:
    path = folder / "tiny.json"
    path.write_text(tiny_config("pix2pix", data, **overrides).to_json(), encoding="utf-8")
    return path


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder (the default ``runs/`` would be created here)."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


# ---- a new user's mistakes ------------------------------------------------------------
def test_empty_dataset_folder(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    (workdir / "empty").mkdir()
    before = tree(workdir)
    result = run_cli(capsys, "train", "--preset", "demo-pix2pix", "--data", "empty")
    error_line(result, "empty", "is empty", "expected one of the layouts", "trainA/")
    assert tree(workdir) == before  # in particular no runs/<name>-<time>/


def test_empty_dataset_folder_in_a_real_process(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run_cli_process("train", "--preset", "demo-pix2pix", "--data", "empty",
                             "--run-dir", "run", cwd=tmp_path)
    error_line(result, "is empty", "expected one of the layouts")
    assert result[0] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_unknown_layout(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    (workdir / "photos" / "holiday").mkdir(parents=True)
    Image.new("RGB", (16, 16)).save(workdir / "photos" / "holiday" / "a.png")
    (workdir / "photos" / "notes.txt").write_text("my photos")
    before = tree(workdir)
    result = run_cli(capsys, "train", "--preset", "demo-pix2pix", "--data", "photos",
                     "--run-dir", "run")
    error_line(result, "has no train/, trainA/ + trainB/ or A/ + B/",
               "expected one of the layouts")
    assert tree(workdir) == before


def test_images_directly_in_the_folder_point_one_level_up(
        capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    (workdir / "train").mkdir()
    Image.new("RGB", (64, 32)).save(workdir / "train" / "0001.png")
    result = run_cli(capsys, "train", "--preset", "demo-pix2pix", "--data", "train",
                     "--run-dir", "run")
    error_line(result, f"inside the dataset {workdir}", "choose that folder instead")
    assert not (workdir / "run").exists()


def test_missing_data_folder(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    result = run_cli(capsys, "train", "--preset", "demo-pix2pix", "--data", "nowhere")
    error_line(result, "--data nowhere: no such folder", "nectar demo-data")
    assert result[0] == 2
    assert list(workdir.iterdir()) == []


def test_no_data_at_all(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    error_line(run_cli(capsys, "train", "--preset", "demo-pix2pix"), "pass --data DIR")


def _write_odd_files(train: Path, like: Path) -> None:
    """A note, a truncated JPEG, a grey PNG and a 16-bit PNG among the images."""
    rgb = Image.open(like).convert("RGB")
    (train / "notes.txt").write_text("where these images came from")
    rgb.convert("L").save(train / "grey.png")
    deep = np.asarray(rgb.convert("L"), dtype=np.uint16) * 257
    Image.fromarray(deep).save(train / "deep16.png")
    assert Image.open(train / "deep16.png").mode.startswith("I;16")
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG")
    (train / "broken.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])


def test_odd_files_among_the_images_train_anyway(capsys: pytest.CaptureFixture[str],
                                                 paired_data: Path, workdir: Path) -> None:
    data = workdir / "data"
    shutil.copytree(paired_data, data)
    _write_odd_files(data / "train", like=data / "train" / "0000.png")
    config = tiny_config_file(workdir, data, **{"logging.max_steps": 3})

    status, _, err = run_cli(capsys, "train", "--config", config, "--data", data,
                             "--run-dir", "run")

    assert status == 0, err
    assert "nectar: error" not in err and "Traceback" not in err
    broken = [ln for ln in err.splitlines() if "broken.jpg" in ln]
    assert len(broken) == 1 and broken[0].startswith("warning: A|B · ")
    assert "truncated" in broken[0] and "training skips it" in broken[0]
    notes = [ln for ln in err.splitlines() if "notes.txt" in ln]  # said once, as skipped
    assert len(notes) == 1 and "not images and were skipped" in notes[0]
    assert (workdir / "run" / "checkpoints" / "LATEST").read_text().strip() == "00000003"
    assert "Training completed at step 3" in err


def test_many_broken_files_print_a_count_and_the_log_keeps_them_all(
        capsys: pytest.CaptureFixture[str], paired_data: Path, workdir: Path) -> None:
    data = workdir / "data"
    shutil.copytree(paired_data, data)
    for i in range(15):
        (data / "train" / f"bad{i:02d}.png").write_bytes(b"\x89PNG\r\n\x1a\n cut")
    config = tiny_config_file(workdir, data, **{"logging.max_steps": 1})
    status, _, err = run_cli(capsys, "train", "--config", config, "--run-dir", "run")
    assert status == 0, err
    named = [ln for ln in err.splitlines() if "bad" in ln and ".png" in ln]
    assert len(named) == 10 and len(set(named)) == 10  # each file once, the first ten
    assert "… and 5 more dataset problems; the run folder's log.txt lists them all" in err
    log = (workdir / "run" / "log.txt").read_text(encoding="utf-8")
    assert sum("dataset check: A|B · " in ln for ln in log.splitlines()) == 15


def test_only_broken_files_say_so_without_blaming_the_layout(
        capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    for side in ("trainA", "trainB"):
        (workdir / "data" / side).mkdir(parents=True)
        (workdir / "data" / side / "x.jpg").write_bytes(b"not a jpeg")
    result = run_cli(capsys, "train", "--preset", "demo-cyclegan", "--data", "data",
                     "--run-dir", "run")
    line = error_line(result, "No readable images", "unaligned layout", "2 of 2 image files")
    assert "expected one of the layouts" not in line
    assert not (workdir / "run").exists()
    warnings = [ln for ln in result[2].splitlines() if ln.startswith("warning:")]
    assert sorted(w.split(" · ")[0] for w in warnings) == ["warning: A", "warning: B"]


def test_negative_learning_rate(capsys: pytest.CaptureFixture[str], workdir: Path,
                                paired_data: Path) -> None:
    result = run_cli(capsys, "train", "--preset", "demo-pix2pix", "--data", paired_data,
                     "--set", "optim.lr=-0.001")
    error_line(result, "optim.lr = -0.001", "must be greater than 0")
    assert list(workdir.iterdir()) == []


def test_unknown_generator_in_a_real_process(tmp_path: Path, paired_data: Path) -> None:
    result = run_cli_process("train", "--preset", "pix2pix", "--data", paired_data,
                             "--set", "model.generator=resnet_12blocks", cwd=tmp_path)
    error_line(result, "model.generator = 'resnet_12blocks'", "must be 'resnet' or 'unet'")
    assert result[0] == 2
    assert list(tmp_path.iterdir()) == []


def test_unknown_generator_in_a_config_file(capsys: pytest.CaptureFixture[str],
                                            workdir: Path) -> None:
    config = json.loads(tiny_config("pix2pix", workdir).to_json())
    config["model"]["generator"] = "resnet_12blocks"
    (workdir / "mine.json").write_text(json.dumps(config))
    error_line(run_cli(capsys, "train", "--config", "mine.json"),
               "mine.json: model.generator = 'resnet_12blocks': must be 'resnet' or 'unet'")


def test_negative_learning_rate_in_a_real_process(tmp_path: Path, paired_data: Path) -> None:
    result = run_cli_process("train", "--preset", "cyclegan", "--data", paired_data,
                             "--set", "optim.lr=-1", cwd=tmp_path)
    error_line(result, "optim.lr = -1: must be greater than 0")


@pytest.mark.parametrize(("override", "words"), [
    ("optim.lrr=0.1", ("Unknown setting 'optim.lrr'", "settings here are:", " lr,")),
    ("optm.lr=0.1", ("Unknown setting 'optm'", "sections are: model, data")),
    ("optim.lr", ("must look like section.field=value",)),
    ("data.crop_size=big", ("data.crop_size = 'big'", "must be a valid integer")),
])
def test_set_typos(capsys: pytest.CaptureFixture[str], workdir: Path, override: str,
                   words: tuple[str, ...]) -> None:
    error_line(run_cli(capsys, "config", "--preset", "pix2pix", "--set", override), *words)


def test_two_bad_values_still_make_one_line(capsys: pytest.CaptureFixture[str],
                                            workdir: Path) -> None:
    line = error_line(run_cli(capsys, "config", "--set", "optim.lr=-1", "--set",
                              "optim.beta1=2"), "optim.lr = -1", "optim.beta1 = 2")
    assert "; " in line


def _tiny_run(capsys: pytest.CaptureFixture[str], folder: Path, data: Path,
              steps: int = 2) -> Path:
    run = folder / "run"
    config = tiny_config_file(folder, data, **{"logging.max_steps": steps})
    status, _, err = run_cli(capsys, "train", "--config", config, "--run-dir", run)
    assert status == 0, err
    return run


def test_resume_with_another_architecture(capsys: pytest.CaptureFixture[str],
                                          paired_data: Path, workdir: Path) -> None:
    run = _tiny_run(capsys, workdir, paired_data)  # trained with ngf 8
    before = tree(run)

    result = run_cli(capsys, "train", "--resume", run, "--set", "model.ngf=16")

    error_line(result, "Cannot resume from", "00000002",
               "trained with model.ngf = 8", "now asks for model.ngf = 16",
               "keep those settings, or start a new run")
    assert tree(run) == before  # config.json still describes the trained networks
    status, _, err = run_cli(capsys, "train", "--resume", run, "--max-steps", "3")
    assert status == 0 and "Resumed from checkpoint 00000002 at step 2" in err


@pytest.mark.parametrize(("extra", "words"), [
    (("--preset", "pix2pix"), ("--resume takes the config saved in the run",)),
    (("--run-dir", "elsewhere"), ("leave out --run-dir",)),
])
def test_resume_refuses_conflicting_options(capsys: pytest.CaptureFixture[str],
                                            workdir: Path, extra: tuple[str, ...],
                                            words: tuple[str, ...]) -> None:
    (workdir / "run").mkdir()
    (workdir / "run" / "config.json").write_text("{}")
    error_line(run_cli(capsys, "train", "--resume", "run", *extra), *words)


def test_resume_of_a_folder_that_is_no_run(capsys: pytest.CaptureFixture[str],
                                           workdir: Path) -> None:
    (workdir / "empty").mkdir()
    error_line(run_cli(capsys, "train", "--resume", "empty"),
               "empty is not a run folder (config.json is missing)")


def test_run_dir_that_is_not_empty(capsys: pytest.CaptureFixture[str], paired_data: Path,
                                   workdir: Path) -> None:
    (workdir / "mine").mkdir()
    (workdir / "mine" / "thesis.tex").write_text("precious")
    before = tree(workdir)
    result = run_cli(capsys, "train", "--preset", "demo-pix2pix", "--data", paired_data,
                     "--run-dir", "mine")
    error_line(result, "mine is not empty and is not a run folder", "choose an empty folder")
    assert tree(workdir) == before


def _fail_first_step(monkeypatch: pytest.MonkeyPatch) -> None:
    def step(self: Pix2PixModel, batch: object) -> object:
        raise RuntimeError("simulated failure in the first step")

    monkeypatch.setattr(Pix2PixModel, "train_step", step)


def test_a_new_run_that_fails_before_its_first_step_leaves_nothing(
        capsys: pytest.CaptureFixture[str], paired_data: Path, workdir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _fail_first_step(monkeypatch)
    config = tiny_config_file(workdir, paired_data)
    before = tree(workdir)
    (workdir / "given").mkdir()  # an empty folder the user chose stays, emptied

    default = run_cli(capsys, "train", "--config", config)  # runs/<name>-<time>
    given = run_cli(capsys, "train", "--config", config, "--run-dir", "given")

    for result in (default, given):
        error_line(result, "Training failed: RuntimeError: simulated failure")
        assert result[0] == 1
    assert not (workdir / "runs").exists()
    assert list((workdir / "given").iterdir()) == []
    (workdir / "given").rmdir()
    assert tree(workdir) == before


# ---- config, describe, demo-data --------------------------------------------------------
def test_config_prints_a_config_that_loads_back(capsys: pytest.CaptureFixture[str],
                                                workdir: Path) -> None:
    status, out, _ = run_cli(capsys, "config", "--preset", "pix2pix", "--set",
                             "optim.lr=0.001", "--set", "data.direction=BtoA")
    assert status == 0
    config = json.loads(out)
    assert config["optim"]["lr"] == 0.001 and config["data"]["direction"] == "BtoA"
    (workdir / "mine.json").write_text(out)
    status, again, _ = run_cli(capsys, "config", "--config", "mine.json")
    assert status == 0 and json.loads(again) == config


def test_config_file_that_is_missing(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    error_line(run_cli(capsys, "config", "--config", "nope.json"),
               "Config file nope.json does not exist")


def test_describe_json_matches_the_reference_figures(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "describe", "--preset", "cyclegan", "--json")
    assert status == 0
    info = json.loads(out)
    nets = {name: net["parameters"] for name, net in info["networks"].items()}
    assert nets == {"G_A": 11_378_179, "G_B": 11_378_179, "D_A": 2_764_737,
                    "D_B": 2_764_737}
    d = info["discriminator"]
    assert (d["receptive_field"], d["jump"], d["output_grid"]) == (70, 8, [30, 30])

    status, out, _ = run_cli(capsys, "describe", "--preset", "pix2pix", "--json")
    nets = {name: net["parameters"] for name, net in json.loads(out)["networks"].items()}
    assert nets == {"G": 54_413_955, "D": 2_768_705}


def test_describe_text(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "describe", "--preset", "cyclegan")
    assert status == 0
    assert "11,378,179 parameters" in out
    assert "receptive field 70×70 px, jump 8 px, 30×30 patch grid at 256×256" in out


def test_demo_data_then_train(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    status, out, _ = run_cli(capsys, "demo-data", "demo", "--kind", "unpaired", "--count", "4")
    assert status == 0 and "nectar train --preset demo-cyclegan --data demo" in out
    assert sorted(p.name for p in (workdir / "demo").iterdir() if not p.name.startswith(".")
                  ) == ["README.txt", "testA", "testB", "trainA", "trainB"]
    error_line(run_cli(capsys, "demo-data", "x", "--count", "0"), "--count must be at least 1")


# ---- the progress line ---------------------------------------------------------------------
class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _progress(step: int, rate: float, eta: float | None) -> ProgressReport:
    return ProgressReport(step=step, epoch=0, total_steps=200, steps_per_epoch=100,
                          it_per_s=rate, eta_s=eta)


def test_progress_line_on_a_terminal_shows_step_rate_and_eta(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    stream = FakeTerminal()
    printer = ProgressPrinter(stream=stream)
    printer.show(LossReport(step=50, epoch=0, wall_time=0.0, losses={"G_L1": 0.25},
                            lrs={"G": 2e-4}))
    printer.show(_progress(50, 12.5, 12.0))
    printer.show(_progress(51, 12.0, 3725.0))
    printer.close()
    text = stream.getvalue()
    assert text.startswith("\r\x1b[2K") and text.endswith("\n")
    first, second = text.rstrip("\n").split("\r\x1b[2K")[1:]
    assert first.startswith("[#####---------------] step 50/200 (25%)")
    assert "12.50 it/s" in first and "ETA 12s" in first
    assert "G_L1 0.25" in first
    assert "step 51/200" in second and "12.00 it/s" in second and "ETA 1h02m" in second


def test_progress_line_fits_a_narrow_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    stream = FakeTerminal()
    printer = ProgressPrinter(stream=stream)
    printer.show(LossReport(step=1, epoch=0, wall_time=0.0, lrs={},
                            losses={f"loss_{i}": 0.5 for i in range(8)}))
    printer.show(_progress(1, 3.0, 66.0))
    drawn = stream.getvalue().removeprefix("\r\x1b[2K")
    assert len(drawn) == 59 and "\n" not in drawn  # never wraps, so "\r" redraws it
    assert drawn.startswith("step 1/200 (0%)  epoch 1  3.00 it/s  ETA 1m06s  loss_0 0.5")


def test_progress_in_a_log_file_is_plain_lines_at_most_every_interval() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream=stream, log_every_s=3600)
    for step in range(1, 5):
        printer.show(_progress(step, 2.0, None))
    lines = stream.getvalue().splitlines()
    assert lines == ["step 1/200 (0%)  epoch 1  2.00 it/s  ETA ?"]


def test_errors_print_as_one_line_even_when_quiet() -> None:
    stream = FakeTerminal()
    printer = ProgressPrinter(enabled=False, stream=stream)
    assert printer.show(_progress(1, 1.0, 1.0)) == 0
    assert printer.show(ErrorReport(message="first problem\nsecond problem")) == 1
    assert stream.getvalue() == "nectar: error: first problem; second problem\n"


def test_a_finished_run_in_a_real_process_flushes_everything(tmp_path: Path,
                                                              paired_data: Path) -> None:
    """``nectar train`` ends without the interpreter's teardown (cli.main.run): its output,
    log and checkpoint must all be complete by then, and its status kept."""
    config = tmp_path / "tiny.json"
    config.write_text(tiny_config("pix2pix", paired_data).to_json())
    status, out, err = run_cli_process("train", "--config", config, "--max-steps", "2",
                                       "--run-dir", tmp_path / "run", cwd=tmp_path)
    assert status == 0, err
    assert "Training completed at step 2" in out + err
    assert "Training completed at step 2" in (tmp_path / "run" / "log.txt").read_text()
    assert (tmp_path / "run" / "checkpoints" / "LATEST").read_text().strip()
