"""Streamed translation equals the whole-image translation, within a memory budget, and
leaves no temporary files; the budget's parsing, the plan's reasons, the time estimate."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from nectar_gui.cli import main
from nectar_gui.core.translate import spill
from nectar_gui.core.translate.estimate import RateEstimator
from nectar_gui.core.translate.graph import ReflectPad
from nectar_gui.core.translate.info import GeneratorInfo, TranslateError, TranslationCancelled
from nectar_gui.core.translate.memory import parse_size, plan_translation
from nectar_gui.core.translate.translator import TorchGenerator, Translator
from tests.core.test_translate import random_generator, save_reference
from tests.core.test_translate_tiling import make_translator, psnr, smooth_image

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py
ROOT = Path(__file__).resolve().parents[2]


def exact_vs_whole(translator: Translator, image: np.ndarray, budget: int,
                   spill_dir: Path, **kwargs: object) -> tuple[float, int]:
    """(PSNR, max abs difference) of the streamed output against the whole-image one."""
    whole = translator.translate(image)
    assert translator.last_plan is not None and translator.last_plan.path == "whole"
    tiled = translator.translate(image, max_memory=budget, spill_dir=spill_dir,
                                 **kwargs)  # type: ignore[arg-type]
    assert translator.last_plan.path == "tiled-exact"
    report = translator.last_stream
    assert report is not None and report.tiles > report.passes  # really cut in tiles
    diff = int(np.abs(whole.astype(np.int16) - tiled.astype(np.int16)).max())
    print(f"{translator.info.summary}: PSNR {psnr(whole, tiled):.1f} dB, max abs diff "
          f"{diff}, {report.passes} passes, {report.tiles} tiles, held {report.held_bytes} "
          f"of {budget} bytes")
    return psnr(whole, tiled), diff


# ---- equal to the whole image ----------------------------------------------------------------
@pytest.mark.parametrize(("arch", "depth", "size", "budget"), [
    ("resnet", 9, (150, 210), 400_000),
    ("resnet", 2, (61, 47), 120_000),  # odd size: reflect-padded to the multiple
    ("unet", 6, (150, 200), 700_000),
    ("unet", 8, (260, 300), 2_000_000),  # padded up to 512² for a 256 multiple
])
def test_streamed_output_equals_the_whole_image(arch: str, depth: int, size: tuple[int, int],
                                                budget: int, tmp_path: Path) -> None:
    translator = make_translator(arch, depth)
    value, diff = exact_vs_whole(translator, smooth_image(*size), budget, tmp_path)
    assert value >= 45.0 and diff <= 1  # float rounding can flip a uint8 rounding
    report = translator.last_stream
    assert report is not None and report.held_bytes <= budget  # the engine's own count
    assert list(tmp_path.iterdir()) == []  # its temporary folder is gone


@pytest.mark.parametrize("norm", ["batch", "none"])
def test_models_without_instance_norm_stream_exactly_too(norm: str, tmp_path: Path) -> None:
    translator = make_translator("resnet", 2, norm=norm)
    value, diff = exact_vs_whole(translator, smooth_image(70, 90), 150_000, tmp_path)
    assert value >= 45.0 and diff <= 1


def test_forced_tiles_grey_and_alpha_images_stream_exactly(tmp_path: Path) -> None:
    translator = make_translator("resnet", 2)
    rgba = np.dstack([smooth_image(45, 70), np.arange(45 * 70).reshape(45, 70) % 256]
                     ).astype(np.uint8)
    whole = translator.translate(rgba)
    tiled = translator.translate(rgba, tile=16, spill_dir=tmp_path)
    assert psnr(whole, tiled) >= 45.0 and np.array_equal(tiled[:, :, 3], rgba[:, :, 3])
    grey = smooth_image(40, 40)[:, :, 0]
    assert psnr(translator.translate(grey), translator.translate(grey, tile=8)) >= 45.0
    tiny = smooth_image(13, 22)  # 1-pixel tiles at the bottleneck: mirrored one by one
    assert psnr(translator.translate(tiny), translator.translate(tiny, tile=4)) >= 45.0


def test_per_tile_statistics_are_far_from_the_whole_image(tmp_path: Path) -> None:
    """The problem streaming solves: the old per-tile path misses by ~20 dB."""
    translator = make_translator("resnet", 6)
    image = smooth_image(120, 160)
    whole = translator.translate(image)
    own = translator.translate(image, tile=64, global_norm=False)
    exact = translator.translate(image, tile=64, spill_dir=tmp_path)
    assert psnr(whole, own) < 35.0 < 45.0 <= psnr(whole, exact)


def test_every_region_of_a_reflection_pad_matches_the_padded_map() -> None:
    """All three ways ReflectPad cuts a region (slice, PyTorch's reflection, a gather for
    regions thinner than the padding) against padding the whole map."""
    full = torch.arange(5 * 6, dtype=torch.float32).view(1, 1, 5, 6)
    op = ReflectPad((3, 2), (3, 2))  # top/left, bottom/right: 3 of 5 rows is the most
    expected = F.pad(full, (2, 2, 3, 3), mode="reflect")
    h, w = expected.shape[2:]
    for y0, y1, x0, x1 in itertools.product(range(h), range(1, h + 1), range(w),
                                            range(1, w + 1)):
        if y1 <= y0 or x1 <= x0:
            continue
        ys, xs = op.span(0, y0, y1, 5), op.span(1, x0, x1, 6)
        got = op.compute([full[:, :, ys[0]:ys[1], xs[0]:xs[1]]], (y0, y1, x0, x1), (5, 6))
        assert torch.equal(got, expected[:, :, y0:y1, x0:x1]), (y0, y1, x0, x1)


# ---- memory ---------------------------------------------------------------------------------
_RSS_CHILD = """
import json, sys
import torch
torch.set_num_threads(1)
sys.path.insert(0, {root!r})
from tests.core.test_translate_tiling import make_translator, smooth_image

def rss(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field))

translator = make_translator("resnet", 2, ngf=16)
translator.translate(smooth_image(64, 64), max_memory=1 << 20)  # libraries warm
image = smooth_image(1024, 1024)
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak (VmHWM) starts again from what is resident now
before = rss("VmRSS:")
translator.translate(image, max_memory={budget})
print(json.dumps({{"grew": rss("VmHWM:") - before, "path": translator.last_plan.path}}))
"""


def _rss_growth(budget: int) -> tuple[int, str]:
    code = _RSS_CHILD.format(root=str(ROOT), budget=budget)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=240, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return int(found["grew"]), str(found["path"])


@pytest.mark.skipif(sys.platform != "linux", reason="reads the peak from Linux's /proc")
def test_peak_memory_stays_within_the_budget() -> None:
    """Real resident memory, in a fresh process: a 1024² image whose whole forward peaks
    near 250 MB grows the process by the 16 MB budget plus fixed costs that do not grow
    with the image (oneDNN kernels made for new tile shapes, the allocator's slack:
    60–90 MB measured on a 2-core machine), far less than going whole."""
    budget = 16 << 20
    streamed, path = _rss_growth(budget)
    assert path == "tiled-exact"
    whole, path = _rss_growth(4 << 30)
    assert path == "whole"
    print(f"RSS growth: streamed {streamed / 2**20:.0f} MB, whole {whole / 2**20:.0f} MB")
    assert streamed < budget + (112 << 20)
    assert whole - streamed > 100 << 20  # the measurement does see activations


def test_a_budget_too_small_for_one_tile_says_so() -> None:
    translator = make_translator("resnet", 2)
    with pytest.raises(TranslateError, match=r"too small for this model: it needs at least"):
        translator.translate(smooth_image(40, 40), max_memory=2000)


# ---- temporary files ------------------------------------------------------------------------
def _stops_after(count: int, exc: Exception) -> Callable[[int, int], None]:
    def progress(done: int, total: int) -> None:
        if done == count:
            raise exc
    return progress


def test_spill_is_removed_after_a_cancel_and_an_error(tmp_path: Path) -> None:
    translator = make_translator("resnet", 2)
    image = smooth_image(60, 80)
    seen: list[Path] = []

    def cancel_midway() -> bool:
        seen.extend(tmp_path.iterdir())
        return len(seen) > 8
    with pytest.raises(TranslationCancelled):
        translator.translate(image, max_memory=120_000, spill_dir=tmp_path,
                             cancelled=cancel_midway)
    assert seen and list(tmp_path.iterdir()) == []  # there was a spill, now gone
    with pytest.raises(RuntimeError, match="boom"):
        translator.translate(image, max_memory=120_000, spill_dir=tmp_path,
                             progress=_stops_after(5, RuntimeError("boom")))
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spill.shutil, "disk_usage",
                        lambda _p: type("Usage", (), {"free": 1000})())
    translator = make_translator("resnet", 2)
    with pytest.raises(TranslateError, match=r"Not enough free disk space.*TMPDIR"):
        translator.translate(smooth_image(60, 80), max_memory=120_000, spill_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


# ---- the plan ---------------------------------------------------------------------------------
def test_networks_that_cannot_be_streamed_use_independent_tiles() -> None:
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Upsample(scale_factor=1.0),
                        nn.Conv2d(4, 3, 1))
    info = make_translator("resnet", 1).info
    translator = Translator(info, {"AtoB": TorchGenerator(net, torch.device("cpu"))})
    plan = translator.choose(400, 600, max_memory=1 << 20)
    assert plan.path == "tiled" and "cannot be streamed" in plan.reason
    assert translator.translate(smooth_image(40, 60), max_memory=20_000).shape == (40, 60, 3)


def test_the_plan_says_which_path_and_why() -> None:
    info = make_translator("resnet", 9, ngf=64).info
    whole = plan_translation(info, 2000, 3000, max_memory=8 << 30)
    big = plan_translation(info, 4000, 6000, max_memory=4 << 30)
    onnx = plan_translation(GeneratorInfo(**{**info.__dict__, "source": "onnx"}), 4000, 6000,
                            max_memory=4 << 30)
    asked = plan_translation(info, 100, 100, tile=64)
    assert whole.path == "whole" and "within the 8.0 GB budget" in whole.reason
    assert big.path == "tiled-exact" and big.reason.startswith("6000×4000 needs about")
    assert "over the 4.0 GB budget" in big.reason and "whole image's statistics" in big.reason
    assert onnx.path == "tiled" and "own statistics" in onnx.reason
    assert asked.path == "tiled-exact" and asked.tile == 64
    assert plan_translation(info, 10, 10).budget_bytes > 0  # a default from free memory


@pytest.mark.parametrize(("text", "size"), [("300MB", 300 << 20), ("4GB", 4 << 30),
                                            ("1.5g", 3 << 29), ("512 MiB", 512 << 20),
                                            ("1000", 1000)])
def test_sizes_parse(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["12XB", "", "GB", "-1GB", "0MB", "4 GB extra"])
def test_sizes_that_are_not(text: str) -> None:
    with pytest.raises(TranslateError, match=r"memory size"):
        parse_size(text)


# ---- the command line ---------------------------------------------------------------------
def test_cli_max_memory_streams_and_bad_sizes_are_one_line(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    net = random_generator(arch="resnet", n_blocks=1, ngf=4, norm="instance", input_nc=3,
                           output_nc=3)
    model = save_reference(net, tmp_path / "latest_net_G.pth")
    Image.fromarray(smooth_image(64, 96)).save(tmp_path / "photo.png")
    args = ["translate", "--model", str(model), "--input", str(tmp_path / "photo.png"),
            "--output", str(tmp_path / "out")]

    assert main([*args, "--max-memory", "12XB"]) == 2
    _, err = capsys.readouterr()
    assert err == ("nectar: error: --max-memory: '12XB' is not a memory size; write e.g. "
                   "300MB, 4GB or 1.5GB\n")
    assert not (tmp_path / "out").exists()

    assert main([*args, "--max-memory", "100KB"]) == 0
    out, _ = capsys.readouterr()
    assert "tiled-exact: 96×64 needs about" in out and "over the 100.0 KB budget" in out
    assert Image.open(tmp_path / "out" / "photo.png").size == (96, 64)


# ---- time estimate for a whole image --------------------------------------------------------
def test_whole_image_time_is_estimated_from_the_measured_rate() -> None:
    rate = RateEstimator(smoothing=0.5)
    assert rate.estimate(6_000_000, 3.0).seconds_left is None  # nothing measured yet
    rate.record(1_000_000, 8.0)  # 8 s per megapixel
    assert rate.expected_seconds(6_000_000) == pytest.approx(48.0)
    halfway = rate.estimate(6_000_000, 24.0)
    assert halfway.fraction == pytest.approx(0.5) and halfway.seconds_left == pytest.approx(24)
    late = rate.estimate(6_000_000, 60.0)
    assert late.fraction == pytest.approx(0.99) and late.seconds_left is None
    rate.record(2_000_000, 8.0)  # 4 s per megapixel now: the rate moves half-way
    assert rate.seconds_per_mp == pytest.approx(6.0)
    rate.record(0, 1.0)  # ignored
    assert rate.seconds_per_mp == pytest.approx(6.0)
