"""The headless ``nectar`` command: one module per command family, same core as the app.

``main`` is the console-script entry point; ``python -m nectar_gui.cli`` (how torchrun
starts it) runs the same function.
"""

from nectar_gui.cli.main import main

__all__ = ["main"]
