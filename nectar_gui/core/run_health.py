"""The diagnosis of a run folder: its metrics, and its probe translations when it has them.

``diagnose_run`` is what ``nectar health RUN`` prints and what the app can show for an
opened run. Probe statistics come from the newest validation's probe translations
(``core.evaluation.probes``); a run without probes is judged on its metrics alone, so
the G collapse and G copying states cannot appear for it. No torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

import numpy as np
from PIL import Image

from nectar_gui.core.diagnosis import Diagnosis, MetricPoint, ProbeStats, diagnose
from nectar_gui.core.rundir import RunReader

#: Images are compared at this size: enough to see whether two translations differ,
#: small enough that sizes and aspect ratios of the probes do not matter.
_COMPARE_SIZE = 64


def probe_stats(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray], *,
                copying: bool) -> ProbeStats | None:
    """Diversity of uint8 (H, W, C) probe inputs and of their translations (same order).

    Distances are mean absolute differences on a 0 … 1 scale, in RGB at a common size.
    ``copying``: also measure each translation against its own input (meaningful where
    input and output are the same kind of picture, as in CycleGAN). None for fewer than
    two probes: one image has no spread to compare.
    """
    if len(inputs) < 2 or len(inputs) != len(outputs):
        return None
    a = [_comparable(x) for x in inputs]
    b = [_comparable(x) for x in outputs]
    distance = float(np.mean([np.abs(x - y).mean() for x, y in zip(a, b, strict=True)]))
    return ProbeStats(input_diversity=_spread(a), output_diversity=_spread(b),
                      output_input_distance=distance if copying else None)


def run_probe_stats(root: Path, kind: str) -> ProbeStats | None:
    """Probe statistics of the run's newest probe translations (A → B), if it has any."""
    from nectar_gui.core.evaluation import probes  # optional part of a run folder

    steps = probes.probe_steps(root)
    if not steps:
        return None
    try:
        inputs = [p["A"] for p in probes.load_probe_inputs(root)]
        outputs = [p["AtoB"] for p in probes.load_probe_outputs(root, steps[-1])]
    except (OSError, KeyError, ValueError):
        return None  # a damaged or half-written probe folder: judge the metrics alone
    return probe_stats(inputs, outputs, copying=kind == "cyclegan")


def diagnose_run(root: Path) -> Diagnosis:
    """The current diagnosis of the run in ``root`` (finished or still being written)."""
    reader = RunReader(Path(root))
    kind = str(reader.config().get("model", {}).get("kind", ""))
    points = [MetricPoint.from_record(r) for r in reader.all_metrics()]
    return diagnose(points, run_probe_stats(Path(root), kind))


def _comparable(image: np.ndarray) -> np.ndarray:
    """An image as float RGB in 0 … 1 at the common comparison size."""
    arr = np.asarray(image, dtype=np.uint8)
    pil = Image.fromarray(arr[:, :, 0] if arr.ndim == 3 and arr.shape[2] == 1 else arr)
    small = pil.convert("RGB").resize((_COMPARE_SIZE, _COMPARE_SIZE), Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.float32) / 255.0


def _spread(images: Sequence[np.ndarray]) -> float:
    """Mean pairwise mean-absolute difference of a set of comparable images."""
    return float(np.mean([np.abs(x - y).mean() for x, y in combinations(images, 2)]))
