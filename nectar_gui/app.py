"""QApplication bootstrap for ``nectar-gui``.

The window appears before torch is imported (importing it takes seconds), so nothing
here imports the engine at module level.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


def main(argv: Sequence[str] | None = None) -> int:
    """Open the main window; ``--demo`` offers the built-in demo dataset."""
    parser = argparse.ArgumentParser(prog="nectar-gui")
    parser.add_argument("--demo", action="store_true", help="start on the demo dataset")
    _args, qt_args = parser.parse_known_args(argv)  # --demo: used by the workbench
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Nectar GUI")
    window = QMainWindow()
    window.setWindowTitle("Nectar GUI")
    label = QLabel("The training workbench is on its way. Meanwhile the engine runs "
                   "headless: nectar demo-data DIR, then nectar train --preset demo-pix2pix "
                   "--data DIR.")
    label.setWordWrap(True)
    label.setMargin(24)
    window.setCentralWidget(label)
    window.resize(1280, 800)
    window.show()
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
