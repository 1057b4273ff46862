"""The cost of validation as a share of training time, on the demo datasets.

Usage::

    .venv/bin/python bench/validation.py                       # demo settings, both models
    .venv/bin/python bench/validation.py --models pix2pix --steps 400 --rounds 3
    .venv/bin/python bench/validation.py --quick               # smoke run, a few seconds

Each round trains the same demo run twice from scratch — once with validation
(``logging.val_images``, ``logging.validate_every_steps`` as given; the demo presets
validate with every checkpoint) and once with ``logging.val_images = 0`` — alternating
which goes first, so noise from other work on the machine hits both alike. Columns:
``without s`` / ``with s`` = median wall time from the first step to the end (set-up
excluded; an untimed warm-up run goes first), ``val s`` = median time inside
validations, ``val/train`` = that time over the run without validation, and
``with/without`` = the ratio of the two wall times (the overhead a user sees). The
networks end bit-identical either way (tests check that).

Tests never assert on the printed times.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch

from nectar_gui.core.data.demo import DemoKind, write_demo_dataset
from nectar_gui.core.presets import load_preset
from nectar_gui.core.training.control import TrainingControl
from nectar_gui.core.training.reports import ErrorReport, StartedReport, ValidationReport
from nectar_gui.core.training.session import SessionOptions, TrainingSession

_DATA: dict[str, DemoKind] = {"pix2pix": "paired", "cyclegan": "unpaired"}


def timed_run(model: str, data: Path, run_dir: Path, args: argparse.Namespace,
              validate: bool) -> tuple[float, float, int]:
    """(seconds from the first step to the end, seconds validating, validations)."""
    config = load_preset(f"demo-{model}").with_overrides({
        "data.root": str(data), "data.num_workers": 0, "runtime.threads": args.threads,
        "logging.max_steps": args.steps, "logging.checkpoint_every_steps": args.checkpoint_every,
        "logging.val_images": args.val_images if validate else 0,
        "logging.validate_every_steps": args.validate_every,
        "logging.save_sample_every_s": 3600.0,
    })
    started = 0.0
    val_seconds, count = 0.0, 0
    for report in TrainingSession(config, SessionOptions(run_dir=run_dir)).run(TrainingControl()):
        if isinstance(report, StartedReport):
            started = time.perf_counter()
        elif isinstance(report, ValidationReport):
            val_seconds += report.seconds
            count += 1
        elif isinstance(report, ErrorReport):
            raise SystemExit(f"{model}: {report.message}")
    return time.perf_counter() - started, val_seconds, count


def bench_model(model: str, work: Path, args: argparse.Namespace) -> str:
    data = write_demo_dataset(work / _DATA[model], _DATA[model], n_train=args.train_images,
                              n_test=args.val_images_in_data, size=args.size)
    warm = argparse.Namespace(**{**vars(args), "steps": 2, "checkpoint_every": 1})
    timed_run(model, data, work / f"{model}-warm-up", warm, True)  # first-run costs
    times: dict[bool, list[float]] = {True: [], False: []}
    val_times: list[float] = []
    count = 0
    for round_ in range(args.rounds):
        order = (True, False) if round_ % 2 == 0 else (False, True)
        for validate in order:
            run_dir = work / f"{model}-{round_}-{validate}"
            wall, val_s, n = timed_run(model, data, run_dir, args, validate)
            shutil.rmtree(run_dir, ignore_errors=True)
            times[validate].append(wall)
            if validate:
                val_times.append(val_s)
                count = n
    with_s, without_s = statistics.median(times[True]), statistics.median(times[False])
    val_s = statistics.median(val_times)
    return (f"{model:9s} {args.steps:6d} {count:5d} {without_s:9.2f} {with_s:9.2f} "
            f"{val_s:7.2f} {val_s / without_s:9.1%} {with_s / without_s:12.3f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="+", choices=tuple(_DATA), default=list(_DATA))
    p.add_argument("--steps", type=int, default=400, help="training steps per run")
    p.add_argument("--checkpoint-every", type=int, default=200, help="as the demo presets")
    p.add_argument("--validate-every", type=int, default=0, help="0: with every checkpoint")
    p.add_argument("--val-images", type=int, default=50, help="logging.val_images")
    p.add_argument("--val-images-in-data", type=int, default=20,
                   help="images in the demo's val/ (test/) split, as the app writes it")
    p.add_argument("--train-images", type=int, default=200)
    p.add_argument("--size", type=int, default=128, help="demo image size (as the app's)")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--threads", type=int, default=0, help="runtime.threads (0: all but one)")
    p.add_argument("--quick", action="store_true", help="tiny settings, for a smoke test")
    args = p.parse_args()
    if args.quick:
        args.steps, args.checkpoint_every, args.rounds = 8, 4, 1
        args.train_images, args.val_images_in_data, args.size = 4, 2, 32
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; demo {args.size} px, "
          f"{args.val_images_in_data} val images, checkpoint every {args.checkpoint_every}")
    print(f"{'model':9s} {'steps':>6s} {'vals':>5s} {'without s':>9s} {'with s':>9s} "
          f"{'val s':>7s} {'val/train':>9s} {'with/without':>12s}")
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            print(bench_model(model, Path(tmp), args), flush=True)


if __name__ == "__main__":
    main()
