"""The training loader over a run: decoded-image cache and workers that live across epochs.

Both are speed features, so what is tested is that they change nothing a run computes
(bit-identical weights) and that they do what they are for (files decoded once; one set
of worker processes for the whole run).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nectar_gui.core.config import DataSection
from nectar_gui.core.data import datasets
from nectar_gui.core.data.datasets import EpochSampler, build_dataset
from nectar_gui.core.training.session import SessionOptions, TrainingSession
from tests.core.test_training import assert_same_weights, final_weights, run_all
from tests.tiny import tiny_config


def _dataset(root: Path, cache_bytes: int) -> datasets.GanDataset:
    cfg = DataSection(root=str(root), load_size=36, crop_size=32)
    dataset = build_dataset(cfg, input_nc=3, output_nc=3)
    dataset.cache_bytes = cache_bytes
    return dataset


def _epoch(dataset: datasets.GanDataset, epoch: int) -> list[dict[str, object]]:
    return [dataset[key] for key in EpochSampler(len(dataset), seed=0, epoch=epoch)]


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    for name in ("load_image", "decode_image"):
        real = getattr(datasets, name)

        def counting(path: Path, *args: object, _real=real) -> object:  # type: ignore[no-untyped-def]
            reads.append(str(path))
            return _real(path, *args)

        monkeypatch.setattr(datasets, name, counting)
    return reads


@pytest.mark.parametrize("data", ["paired_data", "unpaired_data"])
def test_cached_items_equal_decoded_ones_and_files_are_read_once(
        request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, data: str) -> None:
    root = request.getfixturevalue(data)
    uncached = [_epoch(_dataset(root, 0), e) for e in (0, 1)]
    reads = _count_reads(monkeypatch)
    cached_dataset = _dataset(root, 2**30)
    first = _epoch(cached_dataset, 0)
    second = _epoch(cached_dataset, 1)
    assert reads and len(reads) == len(set(reads)), "a file was decoded twice"
    for got, want in zip([first, second], uncached, strict=True):
        for a, b in zip(got, want, strict=True):
            assert torch.equal(a["A"], b["A"]) and torch.equal(a["B"], b["B"])  # type: ignore[arg-type]


def test_the_cache_stops_at_its_budget(paired_data: Path, monkeypatch: pytest.MonkeyPatch
                                       ) -> None:
    """Demo pairs are 64×32 RGB (A|B): a budget of two keeps two, the rest are re-read."""
    reads = _count_reads(monkeypatch)
    dataset = _dataset(paired_data, 2 * 64 * 32 * 3)
    _epoch(dataset, 0)
    first = len(reads)
    _epoch(dataset, 1)
    assert len(reads) - first == first - 2


def _train(data: Path, run: Path, workers: int, cache_mb: int) -> TrainingSession:
    config = tiny_config("pix2pix", data, **{
        "data.num_workers": workers, "data.cache_mb": cache_mb,
        "optim.n_epochs": 2, "optim.n_epochs_decay": 1})  # 3 epochs of 6 steps
    session = TrainingSession(config, SessionOptions(run_dir=run))
    run_all(session)
    return session


def test_workers_and_cache_change_nothing_a_run_computes(paired_data: Path, tmp_path: Path,
                                                         one_thread: None) -> None:
    _train(paired_data, tmp_path / "plain", workers=0, cache_mb=0)
    _train(paired_data, tmp_path / "fast", workers=2, cache_mb=64)
    assert_same_weights(final_weights(tmp_path / "plain"), final_weights(tmp_path / "fast"))


@pytest.mark.parametrize(("cache_mb", "device", "expect_mb"), [
    (-1, "cpu", 0),  # auto: decoding is a sliver of a CPU step; keep the RAM
    (-1, "cuda", 2048),  # auto beside a GPU (nothing here touches CUDA)
    (64, "cpu", 64),  # an explicit budget is kept, on any device
    (0, "cuda", 0),
])
def test_the_cache_budget_is_chosen_for_the_device(paired_data: Path, cache_mb: int,
                                                   device: str, expect_mb: int) -> None:
    from nectar_gui.core.training.loader import TrainLoader

    cfg = DataSection(root=str(paired_data), load_size=36, crop_size=32, cache_mb=cache_mb,
                      num_workers=0)
    dataset = _dataset(paired_data, 0)
    TrainLoader(dataset, cfg, EpochSampler(len(dataset), seed=0, epoch=0), batch_size=1,
                device=torch.device(device))
    assert dataset.cache_bytes == expect_mb * 2**20


def test_one_loader_serves_every_epoch(paired_data: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch, one_thread: None) -> None:
    """Worker processes start once per run, not once per epoch."""
    from nectar_gui.core.training import loader as loader_module

    built: list[int] = []
    real = loader_module.DataLoader

    def counting(*args: object, **kwargs: object) -> object:
        built.append(int(kwargs.get("num_workers", 0)))  # type: ignore[call-overload]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loader_module, "DataLoader", counting)
    _train(paired_data, tmp_path / "run", workers=1, cache_mb=64)
    assert built == [1]


@pytest.mark.parametrize("data", ["paired_data", "unpaired_data"])
def test_uint8_items_become_the_float_items_on_the_device(request: pytest.FixtureRequest,
                                                          data: str) -> None:
    """Training batches travel as uint8; the model's conversion equals the dataset's."""
    from nectar_gui.core.config import NectarConfig
    from nectar_gui.core.runtime import Runtime
    from nectar_gui.core.training.models import create_model

    root = request.getfixturevalue(data)
    floats, raw = _dataset(root, 0), _dataset(root, 0)
    raw.as_uint8 = True
    config = tiny_config("pix2pix", root)
    model = create_model(config, Runtime(NectarConfig().runtime.model_copy(
        update={"device": "cpu"})))
    for key in EpochSampler(len(raw), seed=3, epoch=1):
        item = raw[key]
        assert item["A"].dtype == torch.uint8
        moved = model.to_device({k: item[k][None] for k in ("A", "B")})  # type: ignore[index]
        want = floats[key]
        assert torch.equal(moved["A"][0], want["A"]) and torch.equal(moved["B"][0], want["B"])  # type: ignore[arg-type]


# ---- resizing and cropping on the device (data.device_preprocess) -------------------------

def _raw_and_plain(root: Path, **cfg: object) -> tuple[datasets.GanDataset, datasets.GanDataset]:
    section = DataSection(**{"root": str(root), "load_size": 36, "crop_size": 32, **cfg})
    plain = build_dataset(section, input_nc=3, output_nc=3)
    raw = build_dataset(section, input_nc=3, output_nc=3)
    raw.raw_preprocess = True
    return raw, plain


@pytest.mark.parametrize("data", ["paired_data", "unpaired_data"])
def test_device_crops_and_flips_are_the_loaders_own_draws(request: pytest.FixtureRequest,
                                                           data: str) -> None:
    """Without a resize the two paths must agree exactly: same regions, same flips."""
    from nectar_gui.core.data.device_preprocess import collate_raw, preprocess_on

    raw, plain = _raw_and_plain(request.getfixturevalue(data), preprocess="crop",
                                crop_size=24)  # 24 px regions of the 32 px images
    keys = list(EpochSampler(len(raw), seed=5, epoch=2))
    batch = collate_raw([raw[k] for k in keys])
    moved = preprocess_on(batch, raw.cfg, torch.device("cpu"))
    for i, key in enumerate(keys):
        want = plain[key]
        assert torch.equal(moved["A"][i], want["A"]) and torch.equal(moved["B"][i], want["B"])  # type: ignore[arg-type]
    params = batch["transform"]
    assert 0 < float(params[:, 2].sum()) < len(keys)  # flipped and unflipped items
    assert len({(round(float(x) * 9), round(float(y) * 9)) for x, y, _ in params}) > 1


def test_device_resizing_is_within_a_grey_level_of_pillows(paired_data: Path) -> None:
    from nectar_gui.core.data.device_preprocess import collate_raw, preprocess_on

    raw, plain = _raw_and_plain(paired_data)  # resize_and_crop, 32 px to 36 px
    keys = list(EpochSampler(len(raw), seed=1, epoch=0))
    moved = preprocess_on(collate_raw([raw[k] for k in keys]), raw.cfg, torch.device("cpu"))
    want = torch.stack([plain[k]["A"] for k in keys])  # type: ignore[misc]
    difference = (moved["A"] - want).abs() * 127.5  # grey levels
    assert moved["A"].shape == want.shape and float(difference.mean()) < 1.5


def test_a_run_with_device_preprocessing_repeats_with_any_worker_count(
        paired_data: Path, tmp_path: Path, one_thread: None) -> None:
    from nectar_gui.core.training.reports import LogReport

    def run(name: str, workers: int) -> list[str]:
        config = tiny_config("pix2pix", paired_data, **{
            "data.device_preprocess": True, "data.num_workers": workers,
            "logging.max_steps": 8})
        reports = run_all(TrainingSession(config, SessionOptions(run_dir=tmp_path / name)))
        return [r.message for r in reports if isinstance(r, LogReport)]

    logs = run("w0", 0)
    run("w2", 2)
    assert "Resizing, cropping and flipping on the training device" in logs
    assert_same_weights(final_weights(tmp_path / "w0"), final_weights(tmp_path / "w2"))


def test_augmentation_keeps_preprocessing_in_the_loader(paired_data: Path, tmp_path: Path,
                                                        one_thread: None) -> None:
    from nectar_gui.core.training.reports import LogReport

    config = tiny_config("pix2pix", paired_data, **{
        "data.device_preprocess": True, "data.augment.vflip": True, "logging.max_steps": 2})
    reports = run_all(TrainingSession(config, SessionOptions(run_dir=tmp_path / "r")))
    assert any("augmentation runs on the cropped image" in r.message
               for r in reports if isinstance(r, LogReport))
