"""``nectar demo-data``: datasets written by the app itself."""

from __future__ import annotations

import argparse
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
