"""``nectar eval``: measure a run's checkpoints on its val or test images (or a loose
generator file, such as a reference ``latest_net_G.pth``, on the paired images of --data).

With ``--json`` every evaluated step prints one JSON document on its own line::

    {"step": N, "split": "val", "images": [{"name": "...", "l1": .., "psnr": .., "ssim": ..},
     ...], "mean": {"l1": .., "psnr": .., "ssim": ..}}

(unpaired data: ``cycle_l1_a``, ``cycle_l1_b``, ``d_score_a``, ``d_score_b``; a value
that is not finite is ``null``). Everything else — progress, the BEST line — goes to
stderr then, so stdout stays machine-readable. torch is imported only once it runs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

from nectar_gui.cli.common import CliError
from nectar_gui.core.data.errors import ImageReadError
from nectar_gui.core.evaluation.records import (
    RANKING_METRICS,
    EvaluationError,
    StepEvaluation,
)

_DEVICES = ("auto", "cpu", "cuda", "mps")
_WORST_BY = {"paired": "psnr", "unpaired": "cycle_l1_a"}  # the per-image value to name
_METRIC_CHOICES = ("auto", *dict.fromkeys(m for ms in RANKING_METRICS.values() for m in ms))


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``eval``."""
    e = sub.add_parser("eval", help="measure checkpoints on the val or test images",
                       description="Evaluate a run's checkpoints: L1, PSNR and SSIM against "
                       "the targets (paired data), or cycle L1 and D's score (unpaired), "
                       "on each image at its own size.")
    e.add_argument("run", type=Path, metavar="RUN", help="the run folder, or a generator "
                   "file (a reference .pth, .safetensors or Nectar .onnx) with --data DIR "
                   "holding paired images")
    which = e.add_mutually_exclusive_group()
    which.add_argument("--step", type=int, help="the checkpoint step (default: the latest)")
    which.add_argument("--all", action="store_true", help="every checkpoint of the run")
    e.add_argument("--split", choices=("val", "test", "train"),
                   help="the dataset split (default: val, else test)")
    e.add_argument("--limit", type=int, metavar="K",
                   help="at most K images, evenly spaced over the split")
    e.add_argument("--save-images", type=Path, metavar="DIR", help="write each generated "
                   "image as DIR/<name>.png at the input's size (DIR/<step>/ with --all)")
    e.add_argument("--mark-best", nargs="?", const="auto", choices=_METRIC_CHOICES,
                   metavar="METRIC", help="point checkpoints/BEST at the best evaluated step "
                   "(default metric: psnr for paired data, cycle_l1 for unpaired); "
                   f"choices: {', '.join(_METRIC_CHOICES)}")
    e.add_argument("--json", action="store_true", help="one JSON document per step on stdout")
    e.add_argument("--data", type=Path, metavar="DIR",
                   help="the dataset folder, when it is not where the run was trained")
    e.add_argument("--device", choices=_DEVICES, default="auto",
                   help="auto picks CUDA, then Apple MPS, then the CPU")
    e.add_argument("--inception-weights", metavar="FILE",
                   help="a local Inception-v3 weights file (torchvision's); adds FID and KID "
                        "(default: the run's logging.inception_weights; nothing is downloaded)")
    e.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate the chosen checkpoints; returns the exit status."""
    from nectar_gui.core.evaluation.best import mark_best
    from nectar_gui.core.evaluation.evaluate import checkpoint_steps

    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be at least 1")
    if args.run.is_file():
        return _eval_file(args)
    steps = _steps(args, checkpoint_steps(args.run))
    split = args.split or _default_split(args)
    info = sys.stderr if args.json else sys.stdout
    results = []
    for step in steps:
        result = _evaluate(args, step, split, save_dir=_save_dir(args, step, len(steps)))
        _check_metric(args.mark_best, result)
        results.append(result)
        _print_result(args, result, f"step {step}")
    if results and results[0].unavailable.get("fid"):
        print(f"FID/KID: {results[0].unavailable['fid']}", file=info, flush=True)
    if args.mark_best is not None:
        metric = None if args.mark_best == "auto" else args.mark_best
        mark = mark_best(args.run, results, metric)
        print(f"Marked step {mark.step} as the best checkpoint by {mark.metric} "
              f"({mark.value:.4g}); translate, export and Ask D now use it by default",
              file=info, flush=True)
    return 0


def _eval_file(args: argparse.Namespace) -> int:
    """A loose generator file: one evaluation on the paired images of ``--data``."""
    if args.data is None:
        raise CliError(f"{args.run.name} is a generator file, which does not say where its "
                       f"dataset is: pass the folder of paired images with --data DIR")
    for flag, given in (("--all", args.all), ("--step", args.step is not None),
                        ("--mark-best", args.mark_best is not None)):
        if given:
            raise CliError(f"{flag} needs a run folder; {args.run.name} is one generator "
                           f"file")
    split = args.split or _split_in(args.data)
    result = _evaluate(args, 0, split, save_dir=args.save_images)
    _print_result(args, result, args.run.name)
    return 0


def _print_result(args: argparse.Namespace, result: StepEvaluation, what: str) -> None:
    """One JSON document (--json), else the summary line naming ``what`` was measured."""
    if args.json:
        print(json.dumps(result.to_json(), allow_nan=False), flush=True)
    else:
        print(_summary(result, what), flush=True)


def _check_metric(metric: str | None, result: StepEvaluation) -> None:
    """Refuse a --mark-best metric the data has not got, before evaluating further steps."""
    if metric not in (None, "auto") and metric not in RANKING_METRICS[result.kind]:
        raise CliError(f"--mark-best {metric}: {result.kind} data is ranked by one of "
                       f"{', '.join(RANKING_METRICS[result.kind])}")


def _steps(args: argparse.Namespace, available: list[int]) -> list[int]:
    if args.all:
        return available
    if args.step is None:
        return [available[-1]]
    if args.step not in available:
        raise CliError(f"The run {args.run.name} has no checkpoint at step {args.step} "
                       f"(checkpoints: {', '.join(map(str, available))})")
    return [args.step]


def _default_split(args: argparse.Namespace) -> str:
    """val when the dataset has it, else test (the demo's unpaired data has no val/)."""
    from nectar_gui.core.config import ConfigError, load_config

    try:
        config = load_config(args.run / "config.json")
    except ConfigError as exc:
        raise CliError(f"The run's config cannot be read: {exc}") from None
    return _split_in(args.data or config.data.root or "")


def _split_in(root: str | Path) -> str:
    """val when the dataset at ``root`` has it, else test when it has that, else val."""
    from nectar_gui.core.data.layouts import split_names

    found = split_names(root)
    return "test" if "val" not in found and "test" in found else "val"


def _save_dir(args: argparse.Namespace, step: int, count: int) -> Path | None:
    if args.save_images is None:
        return None
    return args.save_images / f"{step:08d}" if count > 1 else args.save_images


def _evaluate(args: argparse.Namespace, step: int, split: str, save_dir: Path | None
              ) -> StepEvaluation:
    from nectar_gui.core.evaluation.evaluate import (
        evaluate_checkpoint,
        evaluate_generator_file,
    )

    is_file = args.run.is_file()
    progress = (_progress(args.run.name if is_file else f"step {step}")
                if sys.stderr.isatty() else None)
    try:
        common = {"device": args.device, "progress": progress, "thumb_size": 0,
                  "save_dir": save_dir, "inception_weights": args.inception_weights}
        if is_file:
            return evaluate_generator_file(args.run, args.data, split, args.limit, **common)
        return evaluate_checkpoint(args.run, step, split, args.limit, data_root=args.data,
                                   **common)
    except ImageReadError as exc:
        raise CliError(f"{exc} — fix or remove the file, or leave it out with --limit") from None
    except EvaluationError as exc:
        raise CliError(str(exc)) from None


def _progress(prefix: str) -> Callable[[int, int], None]:
    """A self-overwriting "step 400: image 3/50" line on a terminal."""
    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\r{prefix}: image {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


def _summary(result: StepEvaluation, what: str) -> str:
    """"step 400, 50 val images: l1 0.121  psnr 21.3  ssim 0.612; worst: 0042 (psnr 15.2)"
    (``what``: "step 400", or the generator file's name)."""
    means = "  ".join(f"{k} {_fmt(v)}" for k, v in result.mean.items())
    metric = _WORST_BY[result.kind]
    worst = result.worst_first(metric)[0] if result.images else None
    shown = f"; worst: {worst.name} ({metric} {_fmt(worst.metrics[metric])})" if worst else ""
    return f"{what}, {len(result.images)} {result.split} images: {means}{shown}"


def _fmt(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "n/a"
