"""The per-image table of one evaluated checkpoint: name, metrics, A | G(A) | B.

Sorting is the model's own (``sort``), not a proxy's, so that images without a value
(NaN) stay at the bottom in both directions, and the first click on a metric's header
sorts worst first (``Qt.InitialSortOrderRole``): low PSNR, high L1.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from nectar_gui.core.evaluation.records import (
    ImageResult,
    StepEvaluation,
    metric_name,
    metric_names,
    ranking_value,
)
from nectar_gui.core.sample_grid import to_rgb
from nectar_gui.ui.evaluate.metrics import (
    column_title,
    format_value,
    metric_tip,
    worst_first_order,
)
from nectar_gui.ui.widgets.images import rgba_to_qimage

THUMB_HEIGHT = 64  # pixels each picture is drawn at in the table
_GAP = 3  # pixels between the pictures of one row
_AnyIndex = QModelIndex | QPersistentModelIndex


def table_metrics(evaluation: StepEvaluation) -> tuple[str, ...]:
    """The metric columns: the kind's metrics, and unpaired data's mean cycle L1 first
    (the default ranking metric, so that the table can be sorted by it)."""
    names = metric_names(evaluation.kind)
    return ("cycle_l1", *names) if evaluation.kind == "unpaired" else names


def strip_image(result: ImageResult) -> np.ndarray | None:
    """A | G(A) | B (| G(B)) side by side on one uint8 RGBA array (transparent gaps, so
    the table's own background shows between them), or None without thumbnails."""
    pictures = [to_rgb(key, result.thumbnails[key])
                for key in ("A", "G(A)", "B", "G(B)") if key in result.thumbnails]
    if not pictures:
        return None
    height = max(p.shape[0] for p in pictures)
    width = sum(p.shape[1] for p in pictures) + _GAP * (len(pictures) - 1)
    canvas = np.zeros((height, width, 4), np.uint8)
    x = 0
    for picture in pictures:
        top = (height - picture.shape[0]) // 2
        canvas[top:top + picture.shape[0], x:x + picture.shape[1], :3] = picture
        canvas[top:top + picture.shape[0], x:x + picture.shape[1], 3] = 255
        x += picture.shape[1] + _GAP
    return canvas


class ResultsModel(QAbstractTableModel):
    """Rows: the images of one StepEvaluation; columns: name, metrics, pictures."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.evaluation: StepEvaluation | None = None
        self._rows: list[ImageResult] = []
        self._metrics: tuple[str, ...] = ()
        self._pixmaps: dict[str, QPixmap] = {}

    def set_evaluation(self, evaluation: StepEvaluation | None) -> None:
        """Show ``evaluation`` (None: empty) in its file order; the caller sorts."""
        self.beginResetModel()
        self.evaluation = evaluation
        self._rows = list(evaluation.images) if evaluation is not None else []
        self._metrics = table_metrics(evaluation) if evaluation is not None else ()
        self._pixmaps = {}
        self.endResetModel()

    def metrics(self) -> tuple[str, ...]:
        return self._metrics

    def metric_column(self, metric: str) -> int:
        """The column of ``metric`` (-1 when it has none)."""
        return 1 + self._metrics.index(metric) if metric in self._metrics else -1

    def picture_column(self) -> int:
        return 1 + len(self._metrics)

    def result(self, row: int) -> ImageResult:
        return self._rows[row]

    def names(self) -> list[str]:
        """Image names in the order shown."""
        return [r.name for r in self._rows]

    # ---- QAbstractTableModel ------------------------------------------------------------
    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.evaluation is None else 2 + len(self._metrics)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return str(section + 1) if role == Qt.ItemDataRole.DisplayRole else None
        metric = self._metric_at(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return ("Image" if section == 0 else column_title(metric) if metric else
                    self._picture_title())
        if role == Qt.ItemDataRole.ToolTipRole and metric:
            return f"{metric_tip(metric)}. Click to sort, worst first; again to reverse."
        if role == Qt.ItemDataRole.InitialSortOrderRole and metric:
            return worst_first_order(metric)
        return None

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        result, column = self._rows[index.row()], index.column()
        metric = self._metric_at(column)
        if role == Qt.ItemDataRole.DisplayRole:
            return result.name if column == 0 else format_value(
                ranking_value(result.metrics, metric)) if metric else None
        if role == Qt.ItemDataRole.DecorationRole and column == self.picture_column():
            return self._pixmap(result)
        if role == Qt.ItemDataRole.TextAlignmentRole and metric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(result)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ``column``; values that are missing stay last either way."""
        metric = self._metric_at(column)
        descending = order == Qt.SortOrder.DescendingOrder
        if column == 0:
            rows = sorted(self._rows, key=lambda r: r.name, reverse=descending)
        elif metric:
            rows = sorted(self._rows, key=lambda r: _sort_key(r, metric, descending))
        else:
            return
        self.layoutAboutToBeChanged.emit()
        self._rows = rows
        self.layoutChanged.emit()

    # ---- helpers ------------------------------------------------------------------------
    def _metric_at(self, column: int) -> str:
        return self._metrics[column - 1] if 1 <= column <= len(self._metrics) else ""

    def _picture_title(self) -> str:
        unpaired = self.evaluation is not None and self.evaluation.kind == "unpaired"
        return "A | G(A) | B | G(B)" if unpaired else "A | G(A) | B"

    def _pixmap(self, result: ImageResult) -> QPixmap | None:
        if result.name not in self._pixmaps:
            strip = strip_image(result)
            if strip is None:
                return None
            pixmap = QPixmap.fromImage(rgba_to_qimage(strip))
            self._pixmaps[result.name] = pixmap.scaledToHeight(
                THUMB_HEIGHT, Qt.TransformationMode.SmoothTransformation)
        return self._pixmaps[result.name]

    def _tooltip(self, result: ImageResult) -> str:
        values = ", ".join(f"{metric_name(m)} {format_value(result.metrics.get(m, math.nan))}"
                           for m in metric_names(self.evaluation.kind)) if self.evaluation else ""
        return f"{result.a_path}\n{values}\nDouble-click to open it in the Inspector"


def _sort_key(result: ImageResult, metric: str, descending: bool) -> tuple[bool, float]:
    value = ranking_value(result.metrics, metric)
    if math.isnan(value):
        return (True, 0.0)
    return (False, -value if descending else value)


class ResultsTable(QTableView):
    """The table view: whole rows selected, thumbnails tall enough to see.

    ``image_activated`` carries the double-clicked row's ImageResult.
    """

    image_activated = Signal(object)  # ImageResult

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results = ResultsModel(self)
        self.setModel(self.results)
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setDefaultSectionSize(THUMB_HEIGHT + 6)
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.setWordWrap(False)
        self.doubleClicked.connect(self._on_double_clicked)

    def show_evaluation(self, evaluation: StepEvaluation | None, metric: str) -> None:
        """Show ``evaluation`` sorted worst first by ``metric`` (or its first metric)."""
        self.results.set_evaluation(evaluation)
        if evaluation is None:
            return
        column = self.results.metric_column(metric)
        if column < 0:
            column, metric = 1, self.results.metrics()[0]
        self.sortByColumn(column, worst_first_order(metric))
        self.resizeColumnsToContents()

    def _on_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.image_activated.emit(self.results.result(index.row()))


def caption(step: int | None, evaluation: StepEvaluation | None, split: str,
            metric: str, file_name: str | None = None) -> str:
    """The line above the table: which checkpoint, how many images, its mean, the hint.

    ``file_name`` names a loose generator file instead of a step (it has no D).
    """
    if step is None:
        return ""
    what = html.escape(file_name) if file_name else f"Step {step:,}"
    if evaluation is None:
        return (f"{what} is not evaluated on {split or 'val'} yet: tick it and press "
                f"Evaluate ticked.")
    mean = format_value(ranking_value(evaluation.mean, metric))
    hint = ("" if file_name else
            "; double-click an image to inspect it with this checkpoint's D")
    why = evaluation.unavailable.get("fid")
    missing = (f"<br>FID and KID {html.escape(why)}. Choose one under <i>FID/KID</i> above."
               if why else "")
    return (f"<b>{what}</b> on {len(evaluation.images)} {evaluation.split} images · "
            f"mean {metric_name(metric)} {mean} · worst first{hint}{missing}")
