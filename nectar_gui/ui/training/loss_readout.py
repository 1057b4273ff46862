"""The text over the loss plots: every visible term's value at one logged step."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from nectar_gui.core.loss_names import LossGroup
from nectar_gui.ui.training.loss_history import LossHistory
from nectar_gui.ui.widgets.plots.colours import PlotColours

GROUP_TITLES: dict[LossGroup, str] = {"G": "Generator loss", "D": "Discriminator loss"}
EMPTY_TEXT = "No losses logged yet."


def format_value(value: float) -> str:
    """Four significant digits; a dash for NaN or infinity."""
    return "–" if not math.isfinite(value) else f"{value:.4g}"


def readout_lines(history: LossHistory, row: int,
                  shown: Mapping[LossGroup, Sequence[tuple[str, str]]], *, weight: float,
                  muted: str) -> tuple[str, str]:
    """Plain and rich text for ``row``: a header, then one line per group of curves.

    Args:
        shown: per group, the visible curves as (name, colour) in legend order.
        weight: the display smoothing; when on, the raw value follows the smoothed one.
    """
    epoch = history.epochs()[row]
    header = f"step {int(history.steps()[row]):,}"
    header += "" if math.isnan(epoch) else f" · epoch {int(epoch) + 1}"
    plain, rich = [header], [f"<b>{header}</b>"]
    for group, title in GROUP_TITLES.items():
        parts_plain, parts_rich = [], []
        for name, colour in shown.get(group, ()):
            text = format_value(float(history.smoothed(name, weight)[row]))
            text += f" (raw {format_value(float(history.values(name)[row]))})" if weight else ""
            parts_plain.append(f"{name} {text}")
            parts_rich.append(f"<span style='color:{colour}'>■ {html.escape(name)}</span>"
                              f" {html.escape(text)}")
        if parts_plain:
            plain.append(f"{title}: " + "  ".join(parts_plain))
            rich.append(f"<span style='color:{muted}'>{title}:</span> "
                        + "&nbsp;&nbsp;".join(parts_rich))
    return "\n".join(plain), "<br>".join(rich)


class LossReadout(QLabel):
    """Rich text on the plots' background, three lines high; keeps a plain copy for tests."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setMinimumHeight(3 * self.fontMetrics().lineSpacing() + 10)
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.plain = ""
        self.show_text(EMPTY_TEXT, EMPTY_TEXT)

    def show_text(self, plain: str, rich: str) -> str:
        """Show ``rich``; returns ``plain``."""
        self.plain = plain
        self.setText(rich)
        return plain

    def apply_colours(self, colours: PlotColours) -> None:
        """Share the plots' background so the curve colours read alike."""
        self.setStyleSheet(f"QLabel {{ background: {colours.background}; color: "
                           f"{colours.foreground}; padding: 4px 8px; }}")
