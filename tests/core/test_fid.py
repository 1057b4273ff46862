"""FID and KID: the formulas against independent computations, the weights file's checks,
and the numbers reaching ``nectar eval`` and ``val.jsonl`` when weights are given.

No real Inception weights can be downloaded here, so a randomly initialised torchvision
Inception-v3 saved like torchvision's file stands in: the values mean nothing, but every
step from file to number is the one real weights take.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch

from nectar_gui.core.evaluation.fid import (
    frechet_distance,
    inception_features,
    kernel_inception_distance,
    load_inception,
)
from nectar_gui.core.evaluation.records import EvaluationError
from nectar_gui.core.rundir import RunReader
from nectar_gui.core.training.session import SessionOptions, TrainingSession
from tests.core.test_cli import run_cli
from tests.core.test_training import run_all
from tests.tiny import tiny_config


def _features(seed: int, n: int = 40, d: int = 12, shift: float = 0.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(shift, 1.0, (n, d))


def test_fid_matches_the_formula_with_scipys_matrix_root() -> None:
    real, fake = _features(0), _features(1, shift=0.7)
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    diff = real.mean(0) - fake.mean(0)
    expected = diff @ diff + np.trace(s1 + s2 - 2 * covmean)
    assert frechet_distance(real, fake) == pytest.approx(expected, rel=1e-8)
    assert frechet_distance(real, real) == pytest.approx(0.0, abs=1e-8)
    assert np.isnan(frechet_distance(real[:1], fake))


def test_kid_matches_the_unbiased_mmd_written_out() -> None:
    real, fake = _features(2, n=9, d=5), _features(3, n=7, d=5, shift=0.4)

    def k(x: np.ndarray, y: np.ndarray) -> float:
        return float((x @ y / 5 + 1) ** 3)

    m, n = len(real), len(fake)
    xx = sum(k(real[i], real[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(fake[i], fake[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(real[i], fake[j]) for i in range(m) for j in range(n)) / (m * n)
    assert kernel_inception_distance(real, fake) == pytest.approx(xx + yy - 2 * xy, rel=1e-10)
    far = kernel_inception_distance(real, _features(4, n=7, d=5, shift=3.0))
    assert far > kernel_inception_distance(real, fake)


def test_the_weights_file_is_checked_before_use(inception_file: Path, tmp_path: Path,
                                                small_inputs: None) -> None:
    net = load_inception(inception_file, torch.device("cpu"))
    image = np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    features = inception_features(net, image, torch.device("cpu"))
    assert features.shape == (2048,) and np.isfinite(features).all()

    with pytest.raises(EvaluationError, match="does not exist"):
        load_inception(tmp_path / "missing.pth", torch.device("cpu"))
    other = tmp_path / "resnet.pth"
    torch.save({"conv1.weight": torch.zeros(8, 3, 7, 7)}, other)
    with pytest.raises(EvaluationError, match="not an Inception-v3 weights file"):
        load_inception(other, torch.device("cpu"))
    pickled = tmp_path / "pickled.pth"
    torch.save({"model": object()}, pickled)  # weights_only refuses arbitrary objects
    with pytest.raises(EvaluationError, match="cannot be read safely"):
        load_inception(pickled, torch.device("cpu"))


def _run(folder: Path, data: Path, **overrides: object) -> Path:
    """Two tiny pix2pix steps, validated on two val images."""
    run = folder / "run"
    config = tiny_config("pix2pix", data, **{"logging.max_steps": 2, "logging.val_images": 2,
                                             **overrides})
    run_all(TrainingSession(config, SessionOptions(run_dir=run)))
    return run


def test_validation_records_fid_and_kid_with_weights(
        tmp_path: Path, paired_data: Path, inception_file: Path, small_inputs: None) -> None:
    run = _run(tmp_path, paired_data, **{"logging.inception_weights": str(inception_file)})
    record = RunReader(run).all_validations()[-1]
    assert np.isfinite(record.metrics["fid"]) and np.isfinite(record.metrics["kid"])
    assert "fid" not in record.unavailable


def test_nectar_eval_adds_them_only_with_a_weights_file(
        paired_data: Path, inception_file: Path, capsys: pytest.CaptureFixture[str],
        tmp_path: Path, small_inputs: None) -> None:
    run = _run(tmp_path, paired_data)
    record = RunReader(run).all_validations()[-1]
    assert "fid" not in record.metrics and "nothing is downloaded" in record.unavailable["fid"]
    status, out, err = run_cli(capsys, "eval", run, "--json", "--limit", "2")
    assert status == 0 and "fid" not in json.loads(out)["mean"]
    assert "FID/KID: unavailable" in err and "nothing is downloaded" in err

    status, out, _ = run_cli(capsys, "eval", run, "--json", "--limit", "2",
                             "--inception-weights", str(inception_file))
    mean = json.loads(out)["mean"]
    assert status == 0 and mean["fid"] >= 0 and np.isfinite(mean["kid"])

    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    status, out, err = run_cli(capsys, "eval", run, "--json", "--limit", "2",
                               "--inception-weights", str(bad))
    assert status == 0 and "fid" not in json.loads(out)["mean"]  # the rest is measured
    assert "cannot be read safely" in err


def test_the_best_checkpoint_can_be_chosen_by_fid_only_when_all_have_it() -> None:
    from nectar_gui.core.evaluation.best import best_of
    from nectar_gui.core.evaluation.records import StepEvaluation

    def evaluation(step: int, **mean: float) -> StepEvaluation:
        return StepEvaluation(step=step, split="val", kind="paired", images=(),
                              mean={"psnr": 20.0, **mean})

    chosen, metric = best_of([evaluation(2, fid=40.0), evaluation(4, fid=31.5)], "fid")
    assert (chosen.step, metric) == (4, "fid")  # lower is better
    with pytest.raises(EvaluationError, match="Not every checkpoint has a FID"):
        best_of([evaluation(2, fid=40.0), evaluation(4)], "fid")
