"""``nectar config`` and ``nectar describe``: what a config is and what it builds."""

from __future__ import annotations

import argparse
import json

from nectar_gui.cli.common import add_config_args, config_from_args


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``config`` and ``describe``."""
    c = sub.add_parser("config", help="print a full config as JSON")
    add_config_args(c)
    c.set_defaults(func=cmd_config)

    d = sub.add_parser("describe", help="networks, parameter counts and D's receptive field")
    add_config_args(d)
    d.add_argument("--json", action="store_true", help="print JSON")
    d.set_defaults(func=cmd_describe)


def cmd_config(args: argparse.Namespace) -> int:
    """Print the full validated config as JSON."""
    print(config_from_args(args).to_json())
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    """Print the networks, their parameter counts and D's receptive field."""
    from nectar_gui.core.describe import describe_config, format_description

    info = describe_config(config_from_args(args))
    print(json.dumps(info, indent=2) if args.json else format_description(info))
    return 0
