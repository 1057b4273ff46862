"""Metric names for people, and which way of sorting shows the worst image first."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt

from nectar_gui.core.evaluation.records import HIGHER_IS_BETTER, better_direction, metric_name

#: Narrow column titles for the table (the tooltip says the rest).
COLUMN_TITLES = {"psnr": "PSNR", "l1": "L1", "cycle_l1": "Cycle L1", "cycle_l1_a": "Cycle A",
                 "cycle_l1_b": "Cycle B", "d_score_a": "D_A", "d_score_b": "D_B"}


def column_title(name: str) -> str:
    """A narrow table column title ("Cycle A"), so the pictures fit beside the numbers."""
    return COLUMN_TITLES.get(name, metric_name(name))


def metric_tip(name: str) -> str:
    """Which way is better, for a tooltip: the arrow a user needs to read a number."""
    return f"{metric_name(name)}: {better_direction(name)}"


def axis_title(name: str) -> str:
    """A short axis title with the better direction as an arrow ("PSNR (dB) ↑")."""
    return f"{metric_name(name)} {'↑' if name in HIGHER_IS_BETTER else '↓'}"


def worst_first_order(name: str) -> Qt.SortOrder:
    """The sort order that puts the worst value on top (low PSNR, high L1)."""
    return (Qt.SortOrder.AscendingOrder if name in HIGHER_IS_BETTER
            else Qt.SortOrder.DescendingOrder)


def format_value(value: float) -> str:
    """4 significant digits; "–" for a value that was not measured."""
    return f"{value:.4g}" if math.isfinite(value) else "–"
