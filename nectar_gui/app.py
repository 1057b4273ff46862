"""QApplication bootstrap for ``nectar-gui``.

The window is shown before torch is imported (importing it takes seconds); torch then
loads on a background thread and the status bar says which device was found.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, QTimer, Slot
from PySide6.QtWidgets import QApplication, QWidget

from nectar_gui import __version__

APP_NAME = "Nectar GUI"
ORGANISATION = "Nectar"


def default_workspace() -> Path:
    """Where new runs and the demo dataset go: $NECTAR_GUI_HOME or ~/Documents/Nectar GUI."""
    env = os.environ.get("NECTAR_GUI_HOME")
    if env:
        return Path(env)
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs or Path.home()) / APP_NAME


def app_settings(workspace: Path | None = None) -> QSettings:
    """Per-user settings; under $NECTAR_GUI_HOME they live there too (tests, portable use)."""
    if os.environ.get("NECTAR_GUI_HOME") and workspace is not None:
        return QSettings(str(workspace / "settings.ini"), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION,
                     APP_NAME)


class _ReadyReporter(QObject):
    """Prints start-up times and closes the window (``--exit-when-ready``)."""

    def __init__(self, window: QWidget, started: float, shown: float) -> None:
        super().__init__(window)
        self.window, self.started, self.shown = window, started, shown

    @Slot()
    def report_and_quit(self) -> None:
        print(f"window shown after {self.shown:.2f} s; PyTorch ready after "
              f"{time.perf_counter() - self.started:.2f} s", flush=True)
        self.window.close()


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="nectar-gui", description="Nectar GUI workbench")
    parser.add_argument("--demo", action="store_true",
                        help="open on the built-in demo dataset (generated on first use)")
    parser.add_argument("--workspace", type=Path, help="folder for runs and demo data")
    parser.add_argument("--open", type=Path, metavar="RUN_DIR", help="open a run folder")
    parser.add_argument("--exit-when-ready", action="store_true",
                        help="quit once the window is up and PyTorch has loaded, printing "
                        "both times (start-up checks and packaging smoke tests)")
    parser.add_argument("--version", action="version", version=f"nectar-gui {__version__}")
    return parser.parse_known_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Open the workbench window; returns the exit status."""
    started = time.perf_counter()
    args, qt_args = parse_args(argv)
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationVersion(__version__)

    from nectar_gui.ui.main_window import MainWindow
    from nectar_gui.workers.engine import EngineLoader

    workspace = args.workspace or default_workspace()
    window = MainWindow(workspace=workspace, settings=app_settings(workspace))
    window.show()
    app.processEvents()
    shown = time.perf_counter() - started
    loader = EngineLoader()
    window.attach_engine_loader(loader)
    if args.exit_when_ready:
        reporter = _ReadyReporter(window, started, shown)
        loader.finished.connect(reporter.report_and_quit)  # queued: reporter is a QObject
    QTimer.singleShot(0, loader.start)  # after the first paint
    if args.open is not None:
        QTimer.singleShot(0, lambda: window.open_run(args.open))
    elif args.demo:
        QTimer.singleShot(0, window.use_demo_dataset)
    status = int(app.exec())
    loader.wait()
    return status


if __name__ == "__main__":
    sys.exit(main())
