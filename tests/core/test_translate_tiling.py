"""Full-resolution translation: exact output size for any image, tiles that agree with
the whole image, bounded tile inputs, progress and cancel."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nectar_gui.core.data.demo_scenes import render_scene
from nectar_gui.core.data.errors import ImageReadError
from nectar_gui.core.data.images import load_image_any
from nectar_gui.core.models import init_weights
from nectar_gui.core.translate.info import GeneratorInfo, TranslateError, TranslationCancelled
from nectar_gui.core.translate.reference import GeneratorArch
from nectar_gui.core.translate.tiling import plan_tiles, translate_tiles
from nectar_gui.core.translate.translator import TorchGenerator, Translator, whole_image_limit

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def make_translator(arch: str, depth: int, *, ngf: int = 8, norm: str = "instance",
                    input_nc: int = 3, output_nc: int = 3) -> Translator:
    """A seeded paper-initialised generator wrapped as a translator."""
    torch.manual_seed(0)
    spec = GeneratorArch(arch=arch, input_nc=input_nc, output_nc=output_nc, ngf=ngf,
                         norm=norm, depth=depth)
    net = spec.build()
    init_weights(net)
    info = GeneratorInfo(source="reference-pth", path=Path("G.pth"), arch=arch,
                         summary=spec.describe(), parameters=None, input_nc=input_nc,
                         output_nc=output_nc, directions=("AtoB",), step=None,
                         multiple=spec.multiple, ngf=ngf, norm=norm, depth=depth)
    return Translator(info, {"AtoB": TorchGenerator(net.eval(), torch.device("cpu"))})


def smooth_image(height: int, width: int, seed: int = 1) -> np.ndarray:
    """A procedural scene (sky, horizon, lit shapes): smooth areas and some edges."""
    return render_scene(np.random.default_rng(seed), max(height, width), "day")[:height, :width]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


@pytest.fixture(scope="module")
def small_resnet() -> Translator:
    return make_translator("resnet", 1, ngf=4)


# ---- sizes and modes -------------------------------------------------------------------------
def test_a_1000_by_700_image_comes_back_1000_by_700(small_resnet: Translator) -> None:
    image = np.random.default_rng(0).integers(0, 256, (700, 1000, 3), np.uint8)
    out = small_resnet.translate(image)
    assert out.shape == (700, 1000, 3) and out.dtype == np.uint8
    assert out.std() > 1  # a real translation, not a blank


@pytest.mark.parametrize(("height", "width"), [(17, 33), (1, 9), (5, 2), (101, 63)])
def test_odd_sizes_come_back_at_their_size(small_resnet: Translator, height: int,
                                           width: int) -> None:
    image = np.random.default_rng(1).integers(0, 256, (height, width, 3), np.uint8)
    assert small_resnet.translate(image).shape == (height, width, 3)
    assert small_resnet.translate(image, tile=16).shape == (height, width, 3)


def test_grey_images_feed_a_colour_generator(small_resnet: Translator) -> None:
    grey = np.random.default_rng(2).integers(0, 256, (20, 24), np.uint8)
    as_rgb = np.repeat(grey[:, :, None], 3, axis=2)
    expected = small_resnet.translate(as_rgb)
    assert np.array_equal(small_resnet.translate(grey), expected)
    assert np.array_equal(small_resnet.translate(grey[:, :, None]), expected)


def test_colour_images_feed_a_grey_generator() -> None:
    translator = make_translator("resnet", 1, ngf=4, input_nc=1, output_nc=1)
    rgb = np.random.default_rng(3).integers(0, 256, (20, 24, 3), np.uint8)
    grey = np.asarray(Image.fromarray(rgb).convert("L"))[:, :, None]
    out = translator.translate(rgb)
    assert out.shape == (20, 24, 1)
    assert np.array_equal(out, translator.translate(grey))


def test_rgba_keeps_its_alpha(small_resnet: Translator) -> None:
    rgba = np.random.default_rng(4).integers(0, 256, (21, 30, 4), np.uint8)
    rgba[:, :10, 3] = 255  # opaque part: its translation must equal the RGB one's
    out = small_resnet.translate(rgba)
    assert out.shape == (21, 30, 4)
    assert np.array_equal(out[:, :, 3], rgba[:, :, 3])
    grey_out = make_translator("resnet", 1, ngf=4, output_nc=1).translate(rgba)
    assert grey_out.shape == (21, 30, 4) and np.array_equal(grey_out[:, :, 3], rgba[:, :, 3])


def test_images_it_cannot_take(small_resnet: Translator) -> None:
    with pytest.raises(TranslateError, match="8-bit"):
        small_resnet.translate(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(TranslateError, match="2 channels"):
        small_resnet.translate(np.zeros((8, 8, 2), np.uint8))
    with pytest.raises(TranslateError, match="translates AtoB, not BtoA"):
        small_resnet.translate(np.zeros((8, 8, 3), np.uint8), direction="BtoA")


def test_image_files_load_in_any_mode(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    Image.fromarray(rng.integers(0, 256, (9, 7), np.uint8)).convert("P").save(tmp_path / "p.png")
    Image.fromarray((rng.integers(0, 65536, (9, 7))).astype(np.uint16)).save(tmp_path / "d.png")
    Image.fromarray(rng.integers(0, 256, (9, 7, 4), np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff broken")
    assert load_image_any(tmp_path / "p.png").shape == (9, 7, 3)
    assert load_image_any(tmp_path / "d.png").shape == (9, 7, 1)
    assert load_image_any(tmp_path / "a.png").shape == (9, 7, 4)
    with pytest.raises(ImageReadError, match=r"bad\.jpg"):
        load_image_any(tmp_path / "bad.jpg")


# ---- tiles ----------------------------------------------------------------------------------
def test_tiles_blend_back_to_the_exact_image() -> None:
    """With an identity network, any tiling must reproduce the input bit for bit."""
    image = np.random.default_rng(6).integers(0, 256, (203, 317, 3), np.uint8)
    for tile, multiple in ((64, 4), (96, 32), (40, 8)):
        plan = plan_tiles(203, 317, tile=tile, multiple=multiple)
        assert plan.total > 4
        out = translate_tiles(image, lambda x: x, plan, multiple=multiple, output_nc=3)
        assert np.array_equal(out, image)


def test_tiles_cover_the_image_with_overlap_and_stay_tile_sized() -> None:
    plan = plan_tiles(4000, 6000, tile=1024, multiple=4)
    for spans, length in ((plan.rows, 4000), (plan.cols, 6000)):
        assert spans[0][0] == 0 and spans[-1][1] == length
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end - start >= 256  # a quarter tile of overlap at least
        assert all(s % 4 == 0 and e - s <= 1024 + 3 for s, e in spans)
    seen: list[tuple[int, ...]] = []

    def run(x: np.ndarray) -> np.ndarray:
        seen.append(x.shape)
        return x

    image = np.zeros((300, 500, 3), np.uint8)
    translate_tiles(image, run, plan_tiles(300, 500, tile=128, multiple=32), multiple=32,
                    output_nc=3)
    assert max(max(s[2:]) for s in seen) <= 160  # tile + alignment, padded to 32
    assert all(s[2] % 32 == 0 and s[3] % 32 == 0 for s in seen)


# Figures measured with these seeds (bench/translate.py prints them at larger sizes).
@pytest.mark.parametrize(("arch", "depth", "size", "tile", "exact_db", "own_db"), [
    ("resnet", 6, (120, 160), 64, 30.0, 19.0),
    ("unet", 5, (96, 128), 64, 38.5, 33.0),
])
def test_tiled_output_agrees_with_the_whole_image(arch: str, depth: int,
                                                  size: tuple[int, int], tile: int,
                                                  exact_db: float, own_db: float) -> None:
    translator = make_translator(arch, depth)
    image = smooth_image(*size)
    whole = translator.translate(image)
    assert translator.plan(*size, tile=tile).total >= 4

    tiled = translator.translate(image, tile=tile)  # whole-image norm statistics
    per_tile = translator.translate(image, tile=tile, global_norm=False)

    assert psnr(whole, tiled) >= exact_db
    assert psnr(whole, per_tile) >= own_db
    assert psnr(whole, tiled) > psnr(whole, per_tile) + 3


def test_progress_counts_tiles_and_cancel_stops_between_them(small_resnet: Translator) -> None:
    image = np.zeros((64, 96, 3), np.uint8)
    calls: list[tuple[int, int]] = []
    small_resnet.translate(image, tile=32, progress=lambda d, t: calls.append((d, t)))
    total = calls[-1][1]  # tiles of every pass of the streamed translation
    assert total > 4 and calls == [(i, total) for i in range(1, total + 1)]
    calls.clear()
    small_resnet.translate(image, tile=32, global_norm=False,
                           progress=lambda d, t: calls.append((d, t)))
    total = small_resnet.plan(64, 96, tile=32).total
    assert calls == [(i, total) for i in range(1, total + 1)]

    calls.clear()
    with pytest.raises(TranslationCancelled):
        small_resnet.translate(image, tile=32, progress=lambda d, t: calls.append((d, t)),
                               cancelled=lambda: len(calls) >= 2)
    assert len(calls) == 2


def test_big_images_are_tiled_automatically() -> None:
    wide = make_translator("resnet", 1, ngf=64)  # its memory budget: about 1 megapixel
    limit = whole_image_limit(wide.info)
    assert 0.5e6 < limit < 2e6
    four_gb = 4 << 30
    assert wide.plan(600, 800, max_memory=four_gb).total == 1
    assert wide.choose(600, 800, max_memory=four_gb).path == "whole"
    assert wide.choose(4000, 6000, max_memory=four_gb).path == "tiled-exact"
    plan = wide.plan(4000, 6000, max_memory=four_gb)
    assert plan.total > 1 and plan.tile ** 2 <= limit
