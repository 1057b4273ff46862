"""``nectar train``: the training loop headless, also one process per rank under torchrun."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from nectar_gui.cli.common import CliError, add_config_args, config_from_args, is_main_rank
from nectar_gui.core.config import NectarConfig
from nectar_gui.core.speed import shorten_omp_spin


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``train``."""
    t = sub.add_parser("train", help="train a model (also under torchrun)")
    add_config_args(t)
    t.add_argument("--data", help="dataset folder (sets data.root)")
    t.add_argument("--run-dir", type=Path,
                   help="run folder to create (default: runs/<name>-<time>)")
    t.add_argument("--resume", type=Path, metavar="RUN_DIR",
                   help="continue the run in RUN_DIR from its newest checkpoint")
    t.add_argument("--max-steps", type=int, help="stop after this many steps in total")
    t.add_argument("--quiet", action="store_true", help="no progress line")
    t.set_defaults(func=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    """Train until done, stopped (Ctrl+C / SIGTERM, with a checkpoint) or failed."""
    config, run_dir = _train_config(args)  # before importing torch: typos are reported at once
    shorten_omp_spin(config)  # before torch loads OpenMP (core/speed.py)
    if (status := _check_device(config)) != 0:
        return status
    from nectar_gui.cli.progress import ProgressPrinter
    from nectar_gui.core.training.control import TrainingControl
    from nectar_gui.core.training.session import SessionOptions, TrainingSession

    session = TrainingSession(config, SessionOptions(run_dir=run_dir, resume=args.resume
                                                     is not None))
    control = TrainingControl()
    printer = ProgressPrinter(enabled=not args.quiet and is_main_rank())
    status = 0
    previous = install_stop_handlers(control)
    try:
        for report in session.run(control):
            status = printer.show(report) or status
    finally:
        printer.close()
        for signum, handler in previous.items():  # main() may run inside a larger program
            signal.signal(signum, handler)
    return status


def _check_device(config: NectarConfig) -> int:
    """Say once per machine, before any process group, that the device cannot be had.

    Every process on a machine meets the same device problem (no CUDA, more torchrun
    processes than GPUs), so the machine's first process (LOCAL_RANK 0) raises it as the
    one-line error and the others only exit with the same status: the user reads it once,
    instead of once per process or as NCCL's "Duplicate GPU detected" later on.
    Returns 0 when the device is there (the session then resolves it again, the same way).
    """
    from nectar_gui.core.runtime import DeviceError, dist_info_from_env, resolve_device

    where = dist_info_from_env()
    try:
        resolve_device(config.runtime.device, where)
    except DeviceError as exc:
        if where.local_rank == 0:
            raise CliError(str(exc)) from None
        return 2
    return 0


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
        return config_from_args(args, extra), args.resume
    config = config_from_args(args, extra)
    if config.data.root is None:
        raise CliError("no dataset: pass --data DIR (try `nectar demo-data DIR` first)")
    run_dir = args.run_dir or Path("runs") / f"{config.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    return config, run_dir


def install_stop_handlers(control: Any) -> dict[int, Any]:
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
        if is_main_rank():
            print("\nnectar: stopping after this step (saving a checkpoint); press Ctrl+C "
                  "again to abort", file=sys.stderr)
        control.request_stop()

    return {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}
