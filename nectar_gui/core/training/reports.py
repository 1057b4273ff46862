"""What a training run tells the outside world, one frozen dataclass per kind of news.

Reports cross threads (the trainer runs in a worker thread, the UI reads them) and
processes (the run directory), so they hold only Python scalars, strings and *owned*,
contiguous numpy arrays — never a tensor or a view of one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from nectar_gui.core.geometry import ReceptiveField


@dataclass(frozen=True)
class StartedReport:
    """The run is set up and about to take its first step (or resumes at ``step``)."""

    step: int
    epoch: int
    total_steps: int
    steps_per_epoch: int
    device: str
    resumed: bool
    run_dir: str | None


@dataclass(frozen=True)
class HistoryReport:
    """A resumed run's past: its metrics records (as in metrics.jsonl) and sample steps."""

    metrics: list[dict[str, Any]]
    sample_steps: list[int]
    run_dir: str


@dataclass(frozen=True)
class ProgressReport:
    """Where the run is; sent with every loss report."""

    step: int
    epoch: int
    total_steps: int
    steps_per_epoch: int
    it_per_s: float
    eta_s: float | None


@dataclass(frozen=True)
class LossReport:
    """Loss values averaged since the previous report, and the learning rates now.

    ``d_health`` holds the D-health signals averaged over the same steps (keys in
    ``core.training.d_health``: ``acc_real``, ``acc_fake``, ``score_real``, ``score_fake``,
    ``grad_norm_G``, ``grad_norm_D``; CycleGAN's per-D keys end in ``_A`` / ``_B``); empty
    when the run did not record them. ``core.diagnosis`` reads them into a state.
    """

    step: int
    epoch: int
    wall_time: float
    losses: dict[str, float]
    lrs: dict[str, float]
    d_health: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SampleReport:
    """One sample: images as the user sees them, D's patch maps and their geometry.

    ``images`` maps a name ("real_A", "fake_B", …) to a uint8 (H, W, C) array, C in {1, 3, 4}.
    ``patch_maps`` maps a name ("D_B(real_B)", …) to a float32 (h, w) array of raw
    discriminator outputs; ``patch_map_images`` names the image each map lies over.
    """

    step: int
    epoch: int
    images: dict[str, np.ndarray]
    patch_maps: dict[str, np.ndarray]
    patch_map_images: dict[str, str]
    receptive_field: ReceptiveField
    gan_mode: str


@dataclass(frozen=True)
class CheckpointReport:
    """A complete checkpoint was written."""

    step: int
    path: str


@dataclass(frozen=True)
class PausedReport:
    """The run is paused; ``reason`` is set when the run paused itself (e.g. NaN losses)."""

    step: int
    reason: str | None = None


@dataclass(frozen=True)
class ResumedReport:
    """The run continues after a pause."""

    step: int


@dataclass(frozen=True)
class FinishedReport:
    """The run ended normally: all steps done, or stopped on request."""

    step: int
    reason: Literal["completed", "stopped"]


@dataclass(frozen=True)
class ErrorReport:
    """The run failed. ``message`` is one plain line for the user; ``detail`` the traceback."""

    message: str
    detail: str = ""
    step: int | None = None


@dataclass(frozen=True)
class LogReport:
    """A line for the log panel and log.txt."""

    message: str
    level: Literal["info", "warning"] = "info"
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ValidationReport:
    """A validation point: mean metrics on the validation images (the line in val.jsonl).

    ``metrics`` holds ``l1``/``psnr``/``ssim`` (paired) or ``cycle_l1_a``/``cycle_l1_b``/
    ``d_score_a``/``d_score_b`` (unpaired); ``unavailable`` says why FID/KID are missing.
    ``best_step`` is the checkpoint BEST names after this validation (None: none yet),
    ranked by ``best_metric``; ``probe_step`` is set when probe translations were saved.
    """

    step: int
    epoch: int
    split: str
    images: int
    metrics: dict[str, float]
    unavailable: dict[str, str]
    seconds: float
    best_metric: str
    best_step: int | None
    is_best: bool
    probe_step: int | None = None


Report = (StartedReport | HistoryReport | ProgressReport | LossReport | SampleReport
          | CheckpointReport | PausedReport | ResumedReport | FinishedReport | ErrorReport
          | LogReport | ValidationReport)
