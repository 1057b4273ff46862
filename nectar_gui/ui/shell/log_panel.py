"""The log panel: what the run and the app say, newest at the bottom."""

from __future__ import annotations

import html
import time

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QWidget

_COLOURS = {"info": None, "warning": "#b26a00", "error": "#c62828"}


class LogPanel(QPlainTextEdit):
    """Read-only, bounded log view with coloured warnings and errors."""

    MAX_LINES = 5000

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(self.MAX_LINES)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText("Messages from training and data checks appear here.")
        # Two lines are enough to notice news; on a 640-pixel screen the tabs need the rest.
        self.setMinimumHeight(2 * self.fontMetrics().lineSpacing() + 12)

    def append_message(self, message: str, level: str = "info") -> None:
        """Add a timestamped line (``level``: info, warning or error)."""
        stamp = time.strftime("%H:%M:%S")
        text = html.escape(message).replace("\n", "<br>")
        colour = _COLOURS.get(level)
        if colour:
            text = f'<span style="color:{colour}">{level.upper()}: {text}</span>'
        self.appendHtml(f'<span style="color:#888">{stamp}</span> {text}')

    def lines(self) -> list[str]:
        """Plain text of every line (for tests and copying)."""
        return self.toPlainText().splitlines()
