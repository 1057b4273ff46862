"""The Dataset tab: choose a folder (or the demo), see its layout, images, crops and problems.

Nothing here decodes images on the UI thread: thumbnails and previews are rendered on a
thread pool, the full check of every file and the demo dataset each run on a worker
thread (:mod:`nectar_gui.workers.dataset`). Call :meth:`DatasetBrowser.shutdown` before
the application quits to cancel and join them.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QSize,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QListView,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.core.config import DataSection
from nectar_gui.core.data import DatasetError, DatasetLayout, ScanResult
from nectar_gui.core.data.scan import has_readable_images
from nectar_gui.ui.dataset.demo_control import DemoControl
from nectar_gui.ui.dataset.file_check import FileCheck
from nectar_gui.ui.dataset.items import BrowserItem, detect_splits, items_for, kind_note, summary
from nectar_gui.ui.dataset.panels import DatasetHeader, EmptyState, LayoutHelp
from nectar_gui.ui.dataset.prepare_dialog import PrepareDialog
from nectar_gui.ui.dataset.preview import PreviewFeed, PreviewPanel
from nectar_gui.ui.dataset.problems import ProblemsPanel
from nectar_gui.ui.dataset.thumbnail_model import ThumbnailModel
from nectar_gui.workers.dataset import (
    DemoOptions,
    WorkerThreads,
)
from nectar_gui.workers.thumbnails import PreviewLoader

THUMB_SIZE = 96


class DatasetBrowser(QWidget):
    """Pick a dataset folder and look at it the way training will.

    Shows the detected layout with counts per split (or why the folder does not work),
    a thumbnail grid, the selected pair A | B next to the augmented crop the model
    sees, and the problems found by checking every file. With no folder set it offers
    the demo dataset. Folders can be dropped onto it.
    """

    root_changed = Signal(str)  # a dataset folder was chosen and its layout detected
    demo_ready = Signal(str)  # the demo dataset was written to this folder
    scan_finished = Signal(object)  # ScanResult, or None when cancelled or failed
    problem_changed = Signal(object)  # str (why this dataset cannot train) or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._root: Path | None = None
        self._problem: str | None = None
        self._layouts: dict[str, DatasetLayout] = {}
        self._cfg = DataSection()
        self._model_kind = "cyclegan"
        self._channels = (3, 3)
        self.threads = WorkerThreads(self)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max(2, min(4, os.cpu_count() or 2)))
        self._build_ui()
        self._connect()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ---- building -----------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.setAcceptDrops(True)
        self.empty_state = EmptyState()
        self.header = DatasetHeader()
        self.layout_help = LayoutHelp()
        self.model = ThumbnailModel(self.pool, thumb_size=THUMB_SIZE, parent=self)
        self.preview_loader = PreviewLoader(self.pool, parent=self)
        self.grid = self._build_grid()
        self.preview = PreviewPanel()
        self.feed = PreviewFeed(self, panel=self.preview, loader=self.preview_loader)
        self.problems = ProblemsPanel()
        self.body = QStackedWidget()
        self.body.addWidget(self._build_splitter())
        self.body.addWidget(self.layout_help)
        content = QWidget()
        column = QVBoxLayout(content)
        column.addWidget(self.header)
        column.addWidget(self.body, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty_state)
        self.pages.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.pages)
        self.check = FileCheck(self, threads=self.threads, problems=self.problems)
        self.demo = DemoControl(self, threads=self.threads, empty_state=self.empty_state,
                                header=self.header)

    def _build_splitter(self) -> QSplitter:
        """Grid on the left; the preview above the problems on the right."""
        self.details = QSplitter(Qt.Orientation.Vertical)
        self.details.addWidget(self.preview)
        self.details.addWidget(self.problems)
        self.details.setSizes([560, 220])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.grid)
        self.splitter.addWidget(self.details)
        self.splitter.setSizes([520, 700])
        return self.splitter

    def _build_grid(self) -> QListView:
        grid = QListView()
        grid.setViewMode(QListView.ViewMode.IconMode)
        grid.setMovement(QListView.Movement.Static)
        grid.setResizeMode(QListView.ResizeMode.Adjust)
        grid.setUniformItemSizes(True)  # the view then never asks every item its size
        grid.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        grid.setGridSize(QSize(THUMB_SIZE + 24, THUMB_SIZE + 30))
        grid.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        grid.setModel(self.model)
        return grid

    def _connect(self) -> None:
        self.demo.written.connect(self._on_demo_written)
        self.empty_state.demo_requested.connect(self.start_demo)
        self.empty_state.open_requested.connect(self._on_open_clicked)
        self.layout_help.open_requested.connect(self._on_open_clicked)
        self.header.demo_requested.connect(self.start_demo)
        self.header.open_requested.connect(self._on_open_clicked)
        self.header.prepare_requested.connect(self.open_prepare_dialog)
        self.empty_state.prepare_requested.connect(self.open_prepare_dialog)
        self.header.split_changed.connect(self._on_header_split_changed)
        self.grid.selectionModel().currentChanged.connect(self._on_grid_current_changed)
        self.preview.shuffle_requested.connect(
            lambda: self.feed.shuffle(self._current_item(), self._channels))
        self.check.finished.connect(self._on_check_finished)
        self.problems.rescan_requested.connect(self.start_scan)
        self.problems.problem_activated.connect(self.select_path)

    # ---- public API ---------------------------------------------------------------------
    def root(self) -> Path | None:
        """The folder shown (None in the empty state)."""
        return self._root

    def current_layout(self) -> DatasetLayout | None:
        """The layout of the split shown in the grid."""
        return self._layouts.get(self.header.split())

    def set_root(self, path: str | Path, *, note: str = "") -> bool:
        """Open ``path``; False (and the reason shown) when no layout is detected.
        ``note`` is shown under the layout (after the note on the model kind, if any)."""
        self.cancel_scan()
        self._root = Path(path).expanduser()
        self.header.set_folder(str(self._root))
        self.pages.setCurrentIndex(1)
        try:
            self._layouts = detect_splits(self._root, self._cfg)
        except DatasetError as exc:  # the layouts are listed beside it: the short form
            self._show_layout_error(exc.short)
            self._set_problem(f"The dataset folder cannot be used: {exc.short}")
            return False
        self._set_problem(None)
        self.body.setCurrentWidget(self.splitter)
        self.header.set_summary(summary(self._layouts))
        notes = (kind_note(self._layouts, self._model_kind), note)
        self.header.set_note(" ".join(n for n in notes if n))
        self.header.set_splits(list(self._layouts))
        self.root_changed.emit(str(self._root))
        return True

    def clear(self) -> None:
        """Forget the folder and show the empty state."""
        self.cancel_scan()
        self._root, self._layouts = None, {}
        self._set_problem(None)
        self.model.set_items([])
        self.header.set_splits([])
        self.pages.setCurrentIndex(0)

    def set_demo_folder(self, path: str | Path) -> None:
        """Where "Use the demo dataset" writes (a subfolder per model kind)."""
        self.demo.folder = Path(path).expanduser()
        self.demo.update_text()

    def set_demo_options(self, options: DemoOptions) -> None:
        """How many demo images, and how large (tests use a tiny demo)."""
        self.demo.options = options
        self.demo.update_text()

    def set_model_kind(self, kind: str) -> None:
        """``pix2pix`` (the demo is façade pairs) or ``cyclegan`` (day/night scenes)."""
        self._model_kind = self.demo.model_kind = kind
        self.demo.update_text()
        self.header.set_note(kind_note(self._layouts, self._model_kind))

    def set_channels(self, channels_a: int, channels_b: int) -> None:
        """Channels of A and B images (model input_nc / output_nc); 3 and 3 by default."""
        if (channels_a, channels_b) != self._channels:
            self._channels = (channels_a, channels_b)
            self._refresh_after_config(rescan=True)

    def set_data_config(self, cfg: DataSection) -> None:
        """Use ``cfg``'s layout, split and augmentation (its ``root`` is ignored)."""
        old, self._cfg = self._cfg, cfg
        if self._root is not None and (cfg.layout, cfg.split) != (old.layout, old.split):
            self.set_root(self._root)
            return
        self._refresh_after_config(rescan=cfg.crop_size != old.crop_size)

    def select_path(self, path: str) -> bool:
        """Select the grid item showing ``path``; False if it is not in the grid."""
        row = self.model.row_of(path)
        if row is None:
            return False
        index = self.model.index(row)
        self.grid.setCurrentIndex(index)
        self.grid.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def start_demo(self) -> None:
        """Write the demo dataset for the current model kind in a worker, then open it."""
        self.demo.start()

    def start_scan(self, *, delayed: bool = False) -> None:
        """Check every file of the split shown, in a worker (cancels a running check)."""
        self.check.start(self.current_layout(), channels=self._channels,
                         min_size=self._cfg.crop_size, delayed=delayed)

    def cancel_scan(self) -> None:
        """Stop the running check, if any; its results are dropped."""
        self.check.cancel()

    def scan_running(self) -> bool:
        """Whether a check of every file is running now."""
        return self.check.running()

    def jobs_running(self) -> bool:
        """Whether any worker thread or pool job is still busy."""
        return self.threads.running() or self.pool.activeThreadCount() > 0

    def shutdown(self) -> None:
        """Cancel the check and any preparing, drop waiting thumbnails, join every thread."""
        self.cancel_scan()
        for dialog in self.findChildren(PrepareDialog):
            dialog.reject()  # stops its writer (nothing is left behind) and joins it
        self.model.loader.clear()
        self.preview_loader.clear()
        self.threads.wait_all()
        self.pool.clear()
        self.pool.waitForDone()

    # ---- jobs ---------------------------------------------------------------------------
    def _on_demo_written(self, path: str) -> None:
        if self.set_root(path):
            self.demo_ready.emit(path)

    # ---- showing ------------------------------------------------------------------------
    def problem(self) -> str | None:
        """Why the folder shown cannot be trained on (None: nothing known against it)."""
        return self._problem

    def _set_problem(self, problem: str | None) -> None:
        if problem != self._problem:
            self._problem = problem
            self.problem_changed.emit(problem)

    def _on_check_finished(self, result: ScanResult | None) -> None:
        # Only the split that trains decides; browsing val/ says nothing about train/.
        if result is not None and result.layout_ok.split == self._cfg.split:
            self._set_problem(None if has_readable_images(result.layout_ok) else
                              f"No readable images in {result.layout_ok.root}: every image "
                              "file failed to decode (Dataset tab → Problems)")
        self.scan_finished.emit(result)

    def _show_layout_error(self, message: str) -> None:
        self._layouts = {}
        self.model.set_items([])
        self.header.set_splits([])
        self.header.set_summary("")
        self.header.set_note("")
        self.layout_help.set_message(message)
        self.body.setCurrentWidget(self.layout_help)

    def _on_header_split_changed(self, split: str) -> None:
        layout = self._layouts.get(split)
        if layout is None:
            return
        self.model.set_items(items_for(layout))
        self.preview.show_message("Select an image to see it here.")
        if self.model.rowCount():
            self.grid.setCurrentIndex(self.model.index(0))
        self.start_scan()

    def _refresh_after_config(self, *, rescan: bool) -> None:
        self._request_preview()
        if rescan and self.current_layout() is not None:
            self.start_scan(delayed=True)

    # ---- preview ------------------------------------------------------------------------
    def _request_preview(self) -> None:
        self.feed.request(self._current_item(), self._channels, self._cfg)

    def _current_item(self) -> BrowserItem | None:
        return self.model.item(self.grid.currentIndex().row())

    def _on_grid_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._request_preview()

    # ---- folders ------------------------------------------------------------------------
    def _on_open_clicked(self) -> None:
        self.ask_for_folder()

    def ask_for_folder(self) -> None:
        """Ask for a dataset folder with the system dialog and open it."""
        start = str(self._root or Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open a dataset folder", start)
        if folder:
            self.set_root(folder)

    def open_prepare_dialog(self) -> PrepareDialog:
        """Show "Prepare a dataset"; the folder it writes opens here."""
        dialog = PrepareDialog(self, start_dir=str(self._root.parent if self._root else ""))
        dialog.prepared.connect(lambda path: self.set_root(path, note=dialog.skipped_note()))
        dialog.open()
        return dialog

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_folder(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        folder = _dropped_folder(event)
        if folder is not None:
            event.acceptProposedAction()
            self.set_root(folder)


def _dropped_folder(event: QDropEvent) -> str | None:
    """The one local folder being dragged, or None."""
    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    path = urls[0].toLocalFile()
    return path if Path(path).is_dir() else None
