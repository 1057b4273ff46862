"""The result of checking every file of a split: progress, cancel, and the problems found."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.core.data import ScanResult
from nectar_gui.ui.dataset.items import problem_text
from nectar_gui.workers.dataset import ScanProgress

PathRole = Qt.ItemDataRole.UserRole + 1


class ProblemsPanel(QWidget):
    """Problems found by the dataset check; clicking one with a file selects that file."""

    cancel_requested = Signal()
    rescan_requested = Signal()
    problem_activated = Signal(str)  # path of the file the clicked problem is about

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build_ui()
        self._connect()
        self.set_idle("")

    def _build_ui(self) -> None:
        title = QLabel("<b>Problems</b>")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setMaximumHeight(16)
        self.cancel_button = QPushButton("Cancel")
        self.rescan_button = QPushButton("Check again")
        self.rescan_button.setToolTip("Decode every file of this split again")
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addWidget(self.status, 1)
        header.addWidget(self.cancel_button)
        header.addWidget(self.rescan_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(header)
        column.addWidget(self.progress)
        column.addWidget(self.list, 1)

    def _connect(self) -> None:
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.rescan_button.clicked.connect(self.rescan_requested)
        self.list.itemClicked.connect(self._on_list_item_clicked)
        self.list.itemActivated.connect(self._on_list_item_clicked)

    def problems(self) -> list[str]:
        """The texts listed now (for tests and copy-paste)."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    def scan_started(self, total_files: int) -> None:
        self.list.clear()
        self.status.setText(f"Checking {total_files:,} files…")
        self.progress.setRange(0, max(1, total_files))
        self.progress.setValue(0)
        self._set_running(True)

    def show_progress(self, progress: ScanProgress) -> None:
        self.progress.setRange(0, max(1, progress.total))
        self.progress.setValue(progress.done)
        self.status.setText(f"Checking files… {progress.done:,} of {progress.total:,}")

    def show_result(self, result: ScanResult) -> None:
        """List the problems and sum them up."""
        self._set_running(False)
        self.list.clear()
        style = self.style()
        icons = {"error": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
                 "warning": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning),
                 "info": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)}
        for problem in result.problems:
            item = QListWidgetItem(icons[problem.severity], problem_text(problem))
            item.setToolTip(problem.path or problem.message)
            item.setData(PathRole, problem.path)
            self.list.addItem(item)
        if not result.problems:
            placeholder = QListWidgetItem("No problems found.")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(placeholder)
        self.status.setText(status_text(result))

    def set_idle(self, text: str) -> None:
        """No scan running: show ``text`` (e.g. "Check cancelled")."""
        self._set_running(False)
        self.status.setText(text)

    def _set_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.rescan_button.setVisible(not running)

    def _on_list_item_clicked(self, item: QListWidgetItem) -> None:
        path = item.data(PathRole)
        if isinstance(path, str) and path:
            self.problem_activated.emit(path)


def status_text(result: ScanResult) -> str:
    """One line over the list: what was read, what failed, what was skipped."""
    counts = result.counts
    files, unreadable = counts.get("files", 0), counts.get("unreadable", 0)
    warnings = len(result.warnings)
    skipped = counts.get("skipped", 0)
    skipped_text = f" {_plural(skipped, 'other file')} skipped (not images)." if skipped else ""
    if not result.errors and not warnings:
        return f"All {files:,} images read fine.{skipped_text}"
    if not unreadable:
        return f"{files:,} images read, {_plural(warnings, 'warning')}.{skipped_text}"
    return (f"{unreadable:,} of {files:,} images unreadable (left out of training), "
            f"{_plural(warnings, 'warning')}.{skipped_text}")


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"
