"""The configuration column: the editor over "what this builds", in one splitter."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea, QSplitter, QWidget

from nectar_gui.ui.config.editor import ConfigEditor
from nectar_gui.ui.config.summary import BuildSummary


class ConfigPanel(QSplitter):
    """The config editor (top) and the build summary that follows it (bottom).

    The summary sits in a scroll area so a short window squeezes it before the editor.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.editor = ConfigEditor()
        self.summary = BuildSummary()
        self.summary.follow(self.editor)
        self._build_ui()

    def _build_ui(self) -> None:
        self.addWidget(self.editor)
        scroll = QScrollArea()
        scroll.setWidget(self.summary)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.addWidget(scroll)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 1)
        self.setSizes([3000, 1300])  # proportions: the summary's hint is too small

    def shutdown(self) -> None:
        """Join the summary's background computation (window closing)."""
        self.summary.shutdown()
