"""The headless ``nectar`` command: one module per command family, same core as the app.

``run`` is the console-script entry point; ``python -m nectar_gui.cli`` (how torchrun
starts it) runs the same function. ``main(argv)`` returns the exit status (tests, the
bundle's launcher).
"""

from nectar_gui.cli.main import main, run

__all__ = ["main", "run"]
