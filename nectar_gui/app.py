"""QApplication bootstrap for ``nectar-gui``.

The window is shown before torch is imported (importing it takes seconds); torch then
loads on a background thread and the status bar says which device was found.

``nectar-gui PATH`` opens a run folder, or the run holding a checkpoint or weights file,
so file managers can hand us what the user double-clicked (macOS sends a FileOpen event
instead, which is handled the same way).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, QStandardPaths, QTimer, Slot
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication, QWidget

from nectar_gui import __version__
from nectar_gui.core.rundir import RunReader
from nectar_gui.core.speed import APP_OMP_SPIN, shorten_omp_spin

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
        spin = os.environ.get("GOMP_SPINCOUNT")
        print(f"window shown after {self.shown:.2f} s; PyTorch ready after "
              f"{time.perf_counter() - self.started:.2f} s"
              + (f" (OpenMP spin {spin})" if spin else ""), flush=True)
        self.window.close()


def run_folder_for(path: Path) -> Path | None:
    """The run folder ``path`` is or lies in (a checkpoint, its weights, a sample), or None."""
    path = path.expanduser().resolve()
    for candidate in (path, *path.parents):
        if RunReader.is_run_dir(candidate):
            return candidate
    return None


class _FileOpenFilter(QObject):
    """Opens what macOS asks us to open (Finder double-clicks arrive as FileOpen events)."""

    def __init__(self, app: QApplication, open_path: Callable[[Path], None]) -> None:
        super().__init__(app)
        self._open_path = open_path

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QFileOpenEvent) and event.file():
            self._open_path(Path(event.file()))
            return True
        return super().eventFilter(watched, event)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nectar-gui", description="Nectar GUI workbench")
    parser.add_argument("path", nargs="?", type=Path,
                        help="a run folder, or a checkpoint or weights file inside one, to open")
    parser.add_argument("--demo", action="store_true",
                        help="open on the built-in demo dataset (generated on first use)")
    parser.add_argument("--workspace", type=Path, help="folder for runs and demo data")
    parser.add_argument("--open", type=Path, metavar="RUN_DIR",
                        help="open a run folder (the same as giving it as PATH)")
    parser.add_argument("--exit-when-ready", action="store_true",
                        help="quit once the window is up and PyTorch has loaded, printing "
                        "both times (start-up checks and packaging smoke tests)")
    parser.add_argument("--version", action="version", version=f"nectar-gui {__version__}")
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Our options, from arguments Qt has already taken its own (``-platform`` …) out of."""
    return _build_parser().parse_args(list(argv))


def _make_app(argv: list[str]) -> tuple[QApplication, list[str]]:
    """The QApplication (created with Qt's options) and the arguments left for us."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app, ours = existing, argv
    else:
        _build_parser().parse_known_args(argv)  # --help and --version need no display
        app = QApplication([sys.argv[0], *argv])
        ours = app.arguments()[1:]
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationVersion(__version__)
    return app, ours


def main(argv: Sequence[str] | None = None) -> int:
    """Open the workbench window; returns the exit status."""
    started = time.perf_counter()
    app, ours = _make_app(list(sys.argv[1:] if argv is None else argv))
    args = parse_args(ours)
    from nectar_gui.ui.shell.app_icon import APP_ID, app_icon
    from nectar_gui.ui.shell.main_window import MainWindow
    from nectar_gui.workers.engine import EngineLoader

    app.setDesktopFileName(APP_ID)  # Wayland and X11 match the window to our .desktop file
    app.setWindowIcon(app_icon())
    workspace = args.workspace or default_workspace()
    window = MainWindow(workspace=workspace, settings=app_settings(workspace))
    # torch loads next, and OpenMP reads its spin setting then: choose it from the
    # restored config, as `nectar train` does from its own (core/speed.py).
    shorten_omp_spin(window.editor.config(), otherwise=APP_OMP_SPIN)
    window.show()
    app.processEvents()
    shown = time.perf_counter() - started
    loader = EngineLoader()
    window.attach_engine_loader(loader)
    if args.exit_when_ready:
        reporter = _ReadyReporter(window, started, shown)
        loader.finished.connect(reporter.report_and_quit)  # queued: reporter is a QObject
    QTimer.singleShot(0, loader.start)  # after the first paint
    open_path = args.open or args.path

    def open_given(path: Path) -> None:
        window.open_run(run_folder_for(path) or path)  # not a run: says what is missing

    if sys.platform == "darwin":  # an app-wide filter sees every event: only where needed
        app.installEventFilter(_FileOpenFilter(app, open_given))
    if open_path is not None:
        QTimer.singleShot(0, lambda: open_given(open_path))
    elif args.demo:
        QTimer.singleShot(0, window.use_demo_dataset)
    status = int(app.exec())
    loader.wait()
    return status


if __name__ == "__main__":
    sys.exit(main())
