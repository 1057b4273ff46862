"""``nectar eval`` on tiny real runs: the --json contract, images, --mark-best, errors.

Also: translate and Ask D default to the checkpoint BEST names, and say so.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from nectar_gui.core.evaluation.best import read_best
from nectar_gui.core.evaluation.evaluate import evaluate_checkpoint
from nectar_gui.core.evaluation.metrics import paired_metrics
from nectar_gui.core.evaluation.records import EvaluationCancelled
from nectar_gui.core.training.session import SessionOptions, TrainingSession
from tests.core.test_cli import error_line, run_cli
from tests.core.test_training import run_all
from tests.tiny import tiny_config

pytestmark = pytest.mark.usefixtures("one_thread")
_TRAIN = {"logging.max_steps": 4, "logging.checkpoint_every_steps": 2,
          "logging.val_images": 0}


@pytest.fixture(scope="module")
def paired_run(tmp_path_factory: pytest.TempPathFactory, paired_data: Path) -> Path:
    """A pix2pix run (checkpoints 2 and 4) whose val/ also holds a 45×38 pair."""
    root = tmp_path_factory.mktemp("eval") / "data"
    shutil.copytree(paired_data, root)
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 256, (38, 90, 3), dtype=np.uint8)).save(
        root / "val" / "odd.png")
    run = root.parent / "run"
    run_all(TrainingSession(tiny_config("pix2pix", root, **_TRAIN), SessionOptions(run_dir=run)))
    return run


@pytest.fixture(scope="module")
def unpaired_run(tmp_path_factory: pytest.TempPathFactory, unpaired_data: Path) -> Path:
    run = tmp_path_factory.mktemp("eval-u") / "run"
    run_all(TrainingSession(tiny_config("cyclegan", unpaired_data, **_TRAIN),
                            SessionOptions(run_dir=run)))
    return run


def _documents(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_json_contract_paired(paired_run: Path, capsys: pytest.CaptureFixture[str],
                              tmp_path: Path) -> None:
    status, out, _ = run_cli(capsys, "eval", paired_run, "--all", "--json",
                             "--save-images", tmp_path / "out")
    assert status == 0
    docs = _documents(out)
    assert [d["step"] for d in docs] == [2, 4] and {d["split"] for d in docs} == {"val"}
    images = docs[1]["images"]
    assert [i["name"] for i in images] == ["0000", "0001", "odd"]
    assert all(set(i) == {"name", "l1", "psnr", "ssim"} for i in images)
    assert set(docs[1]["mean"]) == {"l1", "psnr", "ssim"}
    # --all: one folder per step; each image at its input's own size, and the metrics
    # are those of that image against the target at that size.
    saved = tmp_path / "out" / "00000004" / "odd.png"
    generated = np.asarray(Image.open(saved))
    assert generated.shape == (38, 45, 3)
    whole = np.asarray(Image.open(paired_run.parent / "data" / "val" / "odd.png"))
    expected = paired_metrics(generated, whole[:, 45:90])
    assert images[2]["psnr"] == pytest.approx(expected["psnr"], abs=1e-9)
    assert images[2]["ssim"] == pytest.approx(expected["ssim"], abs=1e-9)


def test_json_contract_unpaired_and_mark_best(unpaired_run: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli(capsys, "eval", unpaired_run, "--all", "--json", "--limit", "1",
                               "--mark-best")
    assert status == 0
    docs = _documents(out)  # stdout holds only the JSON documents
    assert [d["split"] for d in docs] == ["test", "test"]  # no val/: test by default
    keys = {"cycle_l1_a", "cycle_l1_b", "d_score_a", "d_score_b"}
    assert set(docs[0]["mean"]) == keys
    assert [set(i) for i in docs[0]["images"]] == [{"name", *keys}]
    means = {d["step"]: d["mean"] for d in docs}
    best_step = min(means, key=lambda s: means[s]["cycle_l1_a"] + means[s]["cycle_l1_b"])
    mark = read_best(unpaired_run / "checkpoints")
    assert mark is not None and mark.step == best_step and mark.metric == "cycle_l1"
    assert f"Marked step {best_step} as the best checkpoint by cycle_l1" in err

    status, _, err = run_cli(capsys, "eval", unpaired_run, "--step", "2", "--mark-best",
                             "d_score_b")
    mark = read_best(unpaired_run / "checkpoints")
    assert status == 0 and mark is not None and mark.step == 2


def test_translate_and_export_default_to_best(paired_run: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from nectar_gui.core.inspect_d import open_judges
    from nectar_gui.core.translate.loading import list_workspace_runs, open_translator

    status, _, _ = run_cli(capsys, "eval", paired_run, "--step", "2", "--limit", "1",
                           "--mark-best", "ssim")
    assert status == 0
    translator = open_translator(paired_run, device="cpu")
    assert translator.info.step == 2 and "best checkpoint (ssim" in translator.info.summary
    assert open_translator(paired_run, device="cpu", step=4).info.step == 4
    assert "best checkpoint" in open_judges(paired_run, device="cpu").info.summary
    (tmp_path / "runs").mkdir()
    shutil.copytree(paired_run, tmp_path / "runs" / "r")
    assert [r.best for r in list_workspace_runs(tmp_path)] == [2]


def test_evaluation_engine_for_a_worker(paired_run: Path) -> None:
    seen: list[tuple[int, int]] = []
    result = evaluate_checkpoint(paired_run, 4, "val", 2, device="cpu", thumb_size=16,
                                 progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)] and [r.name for r in result.images] == ["0000", "odd"]
    thumbs = result.images[1].thumbnails
    assert set(thumbs) == {"A", "G(A)", "B"} and thumbs["A"].shape == (14, 16, 3)
    with pytest.raises(EvaluationCancelled):
        evaluate_checkpoint(paired_run, 4, "val", device="cpu", cancel=lambda: True)


def test_clear_errors(paired_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                      ) -> None:
    error_line(run_cli(capsys, "eval", paired_run, "--split", "test"),
               "no usable 'test' split", "train, val")
    error_line(run_cli(capsys, "eval", paired_run, "--step", "3"),
               "no checkpoint at step 3", "2, 4")
    error_line(run_cli(capsys, "eval", paired_run, "--step", "2", "--limit", "1",
                       "--mark-best", "cycle_l1"), "paired data is ranked by one of", "psnr")
    error_line(run_cli(capsys, "eval", tmp_path), "not a run folder")
    empty = tmp_path / "empty"
    shutil.copytree(paired_run, empty, ignore=shutil.ignore_patterns("checkpoints"))
    error_line(run_cli(capsys, "eval", empty), "has no checkpoint yet")
    foreign = tmp_path / "foreign"
    shutil.copytree(paired_run, foreign)
    meta = foreign / "checkpoints" / "00000004" / "meta.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "format": "other"}))
    error_line(run_cli(capsys, "eval", foreign, "--step", "4"), "not a Nectar checkpoint")


def test_a_reference_pth_is_measured_on_the_paired_images_of_data(
        paired_run: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tests.tiny_generators import reference_pth

    pth = reference_pth(tmp_path / "latest_net_G.pth")
    data = paired_run.parent / "data"
    status, out, _ = run_cli(capsys, "eval", pth, "--data", data, "--json",
                             "--save-images", tmp_path / "out")
    assert status == 0
    (doc,) = _documents(out)
    assert doc["step"] == 0 and doc["split"] == "val"
    assert [i["name"] for i in doc["images"]] == ["0000", "0001", "odd"]
    # The numbers are those of the file's own translation against each target.
    generated = np.asarray(Image.open(tmp_path / "out" / "odd.png"))
    whole = np.asarray(Image.open(data / "val" / "odd.png"))
    expected = paired_metrics(generated, whole[:, 45:90])
    assert doc["images"][2]["psnr"] == pytest.approx(expected["psnr"], abs=1e-9)
    status, out, _ = run_cli(capsys, "eval", pth, "--data", data, "--limit", "1")
    assert status == 0 and out.startswith("latest_net_G.pth, 1 val images: l1 ")


@pytest.mark.parametrize(("extra", "said"), [
    ((), "pass the folder of paired images with --data DIR"),
    (("--all",), "--all needs a run folder"),
    (("--mark-best",), "--mark-best needs a run folder"),
])
def test_a_generator_file_says_what_it_needs(
        paired_run: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        extra: tuple[str, ...], said: str) -> None:
    from tests.tiny_generators import reference_pth

    pth = reference_pth(tmp_path / "g.pth")
    data = () if not extra else ("--data", paired_run.parent / "data")
    error_line(run_cli(capsys, "eval", pth, *data, *extra), said)


def test_a_generator_file_on_unpaired_data_is_refused(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        unpaired_data: Path) -> None:
    from tests.tiny_generators import reference_pth

    pth = reference_pth(tmp_path / "g.pth")
    error_line(run_cli(capsys, "eval", pth, "--data", unpaired_data, "--split", "train"),
               "holds unpaired folders", "a generator file is measured against paired targets")
