"""What an evaluation produces, and the ``val.jsonl`` line format. No torch.

The UI imports this module directly: results are frozen dataclasses of Python scalars,
strings and owned uint8 thumbnails, safe to pass across threads.

Metrics by kind of data (all images scaled to [0, 1]):

- paired (pix2pix): ``l1``, ``psnr`` (dB), ``ssim`` — G(A) against B.
- both, set-level, only with a local Inception weights file (``evaluation.fid``):
  ``fid`` and ``kid`` of the generated B images against the real B images, kept in
  ``StepEvaluation.mean`` beside the per-image means.
- unpaired (CycleGAN): ``cycle_l1_a`` (A → B → A against A), ``cycle_l1_b``
  (B → A → B against B), ``d_score_a`` / ``d_score_b`` (the mean patch score D_A / D_B
  gives the generated A / B images, read as the Inspector reads it: a probability of
  "real" for the vanilla objective, the raw score otherwise; higher = more convincing).
  ``cycle_l1`` is the mean of the two cycle terms; it ranks checkpoints by default.

A ``val.jsonl`` line is exactly::

    {"step": int, "epoch": int, "time": float, "split": str, "images": int,
     "seconds": float, "metrics": {name: float | null}, "unavailable": {name: str}}

``null`` stands for NaN or ±inf (not valid JSON); ``parse_validation_line`` turns it
back into NaN. ``unavailable`` says, in words, why a metric (FID, KID) was not computed.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

_logger = logging.getLogger(__name__)

DataKind = Literal["paired", "unpaired"]
PAIRED_METRICS: tuple[str, ...] = ("l1", "psnr", "ssim")
UNPAIRED_METRICS: tuple[str, ...] = ("cycle_l1_a", "cycle_l1_b", "d_score_a", "d_score_b")
#: Metrics where a larger value is better (the others: smaller is better).
HIGHER_IS_BETTER: frozenset[str] = frozenset({"psnr", "ssim", "d_score_a", "d_score_b"})
#: Each metric's name for people (unit included): one wording for every view and report.
METRIC_NAMES: dict[str, str] = {
    "psnr": "PSNR (dB)", "ssim": "SSIM", "l1": "L1 distance",
    "cycle_l1": "Cycle L1 (mean)", "cycle_l1_a": "Cycle L1 A→B→A",
    "cycle_l1_b": "Cycle L1 B→A→B", "d_score_a": "D_A's score of fake A",
    "d_score_b": "D_B's score of fake B", "fid": "FID", "kid": "KID",
}


def metric_name(metric: str) -> str:
    """A metric's name for people ("PSNR (dB)"); an unknown key as it is."""
    return METRIC_NAMES.get(metric, metric)


def better_direction(metric: str) -> str:
    """"higher is better" or "lower is better": what a user needs to read the number."""
    return "higher is better" if metric in HIGHER_IS_BETTER else "lower is better"


#: Set-level metrics (present only with a local Inception weights file).
SET_METRICS: tuple[str, ...] = ("fid", "kid")
#: Metrics a checkpoint can be ranked by, per kind; the first is the default.
RANKING_METRICS: dict[str, tuple[str, ...]] = {
    "paired": ("psnr", "ssim", "l1"),
    "unpaired": ("cycle_l1", "cycle_l1_a", "cycle_l1_b", "d_score_a", "d_score_b"),
}
FID_UNAVAILABLE = ("unavailable — it needs a local Inception weights file "
                   "(logging.inception_weights); nothing is downloaded")


def fid_unavailable(why: str = FID_UNAVAILABLE) -> dict[str, str]:
    """FID and KID both missing, for the same reason (said in words)."""
    return {"fid": why, "kid": why}


class EvaluationError(ValueError):
    """An evaluation cannot run (no checkpoint, no such split, foreign files); for users."""


class EvaluationCancelled(Exception):
    """Raised between images when the caller's ``cancel()`` returned True."""


def metric_names(kind: DataKind) -> tuple[str, ...]:
    """The per-image metrics of a kind of data, in display order."""
    return PAIRED_METRICS if kind == "paired" else UNPAIRED_METRICS


def ranking_value(metrics: dict[str, float], metric: str) -> float:
    """The value a checkpoint is ranked by (``cycle_l1`` is derived); NaN if missing."""
    if metric == "cycle_l1":
        return 0.5 * (metrics.get("cycle_l1_a", math.nan) + metrics.get("cycle_l1_b", math.nan))
    return float(metrics.get(metric, math.nan))


def is_better(metric: str, value: float, than: float | None) -> bool:
    """Whether ``value`` beats ``than`` on ``metric`` (NaN never wins; None always loses)."""
    if math.isnan(value):
        return False
    if than is None or math.isnan(than):
        return True
    return value > than if metric in HIGHER_IS_BETTER else value < than


def default_ranking_metric(kind: DataKind) -> str:
    """PSNR for paired data, the mean cycle L1 for unpaired data."""
    return RANKING_METRICS[kind][0]


@dataclass(frozen=True)
class ImageResult:
    """One evaluated image (an A/B pair, or an A and a B image for unpaired data).

    Attributes:
        name: the input's file stem (made unique within the evaluation); the name
            ``--save-images`` gives the output.
        metrics: per-image metric values (see the module docstring).
        a_path: the input image (domain A after the run's direction).
        b_path: the target (paired) or the B image evaluated with it (unpaired).
        thumbnails: small uint8 (h, w, C) images for a table: ``"A"``, ``"G(A)"``,
            ``"B"`` and, for unpaired data, ``"G(B)"``; empty when not asked for.
    """

    name: str
    metrics: dict[str, float]
    a_path: str
    b_path: str | None
    thumbnails: dict[str, np.ndarray] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        """``{"name": ..., <metric>: value | null, ...}`` as ``nectar eval --json`` prints."""
        return {"name": self.name, **{k: finite_or_none(v) for k, v in self.metrics.items()}}


@dataclass(frozen=True)
class StepEvaluation:
    """The evaluation of one checkpoint on one split.

    Attributes:
        step: the checkpoint's training step.
        split: the dataset split evaluated ("val", "test" or "train").
        kind: "paired" or "unpaired" (which metrics there are).
        images: one result per image, in the split's file order.
        mean: the mean of each metric over the images (NaN values left out).
        unavailable: metrics not computed, with the reason (FID/KID).
        seconds: how long it took.
    """

    step: int
    split: str
    kind: DataKind
    images: tuple[ImageResult, ...]
    mean: dict[str, float]
    unavailable: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The ``nectar eval --json`` document for this step."""
        return {"step": self.step, "split": self.split,
                "images": [r.to_json() for r in self.images],
                "mean": {k: finite_or_none(v) for k, v in self.mean.items()}}

    def worst_first(self, metric: str) -> list[ImageResult]:
        """Images sorted worst first by ``metric`` (NaN last)."""
        sign = -1.0 if metric in HIGHER_IS_BETTER else 1.0

        def key(r: ImageResult) -> tuple[bool, float]:
            value = r.metrics.get(metric, math.nan)
            return (math.isnan(value), -sign * value if not math.isnan(value) else 0.0)

        return sorted(self.images, key=key)


def mean_metrics(results: list[ImageResult] | tuple[ImageResult, ...],
                 names: tuple[str, ...]) -> dict[str, float]:
    """Mean of each metric over the results, ignoring NaN (NaN when none is finite).

    +inf (a PSNR of identical images) is kept out of the mean too, as NaN would be.
    """
    mean = {}
    for name in names:
        values = [r.metrics[name] for r in results
                  if name in r.metrics and math.isfinite(r.metrics[name])]
        mean[name] = float(np.mean(values)) if values else math.nan
    return mean


def finite_or_none(value: float) -> float | None:
    """JSON-safe: NaN and ±inf become None (null)."""
    value = float(value)
    return value if math.isfinite(value) else None


# ---- val.jsonl -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ValidationRecord:
    """One validation point as written to (and read back from) ``val.jsonl``."""

    step: int
    epoch: int
    time: float
    split: str
    images: int
    seconds: float
    metrics: dict[str, float]
    unavailable: dict[str, str] = field(default_factory=dict)

    def to_line(self) -> str:
        """The JSON line (with its newline) for ``val.jsonl``."""
        obj = {"step": self.step, "epoch": self.epoch, "time": finite_or_none(self.time),
               "split": self.split, "images": self.images,
               "seconds": finite_or_none(self.seconds),
               "metrics": {k: finite_or_none(v) for k, v in self.metrics.items()},
               "unavailable": dict(self.unavailable)}
        return json.dumps(obj, allow_nan=False) + "\n"


def parse_validation_line(line: bytes) -> ValidationRecord | None:
    """Parse one ``val.jsonl`` line, or return None (and log why) when it is not one."""
    try:
        obj = json.loads(line)
        metrics = {str(k): math.nan if v is None else float(v)
                   for k, v in obj.get("metrics", {}).items()}
        record = ValidationRecord(
            step=_int(obj["step"]), epoch=_int(obj.get("epoch", 0)),
            time=float(obj.get("time") or math.nan), split=str(obj.get("split", "")),
            images=_int(obj.get("images", 0)), seconds=float(obj.get("seconds") or 0.0),
            metrics=metrics, unavailable={str(k): str(v)
                                          for k, v in obj.get("unavailable", {}).items()})
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        _logger.warning("Skipping a damaged line in val.jsonl (%s): %.80r", exc, line)
        return None
    return record


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    return value
