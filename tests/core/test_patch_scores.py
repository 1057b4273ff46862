"""Patch scores read in each objective's terms, ranked, and placed on the pixel grid."""

from __future__ import annotations

import numpy as np
import pytest

from nectar_gui.core.geometry import ReceptiveField
from nectar_gui.core.patch_scores import (
    most_fake,
    nearest_cells_along,
    reading,
    score_scale,
)
from tests.fields import patchgan_field


def test_vanilla_reads_probabilities_without_overflow() -> None:
    raw = np.array([[-1000.0, -2.0, 0.0], [2.0, 1000.0, np.log(3.0)]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise"):
        p = reading(raw, "vanilla")
    expected = [[0.0, 1 / (1 + np.exp(2.0)), 0.5], [1 / (1 + np.exp(-2.0)), 1.0, 0.75]]
    np.testing.assert_allclose(p, expected, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("mode", ["lsgan", "hinge"])
def test_lsgan_and_hinge_read_raw_scores(mode: str) -> None:
    raw = np.array([[-1.5, 0.25], [1.75, 3.0]], dtype=np.float32)
    np.testing.assert_array_equal(reading(raw, mode), raw)


def test_unknown_objective_is_named() -> None:
    with pytest.raises(ValueError, match=r"wgan.*lsgan"):
        reading(np.zeros((2, 2)), "wgan")
    with pytest.raises(ValueError, match="wgan"):
        most_fake(np.zeros((2, 2)), "wgan", 1)


@pytest.mark.parametrize(("mode", "real", "fake", "labels"), [
    ("vanilla", 1.0, 0.0, ("1.00", "0.50", "0.00")),
    ("lsgan", 1.0, 0.0, ("1.00", "0.50", "0.00")),
    ("hinge", 1.0, -1.0, ("+1.00", "+0.00", "-1.00")),
])
def test_scales_have_the_objectives_ends(mode: str, real: float, fake: float,
                                         labels: tuple[str, str, str]) -> None:
    scale = score_scale(mode)
    assert (scale.real_value, scale.fake_value) == (real, fake)
    assert (scale.format(real), scale.format(scale.midpoint), scale.format(fake)) == labels
    assert scale.verdict(real) == "looks real" and scale.verdict(fake) == "looks fake"
    assert scale.verdict(scale.midpoint) == "undecided"
    assert scale.verdict(float("nan")) == "undecided"


def test_fakeness_clamps_values_beyond_the_ends() -> None:
    lsgan = score_scale("lsgan")
    np.testing.assert_allclose(lsgan.fakeness(np.array([1.7, 1.0, 0.25, 0.0, -0.4, np.nan])),
                               [0.0, 0.0, 0.75, 1.0, 1.0, 0.5])
    hinge = score_scale("hinge")
    np.testing.assert_allclose(hinge.fakeness(np.array([3.0, 0.0, -1.0])), [0.0, 0.5, 1.0])


def test_most_fake_orders_by_score_then_row_major() -> None:
    raw = np.array([[0.5, -1.0, 0.5],
                    [-1.0, 2.0, np.nan],
                    [0.1, -1.0, 0.5]], dtype=np.float32)
    order = most_fake(raw, "lsgan", 9)
    assert order == [(0, 1), (1, 0), (2, 1), (2, 0), (0, 0), (0, 2), (2, 2), (1, 1), (1, 2)]
    assert most_fake(raw, "vanilla", 2) == order[:2]
    assert most_fake(raw, "hinge", 0) == []
    assert most_fake(raw, "hinge", 50) == order


def test_most_fake_keeps_huge_scores_apart_that_sigmoid_would_merge() -> None:
    raw = np.array([[-40.0, -30.0]], dtype=np.float32)  # both read as probability 0.0
    assert most_fake(raw, "vanilla", 2) == [(0, 0), (0, 1)]
    assert most_fake(raw[:, ::-1], "vanilla", 2) == [(0, 1), (0, 0)]


@pytest.mark.parametrize("n_layers", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("pixels", [64, 100, 256])
def test_nearest_cells_along_agrees_with_nearest_cell(n_layers: int, pixels: int) -> None:
    rf = patchgan_field(n_layers)
    cells = max(rf.output_size(pixels), 1)
    expected = [rf.nearest_cell(p, 0, cells, 1)[0] for p in range(pixels)]
    assert nearest_cells_along(rf, pixels, cells).tolist() == expected


def test_nearest_cells_along_breaks_ties_towards_the_smaller_index() -> None:
    rf = ReceptiveField.from_layers([(3, 2, 1)])  # centres at 0, 2, 4 …: pixel 1 is halfway
    assert nearest_cells_along(rf, 8, 4).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    with pytest.raises(ValueError):
        nearest_cells_along(rf, 8, 0)
