"""The Help menu's windows: About (versions and device) and the keyboard-shortcut sheet.

Neither imports torch: the PyTorch, CUDA and device lines come from the ``EngineInfo``
that the background engine loader reports, and read "loading…" until it has.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import PySide6
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

import nectar_gui
from nectar_gui import __version__
from nectar_gui.ui.shell.app_icon import app_icon
from nectar_gui.workers.engine import EngineInfo

PROJECT_URL = "https://github.com/nectar-gui/nectar-gui"
USER_GUIDE_URL = f"{PROJECT_URL}/blob/main/docs/user-guide/README.md"
# A source checkout's own copy of the guide wins over the online one (it matches the code).
LOCAL_GUIDE_CANDIDATES = ("docs/user-guide/index.html", "docs/user-guide/README.md",
                          "docs/user-guide.md")
LOADING = "loading…"


def user_guide_url() -> QUrl:
    """The guide next to this package in a source checkout, else the online guide.

    Installed wheels and bundles carry no ``docs/``, so they open ``USER_GUIDE_URL``.
    """
    checkout = Path(nectar_gui.__file__).resolve().parent.parent
    for relative in LOCAL_GUIDE_CANDIDATES:
        if (checkout / relative).is_file():
            return QUrl.fromLocalFile(str(checkout / relative))
    return QUrl(USER_GUIDE_URL)


# ---- keyboard shortcuts --------------------------------------------------------------------
@dataclass(frozen=True)
class ShortcutEntry:
    """One line of the cheat sheet."""

    group: str  # the menu the action lives in
    action: str
    keys: str  # as the platform writes them, e.g. "Ctrl+Shift+S" or "⇧⌘S"


def _plain(text: str) -> str:
    """Menu text without its mnemonic ampersands ("&&" stays a literal "&")."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _entry(group: str, action: QAction) -> ShortcutEntry:
    keys = " or ".join(seq.toString(QKeySequence.SequenceFormat.NativeText)
                       for seq in action.shortcuts())
    name = _plain(action.text()) or action.toolTip() or action.statusTip() or "(unnamed)"
    return ShortcutEntry(group, name, keys)


def _owner_group(action: QAction, window: QMainWindow) -> str:
    """Where an action outside the menus lives: its tab ("Translate tab") or dock."""
    widget = action.parent()
    while isinstance(widget, QWidget) and widget is not window:
        parent = widget.parentWidget()
        if isinstance(widget, QDockWidget):
            return _plain(widget.windowTitle())
        if isinstance(parent, QStackedWidget) and isinstance(parent.parentWidget(), QTabWidget):
            tabs = parent.parentWidget()
            assert isinstance(tabs, QTabWidget)
            return f"{_plain(tabs.tabText(tabs.indexOf(widget)))} tab"
        widget = parent
    return "Other"


def shortcut_entries(window: QMainWindow) -> list[ShortcutEntry]:
    """Every action of ``window`` that has a shortcut, in menu order.

    Actions found in the menu bar are grouped by their top menu; the others (a tab's
    or a dock's own actions) by the tab or dock they belong to.
    """
    entries: list[ShortcutEntry] = []
    seen: set[QAction] = set()

    def visit(menu: QMenu, group: str) -> None:
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                visit(sub, group)
            elif action not in seen and action.shortcuts() and action.isVisible():
                seen.add(action)
                entries.append(_entry(group, action))

    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            visit(menu, _plain(top.text()))
    others = [_entry(_owner_group(a, window), a) for a in window.findChildren(QAction)
              if a not in seen and a.shortcuts() and a.isVisible()
              and not isinstance(a.menu(), QMenu)]
    return entries + sorted(others, key=lambda e: e.group)  # stable: keeps each group's order


class ShortcutsDialog(QDialog):
    """The keyboard-shortcut cheat sheet, generated from the window's actions."""

    def __init__(self, entries: list[ShortcutEntry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.entries = entries
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Action", "Shortcut"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
        groups: dict[str, QTreeWidgetItem] = {}
        for entry in entries:
            if entry.group not in groups:
                header = QTreeWidgetItem(self.tree, [entry.group])
                font = header.font(0)
                font.setBold(True)
                header.setFont(0, font)
                header.setFirstColumnSpanned(True)
                groups[entry.group] = header
            QTreeWidgetItem(groups[entry.group], [entry.action, entry.keys])
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        self.tree.setColumnWidth(0, self.tree.columnWidth(0) + 24)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)
        self.resize(440, 480)


# ---- About ---------------------------------------------------------------------------------
def _cuda_text(info: EngineInfo) -> str:
    if info.cuda_version:
        return f"{info.cuda_version} (PyTorch build)"
    if info.hip_version:
        return f"none — ROCm {info.hip_version} build"
    return "none — this PyTorch build runs on the CPU" + (" and Apple GPUs"
                                                         if info.device == "mps" else "")


class AboutDialog(QDialog):
    """Name, version, and the versions and device a bug report needs.

    The library lines are known at once; the PyTorch lines fill in when the engine
    loader reports (``set_engine``) and say so when it failed (``set_engine_failed``).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Nectar GUI")
        self._values: dict[str, QLabel] = {}
        self._build_ui()
        self.set_engine(None)

    def _build_ui(self) -> None:
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        title = QLabel(f"<h2>Nectar GUI {__version__}</h2>"
                       "Train pix2pix and CycleGAN image-to-image GANs and see which parts "
                       "of an image their PatchGAN discriminators call fake.")
        title.setWordWrap(True)
        header = QHBoxLayout()
        header.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(title, 1)
        form = QFormLayout()
        for name in ("Nectar GUI", "Python", "Qt", "PySide6", "pyqtgraph", "NumPy",
                     "PyTorch", "CUDA", "Device"):
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            form.addRow(f"{name}:", value)
            self._values[name] = value
        self._values["Nectar GUI"].setText(__version__)
        self._values["Python"].setText(platform.python_version())
        self._values["Qt"].setText(qVersion())
        self._values["PySide6"].setText(PySide6.__version__)
        self._values["pyqtgraph"].setText(str(pg.__version__))
        self._values["NumPy"].setText(np.__version__)
        links = QLabel(f'<a href="{PROJECT_URL}">Project website</a> · '
                       f'<a href="{user_guide_url().toString()}">User guide</a> · MIT licence')
        links.setOpenExternalLinks(True)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.setToolTip("Copy these versions, e.g. into a bug report")
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(form)
        layout.addWidget(links)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def set_engine(self, info: EngineInfo | None) -> None:
        """Show what the engine loader found (None: still loading)."""
        if info is None:
            texts = (LOADING, LOADING, LOADING)
        else:
            texts = (info.torch_version, _cuda_text(info), info.detail)
        for name, text in zip(("PyTorch", "CUDA", "Device"), texts, strict=True):
            self._values[name].setText(text)

    def set_engine_failed(self, message: str) -> None:
        """PyTorch could not be imported: say so where its versions would be."""
        self._values["PyTorch"].setText(message)
        self._values["CUDA"].setText("unknown")
        self._values["Device"].setText("none (training and translation need PyTorch)")

    def value(self, name: str) -> str:
        """The text shown for one line (``"PyTorch"``, ``"Device"`` …)."""
        return self._values[name].text()

    def details_text(self) -> str:
        """Every line as plain text, as "Copy details" puts it on the clipboard."""
        return "\n".join(f"{name}: {label.text()}" for name, label in self._values.items())

    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text())
