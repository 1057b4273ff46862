"""``nectar``: the parser, and one-line errors instead of tracebacks.

It drives the same core as the app; under ``torchrun`` each process runs this same
command and rank 0 alone writes the run folder and the progress line. Problems a user
can fix come out as one line (``nectar: error: …``), never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from nectar_gui import __version__
from nectar_gui.cli import data, describe, evaluate, health, train, translate
from nectar_gui.cli.common import CliError, one_line
from nectar_gui.core.config import ConfigError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nectar`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
        return status
    except CliError as exc:
        print(f"nectar: error: {exc}", file=sys.stderr)
        return 2
    except (ConfigError, ValueError, OSError) as exc:
        print(f"nectar: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nectar: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; each command family registers its own sub-commands."""
    p = argparse.ArgumentParser(prog="nectar", description="Train pix2pix / CycleGAN "
                                "headless, inspect configs and networks, translate images.")
    p.add_argument("--version", action="version", version=f"nectar {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for family in (train, describe, data, translate, evaluate, health):
        family.add_parsers(sub)
    return p


if __name__ == "__main__":
    sys.exit(main())
