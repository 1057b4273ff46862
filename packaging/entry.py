"""Entry point of the PyInstaller bundle: one program, two commands.

The bundle holds two executables built from this one script and sharing one set of
libraries: ``NectarGUI`` (the window) and ``nectar`` (the headless CLI, a console
program on Windows). Which one runs is decided by the executable's name; ``NectarGUI
cli ARGS`` also runs the CLI, for places where only the app's own executable can be
started (a macOS .app launched by path).
"""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path


def main() -> int:
    # DataLoader workers on Windows and macOS start by spawning this executable again.
    multiprocessing.freeze_support()
    args = sys.argv[1:]
    if Path(sys.executable).stem.lower() == "nectar" or args[:1] == ["cli"]:
        from nectar_gui.cli import main as cli_main

        return cli_main(args[1:] if args[:1] == ["cli"] else args)
    from nectar_gui.app import main as gui_main

    return gui_main(args)


if __name__ == "__main__":
    sys.exit(main())
