"""``checkpoints/BEST``: which checkpoint is the best one. No torch.

The file's first line is the checkpoint folder's name (``00000400``), exactly like
``LATEST``, so anything that reads LATEST reads BEST the same way. A second, optional
line is a JSON object saying how it was chosen: ``{"metric": "psnr", "value": 23.4,
"by": "validation"}`` (``by``: "validation" during training, "eval" for ``nectar eval
--mark-best``, "user" for a hand-picked checkpoint). The file is replaced atomically
(written to a temporary name, flushed, renamed), and keep-K pruning never deletes the
folder it names (``core.checkpoints``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nectar_gui.core.evaluation.records import (
    RANKING_METRICS,
    SET_METRICS,
    EvaluationError,
    StepEvaluation,
    default_ranking_metric,
    is_better,
    ranking_value,
)
from nectar_gui.core.rundir import TMP_PREFIX, RunPaths, checkpoint_networks

BEST = "BEST"


@dataclass(frozen=True)
class BestMark:
    """What BEST says: the step, and (when recorded) the metric and value that chose it."""

    step: int
    metric: str | None = None
    value: float | None = None
    by: str | None = None

    def describe(self) -> str:
        """E.g. "best checkpoint (step 400, psnr 23.41)", for output lines."""
        how = f", {self.metric} {self.value:.4g}" if self.metric and self.value is not None else ""
        return f"best checkpoint (step {self.step}{how})"


def read_best(checkpoints_dir: Path) -> BestMark | None:
    """BEST's mark, or None when there is no BEST or it names no complete checkpoint."""
    try:
        lines = (Path(checkpoints_dir) / BEST).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    name = lines[0].strip() if lines else ""
    if not name.isdigit() or checkpoint_networks(Path(checkpoints_dir) / name) is None:
        return None
    how: dict[str, Any] = {}
    if len(lines) > 1:
        try:
            parsed = json.loads(lines[1])
            how = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            how = {}
    value = how.get("value")
    return BestMark(step=int(name), metric=_str_or_none(how.get("metric")),
                    value=float(value) if isinstance(value, int | float) else None,
                    by=_str_or_none(how.get("by")))


def best_name(checkpoints_dir: Path) -> str | None:
    """The folder name BEST holds (even if that folder is gone); for pruning."""
    try:
        text = (Path(checkpoints_dir) / BEST).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    name = text.splitlines()[0].strip() if text.strip() else ""
    return name if name.isdigit() else None


def write_best(checkpoints_dir: Path, step: int, *, metric: str | None = None,
               value: float | None = None, by: str = "user") -> Path:
    """Point BEST at checkpoint ``step`` atomically; returns the BEST file.

    Raises:
        ValueError: there is no complete checkpoint at ``step``.
    """
    checkpoints_dir = Path(checkpoints_dir)
    name = f"{step:08d}"
    if checkpoint_networks(checkpoints_dir / name) is None:
        raise ValueError(f"There is no complete checkpoint at step {step} in "
                         f"{checkpoints_dir}, so it cannot be marked as the best")
    how: dict[str, Any] = {"by": by}
    if metric is not None:
        how["metric"] = metric
    if value is not None and math.isfinite(value):
        how["value"] = value
    target = checkpoints_dir / BEST
    tmp = checkpoints_dir / f"{TMP_PREFIX}{BEST}-{os.getpid()}"
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(f"{name}\n{json.dumps(how)}\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def clear_best(checkpoints_dir: Path) -> None:
    """Remove BEST (e.g. when it names a checkpoint of an abandoned history)."""
    (Path(checkpoints_dir) / BEST).unlink(missing_ok=True)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def best_note(checkpoint: Path) -> str:
    """", the run's best checkpoint (psnr 23.4)" when BEST names this checkpoint folder.

    Translate, export and Ask D append it to what they say they loaded, so a user who
    did not choose a step sees which one was taken and why.
    """
    checkpoint = Path(checkpoint)
    mark = read_best(checkpoint.parent) if checkpoint.name.isdigit() else None
    if mark is None or mark.step != int(checkpoint.name):
        return ""
    how = f" ({mark.metric} {mark.value:.4g})" if mark.metric and mark.value is not None else ""
    return f", the run's best checkpoint{how}"


def best_of(evaluations: Sequence[StepEvaluation], metric: str | None = None
            ) -> tuple[StepEvaluation, str]:
    """The best evaluation by ``metric`` (default: PSNR paired, cycle L1 unpaired)."""
    if not evaluations:
        raise EvaluationError("No evaluated checkpoint to choose the best from")
    kind = evaluations[0].kind
    metric = metric or default_ranking_metric(kind)
    if metric in SET_METRICS and not all(metric in ev.mean for ev in evaluations):
        raise EvaluationError(f"Not every checkpoint has a {metric.upper()}: evaluate them "
                              f"all with the Inception weights file, or rank by another "
                              f"metric")
    if metric not in RANKING_METRICS[kind] + SET_METRICS:
        raise EvaluationError(f"Cannot rank {kind} evaluations by {metric!r}; choose one "
                              f"of: {', '.join(RANKING_METRICS[kind])}")
    best: StepEvaluation | None = None
    for ev in evaluations:
        if best is None or is_better(metric, ranking_value(ev.mean, metric),
                                     ranking_value(best.mean, metric)):
            best = ev
    assert best is not None
    return best, metric


def mark_best(run_dir: Path, evaluations: Sequence[StepEvaluation], metric: str | None = None,
              *, by: str = "eval") -> BestMark:
    """Write ``checkpoints/BEST`` for the best of ``evaluations``; returns what it says."""
    best, metric = best_of(evaluations, metric)
    value = ranking_value(best.mean, metric)
    write_best(RunPaths(Path(run_dir)).checkpoints, best.step, metric=metric, value=value, by=by)
    return BestMark(step=best.step, metric=metric, value=value, by=by)
