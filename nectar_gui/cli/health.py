"""``nectar health RUN``: how a run is going, in plain words, for any run folder."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from nectar_gui.cli.common import CliError


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``health``."""
    h = sub.add_parser("health", help="the run's current state (is D winning, blind, "
                       "is G collapsing?) with the evidence and what to try")
    h.add_argument("run", type=Path, metavar="RUN", help="run folder (finished or running)")
    h.add_argument("--json", action="store_true", help="print JSON")
    h.set_defaults(func=cmd_health)


def cmd_health(args: argparse.Namespace) -> int:
    """Print the run's diagnosis: state, evidence and suggestions."""
    from nectar_gui.core.run_health import diagnose_run
    from nectar_gui.core.rundir import RunReader

    if not RunReader.is_run_dir(args.run):
        raise CliError(f"{args.run} is not a run folder (config.json is missing)")
    diagnosis = diagnose_run(args.run)
    if args.json:
        print(json.dumps(asdict(diagnosis), indent=2))
        return 0
    print(f"{diagnosis.title} [{diagnosis.state}]")
    print(diagnosis.evidence)
    for suggestion in diagnosis.suggestions:
        print(f"  - {suggestion}")
    return 0
