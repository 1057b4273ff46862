"""Our own runs and checkpoints open for translation, ONNX export round-trips, and the
``nectar translate`` / ``nectar export`` commands behave as a user needs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nectar_gui.cli import main
from nectar_gui.core.translate.export import export_onnx
from nectar_gui.core.translate.info import TranslateError
from nectar_gui.core.translate.loading import list_workspace_runs, open_translator
from tests.core.test_translate import random_generator, save_reference
from tests.tiny import tiny_config

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def _train(folder: Path, kind: str, data: Path, steps: int) -> Path:
    config = folder / f"{kind}.json"
    config.write_text(tiny_config(kind, data, **{"logging.max_steps": steps,
                                                 "logging.checkpoint_every_steps": 1,
                                                 "logging.keep_checkpoints": 5}).to_json(),
                      encoding="utf-8")
    run = folder / "runs" / f"{kind}-run"
    assert main(["train", "--config", str(config), "--run-dir", str(run), "--quiet"]) == 0
    return run


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, paired_data: Path,
              unpaired_data: Path) -> Path:
    """A workspace with a 2-step pix2pix run, a 1-step CycleGAN run and some junk."""
    root = tmp_path_factory.mktemp("workspace")
    _train(root, "pix2pix", paired_data, steps=2)
    _train(root, "cyclegan", unpaired_data, steps=1)
    (root / "runs" / "notes").mkdir()
    (root / "runs" / "broken").mkdir()
    (root / "runs" / "broken" / "config.json").write_text("{not json", encoding="utf-8")
    (root / "runs" / "readme.txt").write_text("hello", encoding="utf-8")
    return root


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (37, 50, 3), np.uint8)).save(path)
    return path


# ---- our runs --------------------------------------------------------------------------------
def test_workspace_lists_runs_with_checkpoints_and_skips_junk(workspace: Path) -> None:
    runs = {r.name: r for r in list_workspace_runs(workspace)}
    assert set(runs) == {"pix2pix-run", "cyclegan-run"}
    assert runs["pix2pix-run"].model == "pix2pix"
    assert runs["pix2pix-run"].steps == (1, 2) and runs["pix2pix-run"].latest == 2
    assert runs["cyclegan-run"].steps == (1,)
    assert list_workspace_runs(workspace / "nowhere") == []


def test_a_pix2pix_run_opens_at_its_latest_or_a_chosen_step(workspace: Path,
                                                            photo: Path) -> None:
    run = workspace / "runs" / "pix2pix-run"
    latest = open_translator(run, device="cpu")
    first = open_translator(run, device="cpu", step=1)
    folder = open_translator(run / "checkpoints" / "00000001", device="cpu")

    assert (latest.info.source, latest.info.step, latest.info.run_name) == (
        "nectar-checkpoint", 2, "pix2pix-run")
    assert latest.info.directions == ("AtoB",)
    assert (latest.info.arch, latest.info.ngf, latest.info.depth) == ("unet", 8, 5)
    assert "pix2pix" in latest.info.summary
    image = np.asarray(Image.open(photo))
    assert not np.array_equal(latest.translate(image), first.translate(image))
    assert np.array_equal(folder.translate(image), first.translate(image))
    with pytest.raises(TranslateError, match=r"no checkpoint at step 7 \(checkpoints: 1, 2\)"):
        open_translator(run, step=7)


def test_a_cyclegan_run_translates_both_ways(workspace: Path, photo: Path) -> None:
    translator = open_translator(workspace / "runs" / "cyclegan-run", device="cpu")
    assert translator.info.directions == ("AtoB", "BtoA")
    image = np.asarray(Image.open(photo))
    there = translator.translate(image, direction="AtoB")
    back = translator.translate(image, direction="BtoA")
    assert there.shape == back.shape == image.shape
    assert not np.array_equal(there, back)


def test_a_run_without_checkpoints(tmp_path: Path, workspace: Path) -> None:
    run = tmp_path / "fresh"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text((workspace / "runs" / "pix2pix-run" / "config.json")
                                     .read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(TranslateError, match="The run fresh has no checkpoint yet"):
        open_translator(run)


# ---- ONNX ------------------------------------------------------------------------------------
def test_onnx_export_round_trip(tmp_path: Path, photo: Path) -> None:
    net = random_generator(arch="resnet", n_blocks=2, ngf=8, norm="instance", input_nc=3,
                           output_nc=3)
    pth = save_reference(net, tmp_path / "latest_net_G.pth")

    result = export_onnx(pth, tmp_path / "out" / "g.onnx")

    assert result.max_abs_diff < 1e-4
    assert result.check_size == (64, 68)
    onnx_translator = open_translator(result.path)
    assert onnx_translator.info.source == "onnx"
    assert onnx_translator.info.path == result.path
    assert "ResNet generator, 2 residual blocks" in onnx_translator.info.summary
    image = np.asarray(Image.open(photo))
    torch_out = open_translator(pth, device="cpu").translate(image).astype(int)
    assert np.abs(onnx_translator.translate(image).astype(int) - torch_out).max() <= 1
    with pytest.raises(TranslateError, match="already an ONNX model"):
        export_onnx(result.path, tmp_path / "again.onnx")


def test_onnx_export_of_the_b_to_a_generator(tmp_path: Path, workspace: Path) -> None:
    run = workspace / "runs" / "cyclegan-run"
    result = export_onnx(run, tmp_path / "g_b.onnx", direction="BtoA")
    assert result.max_abs_diff < 1e-4
    assert open_translator(result.path).info.directions == ("BtoA",)


@pytest.mark.filterwarnings("ignore")  # the exporter's tracer notes
def test_an_onnx_file_from_elsewhere_is_refused(tmp_path: Path) -> None:
    net = random_generator(arch="resnet", n_blocks=1, ngf=4, norm="instance", input_nc=3,
                           output_nc=3)
    path = tmp_path / "foreign.onnx"
    torch.onnx.export(net, (torch.zeros(1, 3, 32, 32),), str(path), dynamo=False)
    with pytest.raises(TranslateError, match="was not exported by Nectar"):
        open_translator(path)


# ---- the commands ----------------------------------------------------------------------------
def _images(folder: Path) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (30, 41, 3), np.uint8)).save(folder / "a.png")
    Image.fromarray(rng.integers(0, 256, (33, 20, 4), np.uint8)).save(folder / "b.png")
    Image.fromarray(rng.integers(0, 256, (25, 25), np.uint8)).save(folder / "c.jpg")
    (folder / "d.jpg").write_bytes(b"\xff\xd8\xff this is not really a JPEG")
    return folder


@pytest.fixture
def reference_pth(tmp_path: Path) -> Path:
    net = random_generator(arch="resnet", n_blocks=1, ngf=4, norm="instance", input_nc=3,
                           output_nc=3)
    return save_reference(net, tmp_path / "latest_net_G.pth")


def test_translate_a_folder_with_a_broken_file(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path, reference_pth: Path) -> None:
    inputs = _images(tmp_path / "in")
    out = tmp_path / "out"

    status = main(["translate", "--model", str(reference_pth), "--input", str(inputs),
                   "--output", str(out)])

    stdout, stderr = capsys.readouterr()
    assert status == 1, stderr  # one input failed: the batch says so in its exit status
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png", "c.png"]
    assert Image.open(out / "b.png").size == (20, 33) and Image.open(out / "b.png").mode == "RGBA"
    assert "Loaded " in stdout and "ResNet generator, 1 residual blocks" in stdout
    assert "[4/4] d.jpg: failed" in stdout
    assert "Could not translate 1 file(s) of 4:" in stderr and "d.jpg" in stderr
    assert "Traceback" not in stderr


def test_existing_outputs_are_kept_unless_asked(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path, reference_pth: Path) -> None:
    inputs = _images(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.webp").write_bytes(b"mine")
    args = ["translate", "--model", str(reference_pth), "--input", str(inputs / "a.png"),
            "--output", str(out), "--format", "webp"]

    assert main(args) == 0
    assert (out / "a.webp").read_bytes() == b"mine"
    assert "skipped, a.webp exists (use --overwrite)" in capsys.readouterr().out
    assert main([*args, "--overwrite"]) == 0
    assert Image.open(out / "a.webp").size == (41, 30)


def test_inputs_are_never_replaced(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   reference_pth: Path) -> None:
    inputs = _images(tmp_path / "in")
    before = (inputs / "a.png").read_bytes()

    status = main(["translate", "--model", str(reference_pth), "--input", str(inputs / "a.png"),
                   "--output", str(inputs), "--overwrite"])

    assert status == 1  # nothing written
    assert (inputs / "a.png").read_bytes() == before
    assert "would replace an input" in capsys.readouterr().err


def test_nothing_readable_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                reference_pth: Path) -> None:
    inputs = _images(tmp_path / "in")
    status = main(["translate", "--model", str(reference_pth), "--input", str(inputs / "d.jpg"),
                   str(tmp_path / "missing.png"), "--output", str(tmp_path / "out")])
    _, stderr = capsys.readouterr()
    assert status == 1
    assert "missing.png: no such file or folder" in stderr


def test_translate_with_a_model_that_is_no_generator(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    inputs = _images(tmp_path / "in")
    status = main(["translate", "--model", str(inputs / "a.png"), "--input", str(inputs),
                   "--output", str(tmp_path / "out")])
    _, stderr = capsys.readouterr()
    assert status == 2
    assert stderr.strip() == ("nectar: error: a.png is not a PyTorch weights file (it is a "
                              "PNG image); open a generator such as latest_net_G.pth")


def test_export_command_prints_the_difference(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path, reference_pth: Path) -> None:
    status = main(["export", "--model", str(reference_pth), "--onnx", str(tmp_path / "g.onnx")])
    stdout, stderr = capsys.readouterr()
    assert status == 0, stderr
    assert "max abs difference" in stdout
    assert main(["export", "--model", str(reference_pth), "--onnx", str(tmp_path / "g.bin")]) == 2
    assert "must end in .onnx" in capsys.readouterr().err
