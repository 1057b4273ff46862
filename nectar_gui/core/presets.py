"""Named starting configs shipped with the app (``resources/presets/*.json``).

A preset file holds only the values that differ from the defaults, so a preset stays
readable and follows improvements to the defaults.
"""

from __future__ import annotations

import json
from typing import Any

from nectar_gui.core.assets import asset
from nectar_gui.core.config import ConfigError, NectarConfig, parse_config


def preset_names() -> list[str]:
    """Names of the presets, sorted."""
    folder = asset("presets")
    return sorted(p.name.removesuffix(".json") for p in folder.iterdir()
                  if p.name.endswith(".json"))


def preset_overrides(name: str) -> dict[str, Any]:
    """The raw JSON of a preset (only the values it changes)."""
    if name not in preset_names():
        raise ConfigError(f"Unknown preset {name!r}. Choose one of: {', '.join(preset_names())}.")
    path = asset("presets", f"{name}.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def load_preset(name: str) -> NectarConfig:
    """A validated config built from the defaults and the named preset."""
    return parse_config(preset_overrides(name))
