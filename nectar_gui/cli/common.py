"""What every ``nectar`` command shares: the user-error type and the config arguments."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from nectar_gui.core.config import ConfigError, NectarConfig, load_config, parse_override
from nectar_gui.core.presets import load_preset, preset_names


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def one_line(exc: BaseException) -> str:
    """The exception's message on one line (or its type name when it has none)."""
    text = str(exc).strip()
    return text.replace("\n", "; ") if text else type(exc).__name__


def add_config_args(p: argparse.ArgumentParser) -> None:
    """``--preset`` / ``--config`` (one of them) and repeatable ``--set KEY=VALUE``."""
    src = p.add_mutually_exclusive_group()
    src.add_argument("--preset", help=f"start from a preset: {', '.join(preset_names())}")
    src.add_argument("--config", type=Path, help="start from a config JSON file")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting, e.g. --set optim.lr=0.001 (repeatable)")


def config_from_args(args: argparse.Namespace, extra: dict[str, Any] | None = None
                     ) -> NectarConfig:
    """The config the arguments describe: a file or a preset, then ``--set`` and ``extra``."""
    if getattr(args, "config", None) is not None:
        try:
            config = load_config(args.config)
        except ConfigError as exc:  # say which file holds the bad value
            text = one_line(exc)
            raise CliError(text if str(args.config) in text else f"{args.config}: {text}"
                           ) from None
    else:
        config = load_preset(args.preset or "cyclegan")
    overrides = dict(parse_override(item) for item in args.set)
    overrides.update(extra or {})
    return config.with_overrides(overrides) if overrides else config


def is_main_rank() -> bool:
    """True outside torchrun and on rank 0 under it (the rank that prints)."""
    return os.environ.get("RANK", "0") == "0"
