"""``nectar demo-data`` (datasets written by the app itself) and ``nectar prepare`` (a
dataset in one of our layouts made from two folders of images)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from nectar_gui.cli.common import CliError


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``demo-data``."""
    g = sub.add_parser("demo-data", help="write the built-in procedural demo dataset")
    g.add_argument("dir", type=Path, help="folder to create")
    g.add_argument("--kind", choices=("paired", "unpaired"), default="paired",
                   help="paired: façade labels → photos (pix2pix); unpaired: two styles "
                   "(CycleGAN)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--count", type=int, default=200, help="training images (per domain)")
    g.set_defaults(func=cmd_demo_data)

    p = sub.add_parser("prepare", help="make a dataset folder from two folders of images",
                       description="Pair the images of two folders by file name (or take "
                       "them as unrelated sets), split them into train/val/test, resize "
                       "them, and write a new dataset folder in one of the layouts "
                       "`nectar train` reads. The originals are never touched.")
    p.add_argument("--a", type=Path, required=True, metavar="DIR", help="the A images")
    p.add_argument("--b", type=Path, required=True, metavar="DIR", help="the B images")
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="the dataset folder to create (new or empty)")
    layout = p.add_mutually_exclusive_group()
    for name, text in (("aligned", "A|B side by side in train/, val/, test/ (the default; "
                        "pix2pix)"),
                       ("paired", "A/ and B/ inside train/, val/, test/ (pix2pix)"),
                       ("unaligned", "trainA/, trainB/ … with no pairing (CycleGAN)")):
        layout.add_argument(f"--{name}", dest="layout", action="store_const", const=name,
                            help=text)
    p.add_argument("--val", type=float, default=0.0, metavar="PERCENT",
                   help="share of the items for val/ (default 0)")
    p.add_argument("--test", type=float, default=0.0, metavar="PERCENT",
                   help="share of the items for test/ (default 0)")
    p.add_argument("--seed", type=int, default=0, help="the split's shuffle (default 0)")
    p.add_argument("--size", type=int, metavar="PX",
                   help="resize so the shorter side is PX pixels (default: keep the size)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a non-empty output folder (only once all is written)")
    p.add_argument("--dry-run", action="store_true", help="say what would be written")
    p.set_defaults(func=cmd_prepare, layout="aligned")


def cmd_demo_data(args: argparse.Namespace) -> int:
    """Write the procedural demo dataset and say how to train on it."""
    from nectar_gui.core.data.demo import write_demo_dataset

    if args.count < 1:
        raise CliError("--count must be at least 1")
    root = write_demo_dataset(args.dir, args.kind, seed=args.seed, n_train=args.count)
    preset = "demo-pix2pix" if args.kind == "paired" else "demo-cyclegan"
    print(f"Wrote the {args.kind} demo dataset to {root}. Train on it with:\n"
          f"  nectar train --preset {preset} --data {root}")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    """Plan, then write (or with --dry-run only say) the new dataset folder."""
    from nectar_gui.core.data.prepare import (
        PrepareError,
        PrepareOptions,
        plan_prepare,
        write_prepared,
    )

    options = PrepareOptions(a=args.a, b=args.b, out=args.out, layout=args.layout,
                             val=args.val, test=args.test, seed=args.seed, size=args.size,
                             overwrite=args.overwrite)
    try:
        plan = plan_prepare(options)
        print(plan.describe(), flush=True)
        if args.dry_run:
            print(f"Dry run: nothing was written to {args.out}.")
            return 0
        result = write_prepared(plan, progress=_progress_line() if sys.stderr.isatty()
                                else None)
    except PrepareError as exc:
        raise CliError(str(exc).replace("\n", "; ")) from None
    for line in result.skipped[:10]:
        print(f"skipped: {line}", file=sys.stderr)
    if len(result.skipped) > 10:
        print(f"skipped: {len(result.skipped) - 10:,} more unreadable file(s)", file=sys.stderr)
    preset = "cyclegan" if args.layout == "unaligned" else "pix2pix"
    print(f"Wrote {result.written:,} item(s) to {result.out}. Train on it with:\n"
          f"  nectar train --preset {preset} --data {result.out}")
    return 0


def _progress_line() -> Callable[[int, int], None]:
    """A self-overwriting "image 12/300 · 4 s left" line on a terminal."""
    started = time.monotonic()

    def show(done: int, total: int) -> None:
        elapsed = time.monotonic() - started
        left = elapsed / done * (total - done)
        end = "\n" if done == total else ""
        print(f"\rimage {done:,}/{total:,} · {left:.0f} s left ", end=end, file=sys.stderr,
              flush=True)

    return show
