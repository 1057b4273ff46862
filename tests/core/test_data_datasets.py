"""Transforms, the epoch sampler, and the three datasets' determinism and recovery."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from nectar_gui.core.config import DataSection
from nectar_gui.core.data.datasets import EpochSampler, GanDataset, build_dataset
from nectar_gui.core.data.errors import DatasetError
from nectar_gui.core.data.transforms import TransformParams, crop_box, preprocess


def noise(size: tuple[int, int], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)


def write(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def cfg(root: Path | None, **changes: Any) -> DataSection:
    values: dict[str, Any] = {"root": None if root is None else str(root), "load_size": 20,
                              "crop_size": 16}
    return DataSection(**{**values, **changes})


def aligned_twins(root: Path, count: int = 4) -> Path:
    """Aligned images whose B half equals the A half, so any misalignment shows."""
    for i in range(count):
        half = noise((24, 24), seed=i)
        write(root / "train" / f"{i}.png", np.concatenate([half, half], axis=1))
    return root


def paired(root: Path, count: int = 3) -> Path:
    for i in range(count):
        write(root / "A" / f"{i}.png", np.full((24, 24, 3), (200, 0, 0), np.uint8))
        write(root / "B" / f"{i}.png", np.full((24, 24, 3), (0, 0, 200), np.uint8))
    return root


def unaligned(root: Path, n_a: int = 3, n_b: int = 5) -> Path:
    for i in range(n_a):
        write(root / "trainA" / f"{i}.png", np.full((24, 24, 3), i, np.uint8))
    for i in range(n_b):
        write(root / "trainB" / f"{i}.png", np.full((24, 24, 3), 100 + i, np.uint8))
    return root


# ---- transforms -------------------------------------------------------------------------
@pytest.mark.parametrize(("mode", "size"), [("resize_and_crop", (16, 16)), ("crop", (16, 16)),
                                            ("resize", (16, 16)), ("none", (30, 20))])
def test_preprocess_modes(mode: str, size: tuple[int, int]) -> None:
    img = Image.fromarray(noise((30, 20), 0))
    params = TransformParams.draw(np.random.default_rng(1), flip=True)
    assert preprocess(img, params, cfg(None, preprocess=mode)).size == size


def test_crop_scales_small_images_up() -> None:
    small = Image.fromarray(noise((10, 6), 0))
    out = preprocess(small, TransformParams.centre(), cfg(None, preprocess="crop"))
    assert out.size == (16, 16)


def test_crop_offsets_cover_the_whole_room() -> None:
    lefts = {crop_box((20, 16), 16, TransformParams(x, 0.5))[0] for x in np.linspace(0, 0.999, 50)}
    assert lefts == set(range(5))
    assert crop_box((20, 20), 16, TransformParams.centre()) == (2, 2, 18, 18)


def test_flip_only_when_enabled() -> None:
    img = Image.fromarray(noise((16, 16), 0))
    flipped = TransformParams(0.5, 0.5, flip=True)
    as_is = cfg(None, preprocess="none")
    assert preprocess(img, flipped, as_is.model_copy(update={"flip": False})) is img
    mirrored = np.asarray(preprocess(img, flipped, as_is))
    np.testing.assert_array_equal(mirrored, np.asarray(img)[:, ::-1])


# ---- sampler ----------------------------------------------------------------------------
def test_sampler_is_a_function_of_seed_and_epoch() -> None:
    first = list(EpochSampler(10, seed=3, epoch=1))
    assert first == list(EpochSampler(10, seed=3, epoch=1))
    assert sorted(i for i, _ in first) == list(range(10))
    assert [i for i, _ in first] != [i for i, _ in EpochSampler(10, seed=3, epoch=2)]
    assert len({s for _, s in first}) == 10
    ordered = [i for i, _ in EpochSampler(10, seed=3, epoch=1, shuffle=False)]
    assert ordered == list(range(10))


def test_sampler_ranks_are_disjoint_and_padded() -> None:
    shares = [list(EpochSampler(10, seed=0, epoch=0, rank=r, world_size=3)) for r in range(3)]
    assert [len(s) for s in shares] == [4, 4, 4]
    assert len(EpochSampler(10, seed=0, epoch=0, rank=2, world_size=3)) == 4
    keys = [k for share in shares for k in share]
    assert len(set(keys)) == 12  # no key repeats, padding items get their own seeds
    assert {i for i, _ in keys} == set(range(10))
    single = list(EpochSampler(10, seed=0, epoch=0))
    assert [i for i, _ in shares[1]] == [single[1][0], single[4][0], single[7][0],
                                         single[0][0]]


def test_sampler_start_resumes_mid_epoch() -> None:
    full = list(EpochSampler(9, seed=5, epoch=4, rank=1, world_size=2))
    resumed = EpochSampler(9, seed=5, epoch=4, rank=1, world_size=2, start=3)
    assert list(resumed) == full[3:] and len(resumed) == len(full) - 3
    resumed.set_epoch(5)
    assert list(resumed) == list(EpochSampler(9, seed=5, epoch=5, rank=1, world_size=2))
    with pytest.raises(ValueError, match="start 99"):
        EpochSampler(9, seed=5, epoch=0, start=99)
    with pytest.raises(ValueError, match="rank=2"):
        EpochSampler(9, seed=0, epoch=0, rank=2, world_size=2)


# ---- datasets ---------------------------------------------------------------------------
def test_aligned_crops_a_and_b_identically(tmp_path: Path) -> None:
    dataset = build_dataset(cfg(aligned_twins(tmp_path)), input_nc=3, output_nc=3)
    crops = set()
    for seed in range(8):
        item = dataset[(1, seed)]
        assert item["A"].shape == (3, 16, 16)
        torch.testing.assert_close(item["A"], item["B"], rtol=0, atol=0)
        crops.add(item["A"].sum().item())
    assert len(crops) > 1  # the seeds did move the crop


def test_same_key_same_item(tmp_path: Path) -> None:
    dataset = build_dataset(cfg(aligned_twins(tmp_path)), input_nc=3, output_nc=1)
    a, b = dataset[(2, 1234)], dataset[(2, 1234)]
    assert torch.equal(a["A"], b["A"]) and torch.equal(a["B"], b["B"])
    assert a["B"].shape == (1, 16, 16) and a["index"] == 2
    assert float(a["A"].min()) >= -1 and float(a["A"].max()) <= 1
    with pytest.raises(IndexError):
        dataset[(4, 0)]


def test_aligned_halves_and_direction(tmp_path: Path) -> None:
    pixels = np.zeros((24, 48, 3), np.uint8)
    pixels[:, :24] = (255, 0, 0)
    pixels[:, 24:] = (0, 0, 255)
    write(tmp_path / "train" / "x.png", pixels)
    item = build_dataset(cfg(tmp_path), input_nc=3, output_nc=3)[(0, 0)]
    assert item["A"][0].mean() > 0.9 and item["B"][2].mean() > 0.9
    swapped = build_dataset(cfg(tmp_path, direction="BtoA"), input_nc=3, output_nc=3)[(0, 0)]
    assert swapped["A"][2].mean() > 0.9 and swapped["B"][0].mean() > 0.9


def test_paired_direction_swaps_files_and_channels(tmp_path: Path) -> None:
    root = paired(tmp_path)
    item = build_dataset(cfg(root), input_nc=3, output_nc=1)[(0, 0)]
    assert item["A_path"].endswith("A/0.png") and item["B"].shape[0] == 1
    swapped = build_dataset(cfg(root, direction="BtoA"), input_nc=1, output_nc=3)[(0, 0)]
    assert swapped["A_path"].endswith("B/0.png") and swapped["A"].shape[0] == 1
    assert swapped["B"][0].mean() > 0.5  # the red A image is now the target


def test_unaligned_epoch_and_random_b(tmp_path: Path) -> None:
    dataset = build_dataset(cfg(unaligned(tmp_path)), input_nc=3, output_nc=3)
    assert len(dataset) == 5
    assert dataset[(4, 0)]["A_path"].endswith("trainA/1.png")
    partners = {dataset[(0, seed)]["B_path"] for seed in range(20)}
    assert len(partners) > 1
    assert dataset[(0, 7)]["B_path"] == dataset[(0, 7)]["B_path"]
    evaluation = build_dataset(cfg(tmp_path), input_nc=3, output_nc=3, train=False)
    assert evaluation[(3, 99)]["B_path"].endswith("trainB/3.png")


def test_file_broken_after_build_is_skipped(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    dataset = build_dataset(cfg(aligned_twins(tmp_path)), input_nc=3, output_nc=3)
    broken = dataset.layout.files_a[1]
    broken.write_bytes(broken.read_bytes()[:40])
    with caplog.at_level(logging.WARNING):
        item = dataset[(1, 5)]
    assert item["index"] == 2
    assert dataset.bad_files == [str(broken)]
    assert str(broken) in caplog.text
    assert torch.equal(dataset[(1, 5)]["A"], item["A"])  # the same substitute again


def test_unaligned_bad_b_gets_another_partner(tmp_path: Path) -> None:
    root = unaligned(tmp_path, n_a=2, n_b=2)
    dataset = build_dataset(cfg(root), input_nc=3, output_nc=3)
    (root / "trainB" / "0.png").write_bytes(b"broken")
    for seed in range(6):
        assert dataset[(0, seed)]["B_path"].endswith("trainB/1.png")


def test_every_file_bad_is_a_dataset_error(tmp_path: Path) -> None:
    dataset = build_dataset(cfg(aligned_twins(tmp_path, count=2)), input_nc=3, output_nc=3)
    for path in dataset.layout.files_a:
        path.write_bytes(b"")
    with pytest.raises(DatasetError, match="failed to load"):
        dataset[(0, 0)]


def test_build_dataset_needs_a_folder() -> None:
    with pytest.raises(DatasetError, match=r"data\.root"):
        build_dataset(cfg(None), input_nc=3, output_nc=3)


def collect(dataset: GanDataset, workers: int) -> list[torch.Tensor]:
    sampler = EpochSampler(len(dataset), seed=1, epoch=0)
    loader = DataLoader(dataset, batch_size=2, sampler=sampler, num_workers=workers)
    return [batch["A"] for batch in loader]


def test_worker_processes_do_not_change_the_data(tmp_path: Path) -> None:
    dataset = build_dataset(cfg(aligned_twins(tmp_path)), input_nc=3, output_nc=3)
    in_process, in_workers = collect(dataset, 0), collect(dataset, 2)
    assert len(in_process) == 2 and in_process[0].shape == (2, 3, 16, 16)
    for a, b in zip(in_process, in_workers, strict=True):
        assert torch.equal(a, b)
