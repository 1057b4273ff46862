"""How a GAN run is going, in plain words: a state, the evidence behind it, what to try.

Reads the metrics a run logs (losses and the D-health signals of
``core.training.d_health``) and, when available, statistics of its probe translations.
Checked in order, the first that applies wins: diverging, G collapse, G copying its
input, D overpowering, D blind; otherwise healthy (or too early / no signals to tell).
Thresholds are named constants below, each with the reason for its value. No torch: the
UI, the CLI (``nectar health``, ``nectar train``) and tests use it alike.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

State = Literal["too_early", "no_signals", "healthy", "d_overpowering", "d_blind",
                "g_collapse", "g_copying", "diverging"]

#: D and G start from random weights and D learns far faster than G at first; the balance
#: of the first steps says nothing about the run.
WARMUP_STEPS = 200
#: The trailing stretch the D states are judged on: long enough that a few odd batches
#: cannot trigger a state, short enough to notice within minutes.
STRETCH_STEPS = 200
#: Fewest logged points in that stretch for a verdict (a run logging rarely waits).
MIN_STRETCH_POINTS = 5
#: How far back ``diagnose`` looks; callers keeping a rolling history may drop older points.
HISTORY_STEPS = 2 * STRETCH_STEPS
#: ``HealthTracker`` re-diagnoses at most once per this many steps (a diagnosis of a full
#: history takes a few ms; states last hundreds of steps), except on a non-finite loss.
RECHECK_STEPS = 10
#: D calls at least this share of generated patches fake: G gets almost nothing past it.
OVERPOWER_ACC_FAKE = 0.95
#: G's adversarial loss "is not coming down" when its mean over the stretch is at least
#: this fraction of its mean over the stretch before (5 % allows for batch noise).
NOT_FALLING = 0.95
#: An undecided D is normal early on; still undecided after this many steps it has
#: stopped learning (or G has won outright).
BLIND_AFTER_STEPS = 1000
#: D's accuracy over real and generated patches within 0.5 ± this is a coin flip; a D in
#: a healthy tug-of-war is typically right on 60–80 % of patches.
BLIND_BAND = 0.05
#: Probe outputs this many times more alike than their inputs (0.25: four times) means G
#: ignores its input; normal translations keep most of the inputs' variety.
COLLAPSE_RATIO = 0.25
#: Mean |G(x) − x| under 2 % of the value range: an output one cannot tell from its input.
COPY_DISTANCE = 0.02
#: A loss this many times its recent median has blown up: the tug-of-war swings losses
#: by a few times, never by two orders of magnitude …
EXPLODE_FACTOR = 100.0
#: … and to count it must also exceed this, so that a near-zero loss (D loss of a
#: winning D, an identity loss) growing back to a normal size is not called an explosion.
EXPLODE_FLOOR = 10.0

#: G's adversarial loss facing each D: pix2pix's D, CycleGAN's D_A (fooled by G_B) and D_B.
ADVERSARIAL_LOSS = {"": "G_GAN", "_A": "G_B", "_B": "G_A"}


class HealthPoint(Protocol):
    """Anything with a step, losses and D-health values (a MetricPoint, a LossReport)."""

    @property
    def step(self) -> int: ...
    @property
    def losses(self) -> Mapping[str, float]: ...
    @property
    def d_health(self) -> Mapping[str, float]: ...


@dataclass(frozen=True)
class MetricPoint:
    """One logged point of a run: its step, losses and D-health signals."""

    step: int
    losses: Mapping[str, float]
    d_health: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> MetricPoint:
        """From a metrics.jsonl record as ``RunReader`` returns it (nulls already NaN)."""
        return cls(step=int(record["step"]), losses=dict(record.get("losses") or {}),
                   d_health=dict(record.get("d_health") or {}))


@dataclass(frozen=True)
class ProbeStats:
    """How alike the probe images are before and after G (``core.run_health`` makes them).

    Attributes:
        input_diversity: mean pairwise distance between the probe inputs (0 … 1).
        output_diversity: the same between their translations.
        output_input_distance: mean distance from each translation to its own input, or
            None where G is meant to change the image's kind (pix2pix labels → photos).
    """

    input_diversity: float
    output_diversity: float
    output_input_distance: float | None = None


@dataclass(frozen=True)
class Diagnosis:
    """The verdict: a state, a title, the evidence in one line, and what to try."""

    state: State
    title: str
    evidence: str
    suggestions: tuple[str, ...] = ()
    step: int | None = None


def diagnose(points: Sequence[HealthPoint], probes: ProbeStats | None = None) -> Diagnosis:
    """The run's state from its logged points, oldest first (and its probes, if any).

    Only the last ``HISTORY_STEPS`` steps are read, so a caller may keep just those.
    """
    if not points:
        return _verdict("too_early", "Nothing logged yet.", None)
    last = points[-1].step
    history = [p for p in points if p.step >= last - HISTORY_STEPS]
    found = _diverging(history) or _probe_state(probes, last)
    if found is not None:
        return found
    if last < WARMUP_STEPS + STRETCH_STEPS:
        return _verdict("too_early", f"Step {last:,}: the balance between D and G means "
                        f"little before step {WARMUP_STEPS + STRETCH_STEPS:,}.", last)
    stretch = [p for p in history if p.step >= last - STRETCH_STEPS]
    if len(stretch) < MIN_STRETCH_POINTS:
        return _verdict("too_early", f"Only {len(stretch)} points logged in the last "
                        f"{STRETCH_STEPS} steps; waiting for more.", last)
    return _d_state(history, stretch)


# ---- the checks ------------------------------------------------------------------------------
def _diverging(history: Sequence[HealthPoint]) -> Diagnosis | None:
    latest = history[-1]
    bad = sorted(k for k, v in latest.losses.items() if not math.isfinite(v))
    if bad:
        return _verdict("diverging", f"{', '.join(bad)} became NaN or infinite at step "
                        f"{latest.step:,}.", latest.step)
    for name, value in latest.losses.items():
        before = [p.losses[name] for p in history[:-1]
                  if name in p.losses and math.isfinite(p.losses[name])]
        if len(before) < MIN_STRETCH_POINTS:
            continue
        median = statistics.median(before)
        if value > max(EXPLODE_FACTOR * abs(median), EXPLODE_FLOOR):
            return _verdict("diverging", f"{name} jumped to {value:.3g} at step "
                            f"{latest.step:,}, {value / max(abs(median), 1e-12):,.0f}× its "
                            f"recent median of {median:.3g}.", latest.step)
    return None


def _probe_state(probes: ProbeStats | None, step: int) -> Diagnosis | None:
    if probes is None:
        return None
    if probes.output_diversity < COLLAPSE_RATIO * probes.input_diversity:
        times = probes.input_diversity / max(probes.output_diversity, 1e-12)
        return _verdict("g_collapse", f"The probe translations are {times:.0f}× more alike "
                        f"than their inputs (spread {probes.output_diversity:.3f} against "
                        f"{probes.input_diversity:.3f}).", step)
    distance = probes.output_input_distance
    if distance is not None and distance < COPY_DISTANCE:
        return _verdict("g_copying", f"The probe translations differ from their inputs by "
                        f"{100 * distance:.1f} % of the value range on average.", step)
    return None


def _d_state(history: Sequence[HealthPoint], stretch: Sequence[HealthPoint]) -> Diagnosis:
    """D overpowering or blind, judged per discriminator over the stretch; else healthy."""
    last = stretch[-1].step
    before = [p for p in history if p.step < stretch[0].step]
    summaries = [s for s in (_summary(before, stretch, sfx) for sfx in ("", "_A", "_B"))
                 if s is not None]
    if not summaries:
        return _verdict("no_signals", "This run's metrics hold no D accuracies (it was "
                        "written by an older version); only the losses were checked, and "
                        "none blew up.", last)
    for s in summaries:
        if s.acc_fake >= OVERPOWER_ACC_FAKE and s.g_loss_not_falling:
            return _verdict("d_overpowering", f"{s.name} called {100 * s.acc_fake:.0f} % of "
                            f"generated patches fake over the last {STRETCH_STEPS} steps, "
                            f"and {s.g_loss_trend}.", last)
    for s in summaries:
        if last >= BLIND_AFTER_STEPS and abs(s.balanced - 0.5) <= BLIND_BAND:
            return _verdict("d_blind", f"{s.name} was right on {100 * s.balanced:.0f} % of "
                            f"patches over the last {STRETCH_STEPS} steps (real "
                            f"{100 * s.acc_real:.0f} %, generated {100 * s.acc_fake:.0f} %), "
                            f"at step {last:,}.", last)
    parts = [f"{s.name} right on {100 * s.acc_real:.0f} % of real and "
             f"{100 * s.acc_fake:.0f} % of generated patches" for s in summaries]
    return _verdict("healthy", "; ".join(parts) + f" over the last {STRETCH_STEPS} steps.",
                    last)


@dataclass(frozen=True)
class _Summary:
    """One D's means over the stretch, and its opponent's adversarial loss trend."""

    name: str
    acc_real: float
    acc_fake: float
    g_early: float
    g_late: float
    g_name: str

    @property
    def balanced(self) -> float:
        return (self.acc_real + self.acc_fake) / 2

    @property
    def g_loss_not_falling(self) -> bool:
        return math.isfinite(self.g_late) and self.g_late >= NOT_FALLING * self.g_early

    @property
    def g_loss_trend(self) -> str:
        if self.g_late > self.g_early:
            return (f"G's adversarial loss ({self.g_name}) rose from {self.g_early:.3g} to "
                    f"{self.g_late:.3g}")
        return f"G's adversarial loss ({self.g_name}) stayed near {self.g_late:.3g}"


def _summary(before: Sequence[HealthPoint], stretch: Sequence[HealthPoint],
             suffix: str) -> _Summary | None:
    """One D's means over the stretch; G's loss compared with the stretch before it
    (or, when too little was logged before, the stretch's first half with its second)."""
    keys = (f"acc_real{suffix}", f"acc_fake{suffix}")
    rows = [p for p in stretch if all(k in p.d_health for k in keys)]
    if len(rows) < MIN_STRETCH_POINTS:
        return None
    g_name = ADVERSARIAL_LOSS[suffix]
    g_late = [p.losses.get(g_name, math.nan) for p in rows]
    g_early = [p.losses.get(g_name, math.nan) for p in before]
    if len(g_early) < MIN_STRETCH_POINTS:
        g_early, g_late = g_late[:len(g_late) // 2], g_late[len(g_late) // 2:]
    return _Summary(name="D" + (f"_{suffix[1:]}" if suffix else ""),
                    acc_real=_mean(p.d_health[keys[0]] for p in rows),
                    acc_fake=_mean(p.d_health[keys[1]] for p in rows),
                    g_early=_mean(g_early), g_late=_mean(g_late), g_name=g_name)


def _mean(values: Iterable[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


# ---- wording ---------------------------------------------------------------------------------
_TITLES: dict[State, str] = {
    "too_early": "Too early to tell",
    "no_signals": "No D-health signals",
    "healthy": "Healthy tug-of-war",
    "d_overpowering": "D is overpowering G",
    "d_blind": "D cannot tell real from generated",
    "g_collapse": "G makes nearly the same image for every input",
    "g_copying": "G copies its input",
    "diverging": "Training is diverging",
}

_SUGGESTIONS: dict[State, tuple[str, ...]] = {
    "healthy": ("Nothing to change: D and G keep each other busy. Judge quality by the "
                "samples and the validation numbers.",),
    "d_overpowering": (
        "Slow D down: set optim.d_lr_factor below 1 (D's learning rate relative to G's).",
        "Make D smaller: fewer PatchGAN layers (model.d_layers) or filters (model.ndf).",
        "With the vanilla objective, try lsgan (loss.gan_mode): G still gets a useful "
        "signal when D is sure.",
    ),
    "d_blind": (
        "Look at the samples first: if they already look right, G may simply be winning.",
        "Otherwise give D more room: a higher optim.d_lr_factor, more filters (model.ndf) "
        "or layers (model.d_layers).",
        "Check the real images: blank, tiny or mismatched pictures leave D nothing to learn.",
    ),
    "g_collapse": (
        "Resume from a checkpoint taken before the translations started to look alike.",
        "Lower the learning rates (optim.lr) or D's head start (optim.d_lr_factor).",
        "CycleGAN: keep the image pool on (loss.pool_size); pix2pix: try dropout in G "
        "(model.dropout).",
    ),
    "g_copying": (
        "Lower the identity weight (loss.lambda_identity): it rewards leaving images as "
        "they are.",
        "Lower the cycle weights (loss.lambda_cycle_a / _b): changing nothing is the "
        "easiest way to get the input back.",
        "Early in a run this often passes on its own; give it a few more epochs.",
    ),
    "diverging": (
        "Resume from the last checkpoint with a lower learning rate (optim.lr).",
        "With fp16, try bf16-mixed or fp32 (runtime.precision).",
        "Check the dataset for broken or extreme images.",
    ),
}


def _verdict(state: State, evidence: str, step: int | None) -> Diagnosis:
    return Diagnosis(state=state, title=_TITLES[state], evidence=evidence,
                     suggestions=_SUGGESTIONS.get(state, ()), step=step)



class HealthTracker:
    """A rolling diagnosis for a live run: keeps only the points ``diagnose`` reads.

    ``add`` returns the new diagnosis when its state changed, else None, so a front end
    can announce changes without repeating itself. ``current`` is the latest verdict,
    refreshed every ``RECHECK_STEPS`` steps and at once when a loss stops being finite.
    """

    def __init__(self) -> None:
        self._points: deque[HealthPoint] = deque()
        self.current: Diagnosis | None = None
        self._checked_at: int | None = None

    def add(self, point: HealthPoint) -> Diagnosis | None:
        """Add the next logged point (a LossReport will do); the diagnosis if it changed."""
        if self._points and point.step < self._points[-1].step:
            self._points.clear()  # a resumed run restarts its history
            self._checked_at = None
        self._points.append(point)
        while self._points[0].step < point.step - HISTORY_STEPS:
            self._points.popleft()
        due = self._checked_at is None or point.step - self._checked_at >= RECHECK_STEPS
        if not (due or any(not math.isfinite(v) for v in point.losses.values())):
            return None
        self._checked_at = point.step
        found = diagnose(list(self._points))
        changed = self.current is None or found.state != self.current.state
        self.current = found
        return found if changed else None
