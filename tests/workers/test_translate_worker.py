"""The Translate worker on its real thread, with real tiny generators and real files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pytestqt.qtbot import QtBot

from nectar_gui.core.translate.info import GeneratorInfo
from nectar_gui.workers.image_files import ImageFiles, ShownImage, open_image
from nectar_gui.workers.translate import JobEnd, TranslateRunner, Translation
from nectar_gui.workers.translate_batch import BatchRequest, BatchResult, run_batch
from tests.tiny_generators import reference_pth, write_photo

TIMEOUT = 60_000


@pytest.fixture(scope="module")
def pth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reference_pth(tmp_path_factory.mktemp("models") / "latest_net_G_A.pth")


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TranslateRunner]:
    r = TranslateRunner()
    yield r
    assert r.shutdown(TIMEOUT)  # the thread ends and is joined


def _load(qtbot: QtBot, runner: TranslateRunner, path: Path) -> GeneratorInfo:
    with qtbot.waitSignal(runner.worker.loaded, timeout=TIMEOUT) as loaded:
        runner.load(path, device="cpu")
    info = loaded.args[0]
    assert isinstance(info, GeneratorInfo)
    return info


def test_load_then_translate_at_full_size(qtbot: QtBot, runner: TranslateRunner,
                                          pth: Path) -> None:
    info = _load(qtbot, runner, pth)
    assert info.source == "reference-pth" and info.directions == ("AtoB",)
    pixels = np.random.default_rng(0).integers(0, 256, (37, 53, 3), dtype=np.uint8)
    tiles: list[object] = []
    runner.worker.tile_progress.connect(tiles.append)
    with qtbot.waitSignal(runner.worker.translated, timeout=TIMEOUT) as translated:
        job = runner.translate(pixels, tile=32)
    result = translated.args[0]
    assert isinstance(result, Translation) and result.job == job
    assert result.pixels.shape == (37, 53, 3) and result.pixels.dtype == np.uint8
    assert result.pixels.flags.c_contiguous and result.pixels.flags.owndata
    assert result.levels[0].width() == 53 and result.levels[0].height() == 37
    assert len(tiles) > 1  # tile=32 over 53×37 means several tiles, each reported
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT)


def test_a_file_that_is_not_a_generator_is_a_message(qtbot: QtBot, runner: TranslateRunner,
                                                     pth: Path, tmp_path: Path) -> None:
    _load(qtbot, runner, pth)
    bogus = tmp_path / "notes.pth"
    bogus.write_text("these are my notes, not weights")
    ends: list[JobEnd] = []
    runner.worker.finished.connect(ends.append)
    with qtbot.waitSignal(runner.worker.load_failed, timeout=TIMEOUT) as failed:
        job = runner.load(bogus)
    assert "notes.pth" in failed.args[0]
    qtbot.waitUntil(lambda: any(e.job == job for e in ends), timeout=TIMEOUT)
    assert [e.outcome for e in ends if e.job == job] == ["failed"]
    assert runner.worker.translator is not None  # the previous model is still usable


def test_cancel_stops_between_tiles(qtbot: QtBot, runner: TranslateRunner, pth: Path) -> None:
    _load(qtbot, runner, pth)
    translated: list[object] = []
    runner.worker.translated.connect(translated.append)
    runner.worker.tile_progress.connect(lambda _p: runner.cancel())
    with qtbot.waitSignal(runner.worker.finished, timeout=TIMEOUT,
                          check_params_cb=lambda end: end.kind == "translate") as end:
        runner.translate(np.zeros((128, 128, 3), np.uint8), tile=32)
    assert end.args[0].outcome == "cancelled"
    assert translated == []


def test_devices_always_include_the_cpu(qtbot: QtBot, runner: TranslateRunner) -> None:
    with qtbot.waitSignal(runner.worker.devices_found, timeout=TIMEOUT) as found:
        runner.probe_devices()
    assert "cpu" in found.args[0]


def _folder(tmp_path: Path, count: int) -> Path:
    folder = tmp_path / "in"
    for i in range(count):
        write_photo(folder / f"img{i}.png", 40 + 4 * i, 30, seed=i)
    return folder


def test_batch_lists_a_broken_file_and_writes_the_others(qtbot: QtBot, runner: TranslateRunner,
                                                         pth: Path, tmp_path: Path) -> None:
    _load(qtbot, runner, pth)
    folder = _folder(tmp_path, 3)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    inputs = tuple(sorted(folder.iterdir()))
    with qtbot.waitSignal(runner.worker.batch_done, timeout=TIMEOUT) as done:
        runner.batch(BatchRequest(inputs, tmp_path / "out", "AtoB", ".jpg"))
    result: BatchResult = done.args[0]
    assert [f.path.name for f in result.failed] == ["broken.png"]
    assert result.failed[0].reason == "not an image, or in a format that cannot be read"
    assert sorted(p.name for p in result.written) == ["img0_AtoB.jpg", "img1_AtoB.jpg",
                                                      "img2_AtoB.jpg"]
    for i in range(3):
        with Image.open(tmp_path / "out" / f"img{i}_AtoB.jpg") as out:
            assert out.size == (40 + 4 * i, 30) and out.format == "JPEG"


def test_batch_cancelled_half_way_leaves_no_partial_file(qtbot: QtBot, runner: TranslateRunner,
                                                         pth: Path, tmp_path: Path) -> None:
    _load(qtbot, runner, pth)
    inputs = tuple(sorted(_folder(tmp_path, 6).iterdir()))
    out = tmp_path / "out"

    def cancel_after_two(progress: object) -> None:
        if getattr(progress, "done", 0) >= 2:
            runner.cancel()

    runner.worker.batch_progress.connect(cancel_after_two)
    with qtbot.waitSignal(runner.worker.batch_done, timeout=TIMEOUT) as done:
        runner.batch(BatchRequest(inputs, out, tile=16))
    result: BatchResult = done.args[0]
    assert result.cancelled
    assert 2 <= len(result.written) < len(inputs)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in result.written)


def test_existing_outputs_are_skipped_overwritten_or_kept(pth: Path, tmp_path: Path) -> None:
    from nectar_gui.core.translate.loading import open_translator

    translator = open_translator(pth, device="cpu")
    source = write_photo(tmp_path / "a.png", 24, 20)
    out = tmp_path / "out"
    out.mkdir()
    existing = out / "a_AtoB.png"
    existing.write_bytes(b"keep me")
    runs = {}
    for policy in ("skip", "rename", "overwrite"):
        runs[policy] = run_batch(translator, BatchRequest((source,), out, existing=policy),
                                 cancelled=lambda: False, report=lambda _p: None)
    assert runs["skip"].skipped == (existing,) and not runs["skip"].written
    assert runs["rename"].written == (out / "a_AtoB (2).png",)
    assert runs["overwrite"].written == (existing,)
    with Image.open(existing) as img:
        assert img.size == (24, 20)


@pytest.mark.parametrize("mode", ["I;16", "P", "RGBA", "L"])
def test_any_image_mode_opens(tmp_path: Path, mode: str) -> None:
    path = write_photo(tmp_path / f"x-{mode.replace(';', '')}.png", 30, 20, mode=mode)
    image = open_image(path)
    assert (image.width, image.height) == (30, 20)
    assert image.mode == mode and image.pixels.shape[2] in (1, 3, 4)


def test_exif_orientation_is_honoured(tmp_path: Path) -> None:
    img = Image.new("RGB", (40, 20), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90°: a 40×20 file shows as 20×40
    img.save(tmp_path / "r.jpg", exif=exif)
    image = open_image(tmp_path / "r.jpg")
    assert (image.width, image.height) == (20, 40)


def test_image_files_open_and_save_in_the_background(qtbot: QtBot, tmp_path: Path) -> None:
    files = ImageFiles()
    source = write_photo(tmp_path / "p.png", 64, 48)
    with qtbot.waitSignal(files.opened, timeout=TIMEOUT) as opened:
        files.open(source)
    image: ShownImage = opened.args[0]
    for suffix, fmt in ((".png", "PNG"), (".jpg", "JPEG"), (".webp", "WEBP")):
        with qtbot.waitSignal(files.saved, timeout=TIMEOUT):
            files.save(image.pixels, tmp_path / f"o{suffix}")
        with Image.open(tmp_path / f"o{suffix}") as saved:
            assert saved.size == (64, 48) and saved.format == fmt
    with qtbot.waitSignal(files.open_failed, timeout=TIMEOUT) as failed:
        files.open(tmp_path / "missing.png")
    assert "missing.png" in failed.args[0]
    assert files.wait(TIMEOUT)
    assert not [p for p in tmp_path.iterdir() if ".part-" in p.name]
