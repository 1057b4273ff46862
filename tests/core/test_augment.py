"""Extra augmentation (issue 14): seeded draws, exact when off, each option's effect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from nectar_gui.core.config import AugmentSection, DataSection, NectarConfig
from nectar_gui.core.data.augment import AugmentParams, augment_pair, is_active
from nectar_gui.core.data.augment_text import augment_summary, geometric_text, pixel_text
from nectar_gui.core.data.datasets import EpochSampler, GanDataset, build_dataset
from nectar_gui.core.data.images import to_tensor
from nectar_gui.core.data.transforms import TransformParams, preprocess
from nectar_gui.core.presets import load_preset, preset_names
from nectar_gui.core.training.control import TrainingControl
from nectar_gui.core.training.reports import ErrorReport, LossReport
from nectar_gui.core.training.session import SessionOptions, TrainingSession
from tests.core.test_training import assert_same_weights, final_weights, run_all
from tests.tiny import tiny_config

EVERYTHING = {"vflip": True, "rot90": True, "brightness": 0.3, "contrast": 0.3,
              "saturation": 0.3, "hue": 0.1, "gamma": 0.5, "grayscale_p": 0.3,
              "blur_sigma": 1.5, "noise_std": 0.05, "jpeg_p": 0.5}
KEYS = [(index, seed) for index in range(4) for seed in (11, 2**40 + 7, 12345)]


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Aligned images whose B half equals the A half (40×40 noise), so sides show."""
    root = tmp_path_factory.mktemp("twins")
    (root / "train").mkdir()
    for i in range(4):
        half = np.random.default_rng(i).integers(0, 256, (40, 40, 3), dtype=np.uint8)
        Image.fromarray(np.concatenate([half, half], axis=1)).save(root / "train" / f"{i}.png")
    return root


def data_cfg(root: Path, augment: dict[str, Any] | None = None, **changes: Any) -> DataSection:
    values: dict[str, Any] = {"root": str(root), "load_size": 36, "crop_size": 32}
    return DataSection(**{**values, **changes, "augment": AugmentSection(**(augment or {}))})


def dataset(cfg: DataSection, *, train: bool = True) -> GanDataset:
    return build_dataset(cfg, input_nc=3, output_nc=3, train=train)


def pixels(t: torch.Tensor) -> np.ndarray:
    """(C, H, W) in [-1, 1] → (H, W, C) float64, for numpy comparisons."""
    return t.permute(1, 2, 0).double().numpy()


# ---- draws ------------------------------------------------------------------------------

def test_same_seed_same_draw_and_different_seeds_differ() -> None:
    cfg = AugmentSection(**EVERYTHING)
    draws = [AugmentParams.draw(np.random.default_rng(seed), cfg) for seed in range(20)]
    assert draws[3] == AugmentParams.draw(np.random.default_rng(3), cfg)
    assert len(set(draws)) == 20
    assert {d.quarter_turns for d in draws} == {0, 1, 2, 3}
    assert {d.vflip for d in draws} == {False, True}


def test_one_option_does_not_move_another_options_draw() -> None:
    """Every draw consumes the same count, so e.g. turning JPEG on keeps the brightness."""
    base = AugmentParams.draw(np.random.default_rng(5), AugmentSection(brightness=0.5))
    more = AugmentParams.draw(np.random.default_rng(5),
                              AugmentSection(brightness=0.5, jpeg_p=1.0, rot90=True))
    assert more.brightness == base.brightness != 1.0
    assert more.jpeg_quality is not None and base.jpeg_quality is None


def test_the_defaults_change_nothing() -> None:
    assert not is_active(AugmentSection())
    assert not is_active(AugmentSection(color_sides="input", degrade_sides="both"))
    assert AugmentParams.draw(np.random.default_rng(0), AugmentSection()) == AugmentParams()
    assert augment_summary(DataSection()) == ""
    for name in preset_names():
        assert not is_active(load_preset(name).data.augment), name


# ---- exactness --------------------------------------------------------------------------

def old_item(ds: GanDataset, key: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """The item as the code before augmentation made it: crop and flip from the seed."""
    index, seed = key
    img_a, img_b, _, _ = ds._load_sides(index, np.random.default_rng(seed))
    params = TransformParams.draw(np.random.default_rng(seed), flip=ds.cfg.flip)
    return (to_tensor(preprocess(img_a, params, ds.cfg)),
            to_tensor(preprocess(img_b, params, ds.cfg)))


@pytest.mark.parametrize("augment", [None, {"color_sides": "input", "jpeg_quality_min": 5}])
def test_augmentation_off_leaves_items_byte_identical(twins: Path,
                                                      augment: dict[str, Any] | None) -> None:
    ds = dataset(data_cfg(twins, augment))
    for key in KEYS:
        item, (a, b) = ds[key], old_item(ds, key)
        assert torch.equal(item["A"], a) and torch.equal(item["B"], b)


def test_crop_and_flip_are_the_same_with_augmentation_on(twins: Path) -> None:
    """Vertical flips only: every item is the plain item, or it upside down — exactly."""
    plain, flipping = dataset(data_cfg(twins)), dataset(data_cfg(twins, {"vflip": True}))
    flipped = 0
    for key in KEYS:
        want, got = pixels(plain[key]["A"]), pixels(flipping[key]["A"])
        if np.array_equal(got, np.flipud(want)):
            flipped += 1
        else:
            assert np.array_equal(got, want)
        assert np.array_equal(pixels(flipping[key]["B"]), got)  # B alike
    assert 0 < flipped < len(KEYS)


def test_quarter_turns_match_numpy(twins: Path) -> None:
    plain, turning = dataset(data_cfg(twins)), dataset(data_cfg(twins, {"rot90": True}))
    seen = set()
    for key in KEYS:
        turns = AugmentParams.draw(_after_crop(key[1]), turning.cfg.augment).quarter_turns
        seen.add(turns)
        want = np.rot90(pixels(plain[key]["A"]), turns)  # counter-clockwise, as torch.rot90
        assert np.array_equal(pixels(turning[key]["A"]), want)
        assert np.array_equal(pixels(turning[key]["B"]), want)
    assert len(seen) > 2


def _after_crop(seed: int) -> np.random.Generator:
    """The item generator as augmentation finds it: after the crop and flip draw."""
    rng = np.random.default_rng(seed)
    TransformParams.draw(rng, flip=True)
    return rng


def test_non_square_images_turn_only_by_half_turns() -> None:
    wide = Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 40, 3), np.uint8))
    cfg = AugmentSection(rot90=True)
    for quarter_turns in range(4):
        a, b = augment_pair(wide, wide, AugmentParams(quarter_turns=quarter_turns), cfg)
        assert a.shape == b.shape == (3, 24, 40)
        want = np.rot90(pixels(to_tensor(wide)), quarter_turns & 2)
        assert np.array_equal(pixels(a), want)
    assert geometric_text(AugmentParams(quarter_turns=1), square=False) == []
    assert geometric_text(AugmentParams(quarter_turns=3), square=False) == ["turned 180°"]


def test_evaluation_items_are_never_augmented(twins: Path) -> None:
    plain = dataset(data_cfg(twins), train=False)
    augmented = dataset(data_cfg(twins, EVERYTHING), train=False)
    for key in KEYS[:4]:
        assert torch.equal(plain[key]["A"], augmented[key]["A"])


def collect(ds: GanDataset, workers: int) -> list[dict[str, Any]]:
    sampler = EpochSampler(len(ds), seed=3, epoch=1)
    loader = DataLoader(ds, batch_size=2, sampler=sampler, num_workers=workers)
    return list(loader)


def test_worker_processes_do_not_change_augmented_items(twins: Path) -> None:
    ds = dataset(data_cfg(twins, EVERYTHING, flip=True))
    in_process, in_workers = collect(ds, 0), collect(ds, 2)
    assert len(in_process) == 2
    for a, b in zip(in_process, in_workers, strict=True):
        assert torch.equal(a["A"], b["A"]) and torch.equal(a["B"], b["B"])
    plain = collect(dataset(data_cfg(twins, flip=True)), 0)
    assert not torch.equal(plain[0]["A"], in_process[0]["A"])  # augmentation did something


def test_resumed_run_with_augmentation_matches_uninterrupted_run(paired_data: Path,
                                                                 tmp_path: Path) -> None:
    """Stop part-way with every augmentation on, resume, and end with identical weights."""
    augment = {f"data.augment.{name}": value for name, value in EVERYTHING.items()}
    config = tiny_config("pix2pix", paired_data, **{"logging.max_steps": 9, **augment})
    assert isinstance(config, NectarConfig) and is_active(config.data.augment)

    straight = tmp_path / "straight"
    run_all(TrainingSession(config, SessionOptions(run_dir=straight)))
    interrupted = tmp_path / "interrupted"
    control = TrainingControl()
    for report in TrainingSession(config, SessionOptions(run_dir=interrupted)).run(control):
        assert not isinstance(report, ErrorReport), report
        if isinstance(report, LossReport) and report.step >= 4:
            control.request_stop()
    run_all(TrainingSession(config, SessionOptions(run_dir=interrupted, resume=True)))
    assert_same_weights(final_weights(straight), final_weights(interrupted))


# ---- what each option does --------------------------------------------------------------

def aligned_pair(twins: Path, augment: dict[str, Any], key: tuple[int, int] = (1, 99)
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(plain A, augmented A, augmented B) of one item of the twins (plain A == plain B)."""
    plain = dataset(data_cfg(twins))[key]
    item = dataset(data_cfg(twins, augment))[key]
    return pixels(plain["A"]), pixels(item["A"]), pixels(item["B"])


@pytest.mark.parametrize("option", [
    {"brightness": 0.5}, {"contrast": 0.5}, {"saturation": 0.8}, {"hue": 0.3},
    {"gamma": 0.8}, {"grayscale_p": 1.0}, {"blur_sigma": 2.0}, {"noise_std": 0.1},
    {"jpeg_p": 1.0}])
def test_each_option_changes_the_input_only_when_asked(twins: Path,
                                                       option: dict[str, Any]) -> None:
    sides = {"color_sides": "input", "degrade_sides": "input"}
    plain, a, b = aligned_pair(twins, {**option, **sides}, key=(1, 7))
    assert a.shape == plain.shape and not np.array_equal(a, plain)
    assert np.array_equal(b, plain)  # the target is left as it was
    assert a.min() >= -1.0 and a.max() <= 1.0


@pytest.mark.parametrize("option", [{"gamma": 0.8, "color_sides": "both"},
                                    {"noise_std": 0.1, "degrade_sides": "both"},
                                    {"jpeg_p": 1.0, "degrade_sides": "both"}])
def test_both_sides_get_the_same_change(twins: Path, option: dict[str, Any]) -> None:
    plain, a, b = aligned_pair(twins, option)
    assert not np.array_equal(a, plain) and np.array_equal(a, b)


def test_grayscale_has_equal_channels(twins: Path) -> None:
    _, a, _ = aligned_pair(twins, {"grayscale_p": 1.0})
    assert np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 1], a[..., 2])


def test_jpeg_changes_pixels_but_keeps_the_size(twins: Path) -> None:
    plain, a, _ = aligned_pair(twins, {"jpeg_p": 1.0, "jpeg_quality_min": 10})
    assert a.shape == plain.shape == (32, 32, 3)
    assert np.abs(a - plain).mean() > 0.02  # noise compresses badly at quality ≤ 95


def test_blur_smooths_and_noise_roughens(twins: Path) -> None:
    def roughness(img: np.ndarray) -> float:
        return float(np.abs(np.diff(img, axis=1)).mean())

    plain, blurred, _ = aligned_pair(twins, {"blur_sigma": 3.0}, key=(0, 4))
    assert roughness(blurred) < 0.5 * roughness(plain)
    flat = Image.new("RGB", (16, 16), (128, 128, 128))
    noisy, clean = augment_pair(flat, flat, AugmentParams(noise_std=0.05, noise_seed=1),
                                AugmentSection(noise_std=0.05))
    assert 0.06 < float(noisy.std()) < 0.14  # σ 0.05 of [0, 1] is 0.1 in [-1, 1]
    assert float(clean.std()) == 0.0


def test_alpha_and_grey_images_are_handled() -> None:
    rgba = Image.fromarray(np.random.default_rng(2).integers(0, 256, (16, 16, 4), np.uint8))
    grey = rgba.convert("L")
    params = AugmentParams(brightness=1.3, hue=0.2, grayscale=True, jpeg_quality=30)
    cfg = AugmentSection(brightness=0.5, hue=0.2, grayscale_p=1.0, jpeg_p=1.0)
    a, _ = augment_pair(rgba, rgba, params, cfg)
    assert torch.equal(a[3], to_tensor(rgba)[3])  # alpha kept
    assert not torch.equal(a[:3], to_tensor(rgba)[:3])
    g, _ = augment_pair(grey, grey, params, cfg)
    assert g.shape == (1, 16, 16) and not torch.equal(g, to_tensor(grey))


def test_the_words_name_what_is_on_and_where() -> None:
    cfg = DataSection(direction="BtoA", augment=AugmentSection(
        vflip=True, brightness=0.2, jpeg_p=0.3, degrade_sides="input"))
    summary = augment_summary(cfg)
    assert summary == ("vertical flips · brightness ±0.2 (A and B) · "
                       "JPEG 30% at quality 30–95 (input B only)")
    params = AugmentParams(vflip=True, brightness=1.1, jpeg_quality=50)
    assert pixel_text(params, cfg, "B") == ["brightness ×1.10", "JPEG q50"]
    assert pixel_text(params, cfg, "A") == ["brightness ×1.10"]
