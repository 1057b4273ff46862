"""Read a discriminator's patch map the way its objective means it.

A PatchGAN outputs one raw score per cell. What a score *says* depends on the
objective it was trained with: the vanilla objective reads it through a sigmoid as a
probability of "real", LSGAN pushes real patches towards 1 and fake ones towards 0, and
hinge wants real at +1 or above and fake at −1 or below. The inspector shows every map in
those terms, so this module turns raw maps into readings, gives the legend its ends and
labels, and ranks cells by how fake they look. numpy only: the UI imports it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nectar_gui.core.geometry import ReceptiveField


@dataclass(frozen=True)
class ScoreScale:
    """The legend of one objective: which reading means "real", which "fake".

    Attributes:
        gan_mode: "vanilla", "lsgan" or "hinge".
        real_value: Reading at the "looks real" end of the legend.
        fake_value: Reading at the "looks fake" end.
        quantity: What the number is, for the legend's title.
        explanation: One sentence on how the objective reads it.
    """

    gan_mode: str
    real_value: float
    fake_value: float
    quantity: str
    explanation: str

    @property
    def midpoint(self) -> float:
        """Reading halfway between the ends: above it a patch leans real."""
        return (self.real_value + self.fake_value) / 2

    def fakeness(self, readings: np.ndarray) -> np.ndarray:
        """Position on the legend, 0 = looks real … 1 = looks fake, clamped to the ends.

        Readings past an end (an LSGAN score of 1.4, say) take the end's colour; the
        readout still shows their true value.
        """
        span = self.fake_value - self.real_value
        position = (np.asarray(readings, dtype=np.float64) - self.real_value) / span
        return np.clip(np.nan_to_num(position, nan=0.5), 0.0, 1.0)

    def verdict(self, value: float) -> str:
        """'looks real', 'looks fake' or 'undecided' for one reading."""
        if not np.isfinite(value) or value == self.midpoint:
            return "undecided"
        return "looks real" if value > self.midpoint else "looks fake"

    def format(self, value: float) -> str:
        """A reading as the readout shows it: 2 decimals, hinge scores signed."""
        if not np.isfinite(value):
            return str(value)
        return f"{value:+.2f}" if self.gan_mode == "hinge" else f"{value:.2f}"


_SCALES = {
    "vanilla": ScoreScale("vanilla", 1.0, 0.0, "probability of real",
                          "Vanilla objective: sigmoid of D's score, 1 = sure it is real, "
                          "0 = sure it is fake."),
    "lsgan": ScoreScale("lsgan", 1.0, 0.0, "raw score",
                        "LSGAN objective: D is trained to give real patches 1 and fake "
                        "patches 0; values beyond either end take the end's colour."),
    "hinge": ScoreScale("hinge", 1.0, -1.0, "raw score",
                        "Hinge objective: D is trained to give real patches +1 or more and "
                        "fake patches −1 or less; values beyond take the end's colour."),
}


def score_scale(gan_mode: str) -> ScoreScale:
    """The legend for ``gan_mode``; ValueError names the known objectives."""
    try:
        return _SCALES[gan_mode]
    except KeyError:
        raise ValueError(f"Unknown GAN objective {gan_mode!r}; expected one of: "
                         f"{', '.join(_SCALES)}.") from None


def reading(patch_map: np.ndarray, gan_mode: str) -> np.ndarray:
    """D's own reading of a raw map: sigmoid for vanilla, the raw scores otherwise."""
    raw = np.asarray(patch_map, dtype=np.float64)
    score_scale(gan_mode)  # rejects unknown objectives
    if gan_mode != "vanilla":
        return raw
    # Written with exp of a non-positive number only, so large scores never overflow.
    e = np.exp(-np.abs(raw))
    return np.where(raw >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def most_fake(patch_map: np.ndarray, gan_mode: str, k: int) -> list[tuple[int, int]]:
    """The ``k`` cells D finds most fake, most fake first, as (row, column).

    Every objective's reading grows with the raw score, so cells are ranked by the raw
    map itself (sigmoid would merge nearly equal scores into one probability). Equal
    scores keep row-major order; NaN cells come last.
    """
    score_scale(gan_mode)
    raw = np.asarray(patch_map, dtype=np.float64)
    if raw.ndim != 2:
        raise ValueError(f"A patch map has shape (h, w); got {raw.shape}.")
    order = np.argsort(raw.ravel(), kind="stable")[:max(k, 0)]
    width = raw.shape[1]
    return [(int(index) // width, int(index) % width) for index in order]


def nearest_cells_along(rf: ReceptiveField, pixels: int, cells: int) -> np.ndarray:
    """For each pixel index 0 … pixels−1 on one axis, the cell whose field centre is nearest.

    The same rule as ``ReceptiveField.nearest_cell`` (halfway goes to the smaller index,
    clamped to the grid), computed for a whole axis at once in integer arithmetic so the
    heat map and the cell picked under the mouse always agree.
    """
    if cells < 1:
        raise ValueError(f"A grid needs at least one cell, got {cells}.")
    # Index = ceil((2p − (2·start + size − 1) − jump) / (2·jump)), clamped.
    numerator = 2 * np.arange(pixels, dtype=np.int64) - (2 * rf.start + rf.size - 1) - rf.jump
    index = -((-numerator) // (2 * rf.jump))
    return np.clip(index, 0, cells - 1)
