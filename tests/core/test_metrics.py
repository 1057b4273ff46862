"""Image metrics against scikit-image, computed independently on known images."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nectar_gui.core.evaluation.metrics import l1_distance, paired_metrics, psnr, ssim
from nectar_gui.core.evaluation.records import (
    ImageResult,
    StepEvaluation,
    ValidationRecord,
    is_better,
    mean_metrics,
    parse_validation_line,
    ranking_value,
)

skm = pytest.importorskip("skimage.metrics")


def _images(shape: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    target = rng.integers(0, 256, shape, dtype=np.uint8)
    noise = rng.normal(0, 40, shape)
    generated = np.clip(target + noise, 0, 255).astype(np.uint8)
    return generated, target


@pytest.mark.parametrize("shape", [(40, 56, 3), (33, 17, 3), (24, 24, 1), (7, 9, 3)])
def test_metrics_match_scikit_image(shape: tuple[int, ...]) -> None:
    generated, target = _images(shape, seed=sum(shape))
    g, t = generated / 255.0, target / 255.0
    assert l1_distance(generated, target) == pytest.approx(np.abs(g - t).mean(), abs=1e-12)
    assert psnr(generated, target) == pytest.approx(
        skm.peak_signal_noise_ratio(t, g, data_range=1.0), abs=1e-9)
    expected = skm.structural_similarity(t, g, channel_axis=2, data_range=1.0)
    assert ssim(generated, target) == pytest.approx(expected, abs=1e-10)


def test_ssim_of_smooth_images_and_a_grey_image_without_channel_axis() -> None:
    y, x = np.mgrid[0:48, 0:64]
    target = ((x * 3 + y * 2) % 256).astype(np.uint8)  # (H, W): grey, no channel axis
    generated = np.clip(target.astype(int) + 9, 0, 255).astype(np.uint8)
    expected = skm.structural_similarity(target / 255.0, generated / 255.0, data_range=1.0)
    assert ssim(generated, target) == pytest.approx(expected, abs=1e-10)


def test_identical_images_and_tiny_images() -> None:
    image = _images((16, 16, 3), 1)[1]
    assert paired_metrics(image, image) == {"l1": 0.0, "psnr": math.inf, "ssim": 1.0}
    tiny = image[:6, :6]
    assert math.isnan(ssim(tiny, tiny))  # shorter than the 7-pixel window, as skimage refuses
    with pytest.raises(ValueError, match="differ in shape"):
        l1_distance(image, image[:8])


def test_means_skip_non_finite_values_and_json_writes_null() -> None:
    results = [ImageResult("a", {"psnr": math.inf, "l1": 0.0, "ssim": 1.0}, "a.png", None),
               ImageResult("b", {"psnr": 20.0, "l1": 0.2, "ssim": math.nan}, "b.png", None)]
    mean = mean_metrics(results, ("l1", "psnr", "ssim"))
    assert mean == {"l1": pytest.approx(0.1), "psnr": 20.0, "ssim": 1.0}
    ev = StepEvaluation(step=3, split="val", kind="paired", images=tuple(results), mean=mean)
    doc = ev.to_json()
    assert doc["images"][0] == {"name": "a", "psnr": None, "l1": 0.0, "ssim": 1.0}
    assert [r.name for r in ev.worst_first("psnr")] == ["b", "a"]
    assert [r.name for r in ev.worst_first("l1")] == ["b", "a"]


def test_ranking_directions() -> None:
    assert is_better("psnr", 21.0, 20.0) and not is_better("l1", 0.3, 0.2)
    assert is_better("cycle_l1", 0.1, None) and not is_better("psnr", math.nan, None)
    assert ranking_value({"cycle_l1_a": 0.2, "cycle_l1_b": 0.4}, "cycle_l1") == pytest.approx(0.3)


def test_validation_line_round_trip() -> None:
    record = ValidationRecord(step=5, epoch=1, time=1.5, split="val", images=2, seconds=0.25,
                              metrics={"psnr": math.inf, "l1": 0.5}, unavailable={"fid": "no"})
    parsed = parse_validation_line(record.to_line().encode())
    assert parsed is not None and parsed.step == 5 and parsed.metrics["l1"] == 0.5
    assert math.isnan(parsed.metrics["psnr"]) and parsed.unavailable == {"fid": "no"}
    assert parse_validation_line(b'{"step": "x"}') is None
    assert parse_validation_line(b"{broken") is None
