"""The run's checkpoints: tick the ones to evaluate, click one to see its images.

Ticking and choosing are separate on purpose: a user evaluates several checkpoints at
once, then walks through them one by one. The second column shows each evaluated
checkpoint's mean of the ranking metric, so the best and worst stand out at a glance;
the one ``checkpoints/BEST`` names carries a star.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.core.evaluation.records import metric_name
from nectar_gui.ui.evaluate.metrics import format_value, metric_tip

_STEP = Qt.ItemDataRole.UserRole


class CheckpointList(QWidget):
    """A two-column list (checkpoint, metric mean) with tick-all / tick-none buttons.

    ``current_changed`` carries the chosen step (None when the list is empty).
    """

    current_changed = Signal(object)  # int | None
    ticks_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._best: int | None = None
        self._names: dict[int, str] = {}
        self._build_ui()
        self.tree.currentItemChanged.connect(lambda _c, _p: self.current_changed.emit(
            self.current_step()))
        self.tree.itemChanged.connect(lambda _i, _c: self.ticks_changed.emit())
        self.all_button.clicked.connect(lambda: self.tick_all(True))
        self.none_button.clicked.connect(lambda: self.tick_all(False))

    def _build_ui(self) -> None:
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels(["Checkpoint", "Mean"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        self.tree.setToolTip("Tick the checkpoints to evaluate; click one to see its images")
        self.all_button = QPushButton("Tick all")
        self.none_button = QPushButton("Tick none")
        buttons = QHBoxLayout()
        buttons.addWidget(self.all_button)
        buttons.addWidget(self.none_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Checkpoints</b>"))
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)

    def set_steps(self, steps: tuple[int, ...], best: int | None, ticked: set[int],
                  names: dict[int, str] | None = None) -> None:
        """Refill with ``steps`` (newest first), ticking ``ticked``; the newest is current.

        ``names`` replaces "step N" for a step (a generator file's name).
        """
        self._best = best
        self._names = dict(names or {})
        self.tree.blockSignals(True)
        self.tree.clear()
        for step in reversed(steps):
            item = QTreeWidgetItem([self._names.get(step, f"step {step:,}"), ""])
            item.setData(0, _STEP, step)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if step in ticked
                               else Qt.CheckState.Unchecked)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.tree.addTopLevelItem(item)
        self.tree.blockSignals(False)
        self.set_best(best)
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)
        self.current_changed.emit(self.current_step())
        self.ticks_changed.emit()

    def set_best(self, best: int | None) -> None:
        """Star the checkpoint ``checkpoints/BEST`` names."""
        self._best = best
        for item in self._items():
            step = int(item.data(0, _STEP))
            font = QFont(item.font(0))
            font.setBold(step == best)
            item.setFont(0, font)
            name = self._names.get(step, f"step {step:,}")
            item.setText(0, name + ("  ★ BEST" if step == best else ""))

    def set_means(self, means: dict[int, float], metric: str) -> None:
        """Column 2: each evaluated checkpoint's mean ``metric`` ("" where not evaluated)."""
        self.tree.headerItem().setText(1, metric_name(metric))
        self.tree.headerItem().setToolTip(1, metric_tip(metric) + " (mean over the images)")
        for item in self._items():
            value = means.get(int(item.data(0, _STEP)), math.nan)
            item.setText(1, format_value(value) if int(item.data(0, _STEP)) in means else "")

    def tick_all(self, ticked: bool) -> None:
        state = Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked
        self.tree.blockSignals(True)
        for item in self._items():
            item.setCheckState(0, state)
        self.tree.blockSignals(False)
        self.ticks_changed.emit()

    def set_ticked(self, steps: set[int]) -> None:
        """Tick exactly ``steps``."""
        self.tree.blockSignals(True)
        for item in self._items():
            item.setCheckState(0, Qt.CheckState.Checked if int(item.data(0, _STEP)) in steps
                               else Qt.CheckState.Unchecked)
        self.tree.blockSignals(False)
        self.ticks_changed.emit()

    def ticked_steps(self) -> list[int]:
        """Ticked checkpoints, oldest first (the order they are evaluated in)."""
        return sorted(int(i.data(0, _STEP)) for i in self._items()
                      if i.checkState(0) == Qt.CheckState.Checked)

    def current_step(self) -> int | None:
        item = self.tree.currentItem()
        return int(item.data(0, _STEP)) if item is not None else None

    def select_step(self, step: int) -> None:
        """Make ``step`` the current checkpoint (its images show)."""
        for item in self._items():
            if int(item.data(0, _STEP)) == step:
                self.tree.setCurrentItem(item)

    def _items(self) -> list[QTreeWidgetItem]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item for item in items if item is not None]
