"""The headless ``nectar`` command: train, config, describe, demo-data, translate, export.

It drives the same core as the app; under ``torchrun`` each process runs this same
command and rank 0 alone writes the run folder and the progress line. Problems a user
can fix come out as one line (``nectar: error: …``), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from nectar_gui import __version__
from nectar_gui.cli_translate import add_parsers as add_translate_parsers
from nectar_gui.core.config import ConfigError, NectarConfig, load_config, parse_override
from nectar_gui.core.presets import load_preset, preset_names


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nectar`` console script; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
        return status
    except CliError as exc:
        print(f"nectar: error: {exc}", file=sys.stderr)
        return 2
    except (ConfigError, ValueError, OSError) as exc:
        print(f"nectar: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nectar: interrupted", file=sys.stderr)
        return 130


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.replace("\n", "; ") if text else type(exc).__name__


# ---- parser ------------------------------------------------------------------------------
def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nectar", description="Train pix2pix / CycleGAN "
                                "headless, inspect configs and networks, translate images.")
    p.add_argument("--version", action="version", version=f"nectar {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser("train", help="train a model (also under torchrun)")
    _add_config_args(t)
    t.add_argument("--data", help="dataset folder (sets data.root)")
    t.add_argument("--run-dir", type=Path,
                   help="run folder to create (default: runs/<name>-<time>)")
    t.add_argument("--resume", type=Path, metavar="RUN_DIR",
                   help="continue the run in RUN_DIR from its newest checkpoint")
    t.add_argument("--max-steps", type=int, help="stop after this many steps in total")
    t.add_argument("--quiet", action="store_true", help="no progress line")
    t.set_defaults(func=_cmd_train)

    c = sub.add_parser("config", help="print a full config as JSON")
    _add_config_args(c)
    c.set_defaults(func=_cmd_config)

    d = sub.add_parser("describe", help="networks, parameter counts and D's receptive field")
    _add_config_args(d)
    d.add_argument("--json", action="store_true", help="print JSON")
    d.set_defaults(func=_cmd_describe)

    g = sub.add_parser("demo-data", help="write the built-in procedural demo dataset")
    g.add_argument("dir", type=Path, help="folder to create")
    g.add_argument("--kind", choices=("paired", "unpaired"), default="paired",
                   help="paired: façade labels → photos (pix2pix); unpaired: two styles "
                   "(CycleGAN)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--count", type=int, default=200, help="training images (per domain)")
    g.set_defaults(func=_cmd_demo_data)
    add_translate_parsers(sub)
    return p


def _add_config_args(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--preset", help=f"start from a preset: {', '.join(preset_names())}")
    src.add_argument("--config", type=Path, help="start from a config JSON file")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting, e.g. --set optim.lr=0.001 (repeatable)")


def _config_from_args(args: argparse.Namespace, extra: dict[str, Any] | None = None
                      ) -> NectarConfig:
    if getattr(args, "config", None) is not None:
        try:
            config = load_config(args.config)
        except ConfigError as exc:  # say which file holds the bad value
            text = _one_line(exc)
            raise CliError(text if str(args.config) in text else f"{args.config}: {text}"
                           ) from None
    else:
        config = load_preset(args.preset or "cyclegan")
    overrides = dict(parse_override(item) for item in args.set)
    overrides.update(extra or {})
    return config.with_overrides(overrides) if overrides else config


# ---- commands ------------------------------------------------------------------------------
def _cmd_config(args: argparse.Namespace) -> int:
    print(_config_from_args(args).to_json())
    return 0


def _cmd_describe(args: argparse.Namespace) -> int:
    from nectar_gui.core.describe import describe_config, format_description

    info = describe_config(_config_from_args(args))
    print(json.dumps(info, indent=2) if args.json else format_description(info))
    return 0


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from nectar_gui.core.data.demo import write_demo_dataset

    if args.count < 1:
        raise CliError("--count must be at least 1")
    root = write_demo_dataset(args.dir, args.kind, seed=args.seed, n_train=args.count)
    preset = "demo-pix2pix" if args.kind == "paired" else "demo-cyclegan"
    print(f"Wrote a {args.kind} demo dataset to {root}. Train on it with:\n"
          f"  nectar train --preset {preset} --data {root}")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    config, run_dir = _train_config(args)  # before importing torch: typos are reported at once
    from nectar_gui.cli_progress import ProgressPrinter
    from nectar_gui.core.training.control import TrainingControl
    from nectar_gui.core.training.session import SessionOptions, TrainingSession

    session = TrainingSession(config, SessionOptions(run_dir=run_dir, resume=args.resume
                                                     is not None))
    control = TrainingControl()
    printer = ProgressPrinter(enabled=not args.quiet and _is_main_rank())
    status = 0
    previous = _install_stop_handlers(control)
    try:
        for report in session.run(control):
            status = printer.show(report) or status
    finally:
        printer.close()
        for signum, handler in previous.items():  # main() may run inside a larger program
            signal.signal(signum, handler)
    return status


def _train_config(args: argparse.Namespace) -> tuple[NectarConfig, Path]:
    extra: dict[str, Any] = {}
    if args.data is not None:
        if not Path(args.data).is_dir():
            raise CliError(f"--data {args.data}: no such folder — pass the dataset folder "
                           f"(or make a demo one with `nectar demo-data DIR`)")
        extra["data.root"] = str(Path(args.data).resolve())
    if args.max_steps is not None:
        if args.max_steps < 1:
            raise CliError("--max-steps must be at least 1")
        extra["logging.max_steps"] = args.max_steps
    if args.resume is not None:
        if args.preset or args.config:
            raise CliError("--resume takes the config saved in the run; use --set to change "
                           "a setting instead of --preset / --config")
        if args.run_dir is not None:
            raise CliError("--resume RUN_DIR continues in RUN_DIR itself; leave out --run-dir")
        if not (args.resume / "config.json").is_file():
            raise CliError(f"{args.resume} is not a run folder (config.json is missing)")
        args.config = args.resume / "config.json"
        return _config_from_args(args, extra), args.resume
    config = _config_from_args(args, extra)
    if config.data.root is None:
        raise CliError("no dataset: pass --data DIR (try `nectar demo-data DIR` first)")
    run_dir = args.run_dir or Path("runs") / f"{config.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    return config, run_dir


def _is_main_rank() -> bool:
    import os

    return os.environ.get("RANK", "0") == "0"


def _install_stop_handlers(control: Any) -> dict[int, Any]:
    """First Ctrl+C / SIGTERM stops cleanly (with a checkpoint); a second one aborts.

    Returns the handlers it replaced, by signal number, to put back afterwards.
    Under torchrun a Ctrl+C reaches each process twice (from the terminal, then forwarded
    by torchrun), so there a repeat within a second is not taken as a second press.
    """
    first: list[float] = []
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1

    def handler(signum: int, frame: FrameType | None) -> None:
        if control.stop_requested:
            if distributed and first and time.monotonic() - first[0] < 1.0:
                return
            raise KeyboardInterrupt
        first.append(time.monotonic())
        if _is_main_rank():
            print("\nnectar: stopping after this step (saving a checkpoint); press Ctrl+C "
                  "again to abort", file=sys.stderr)
        control.request_stop()

    return {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}


if __name__ == "__main__":
    sys.exit(main())
