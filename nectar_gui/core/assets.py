"""Where the app's assets are: presets, the icon source, the Linux desktop files.

They live in the repository's top-level ``resources/`` folder. A wheel and the
PyInstaller bundle carry that folder as package data at ``nectar_gui/_resources`` (see
``setup.py`` and ``packaging/nectar_gui.spec``); a source checkout and an editable
install read it where it is. Every caller asks :func:`asset` and never builds a path
itself, so all four ways of running the app find the same files the same way.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

PACKAGED_NAME = "_resources"  # inside the nectar_gui package, in wheels and bundles


@cache
def asset_root() -> Traversable:
    """The folder holding ``presets/``, ``icons/`` and ``linux/``.

    Raises:
        FileNotFoundError: neither the packaged copy nor the checkout's folder exists
            (a broken install), with both places named.
    """
    packaged = resources.files("nectar_gui").joinpath(PACKAGED_NAME)
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "resources"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"The app's resources are missing: looked for {packaged} and "
                            f"{checkout}. Reinstall nectar-gui.")


def asset(*parts: str) -> Traversable:
    """One file or folder under the asset root, e.g. ``asset("icons", "nectar.svg")``."""
    return asset_root().joinpath(*parts)
