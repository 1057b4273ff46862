"""Before/after comparison: side by side or split, with zoom and pan kept in step."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.ui.widgets.pyramid_views import PyramidItem, SplitView, ZoomView

MODES = ("side", "split")


def _caption() -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setContentsMargins(4, 2, 4, 2)
    return label


def _column(caption: QLabel, view: QWidget) -> QWidget:
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(caption)
    layout.addWidget(view, 1)
    return column


class CompareView(QWidget):
    """Input and output side by side, or one split view with a draggable divider.

    Every view follows the zoom and centre of the one the user moved, so the two sides
    always show the same part of the picture, and switching modes keeps the place.
    """

    mode_changed = Signal(str)  # "side" or "split"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._input: tuple[QImage, ...] | None = None
        self._output: tuple[QImage, ...] | None = None
        self._state: tuple[float, QPointF, bool] = (1.0, QPointF(), True)
        self._build_ui()
        self._connect()
        self.set_mode("side")
        self.set_input(None, "")

    def _build_ui(self) -> None:
        self.input_view, self.output_view = ZoomView(), ZoomView()
        self.split_view = SplitView()
        self.input_caption, self.output_caption = _caption(), _caption()
        self.split_caption = _caption()
        side = QSplitter(Qt.Orientation.Horizontal)
        side.setChildrenCollapsible(False)
        side.addWidget(_column(self.input_caption, self.input_view))
        self.output_column = _column(self.output_caption, self.output_view)
        side.addWidget(self.output_column)
        self.stack = QStackedWidget()
        self.stack.addWidget(side)
        self.stack.addWidget(_column(self.split_caption, self.split_view))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.stack, 1)
        layout.addLayout(self._build_bar())

    def _build_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.side_button = self._tool("Side by side", "Input left, output right, "
                                      "zoomed and panned together", checkable=True)
        self.split_button = self._tool("Split", "One picture: the output left of the "
                                       "divider, the input right of it; drag the divider",
                                       checkable=True)
        self.mode_group = QButtonGroup(self)
        self.mode_group.addButton(self.side_button)
        self.mode_group.addButton(self.split_button)
        self.fit_button = self._tool("Fit", "Show the whole picture")
        self.actual_button = self._tool("100%", "One image pixel per screen pixel")
        self.zoom_label = QLabel()  # plain muted text, so it is not taken for a button
        self.zoom_label.setMinimumWidth(80)
        self.zoom_label.setEnabled(False)
        for widget in (self.side_button, self.split_button):
            bar.addWidget(widget)
        bar.addSpacing(16)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.actual_button)
        bar.addWidget(self.zoom_label)
        bar.addSpacing(16)
        self.bar = bar
        return bar

    def add_to_bar(self, widget: QWidget) -> None:
        """Put ``widget`` (the tab's progress line) in the rest of the bottom bar."""
        self.bar.addWidget(widget, 1)

    def _tool(self, text: str, tip: str, *, checkable: bool = False) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(checkable)
        return button

    def _connect(self) -> None:
        self.side_button.clicked.connect(lambda: self.set_mode("side"))
        self.split_button.clicked.connect(lambda: self.set_mode("split"))
        self.fit_button.clicked.connect(self.fit)
        self.actual_button.clicked.connect(self.actual_size)
        for view in self.views():
            view.view_changed.connect(lambda v=view: self._on_view_changed(v))
            view.setToolTip("Wheel to zoom about the cursor, drag to pan")
        self.split_view.setToolTip("Drag the divider to compare; wheel to zoom, drag "
                                   "elsewhere to pan")

    # ---- content ------------------------------------------------------------------------
    def views(self) -> list[ZoomView]:
        return [self.input_view, self.output_view, self.split_view]

    def set_input(self, levels: tuple[QImage, ...] | None, caption: str) -> None:
        """Show a new input; the old output no longer applies and is cleared."""
        self._input, self._output = levels, None
        self.input_view.set_items([PyramidItem(levels)] if levels else [])
        self.output_view.set_items([])
        self.input_caption.setText(caption)
        self.output_caption.setText("<b>Output</b>")
        self.split_view.set_pair(levels, None)
        self.split_caption.setText(caption)
        # Until there is an input, one wide view carries the "what to do" message.
        self.output_column.setVisible(levels is not None)
        for button in (self.side_button, self.split_button, self.fit_button,
                       self.actual_button):
            button.setEnabled(levels is not None)
        self.fit()

    def set_output(self, levels: tuple[QImage, ...] | None, caption: str) -> None:
        self._output = levels
        self.output_view.set_items([PyramidItem(levels)] if levels else [])
        self.output_caption.setText(caption)
        self.split_view.set_pair(self._input, levels)
        self.split_caption.setText(caption.replace("<b>Output</b>", "<b>Output</b> (left "
                                                   "of the divider) | input (right)")
                                   if levels else self.input_caption.text())
        self._apply_state(None)

    def set_placeholders(self, input_text: str, output_text: str) -> None:
        """What the empty views say (the tab's two-line "what to do" hint)."""
        self.input_view.placeholder = input_text
        self.split_view.placeholder = input_text
        self.output_view.placeholder = output_text
        for view in self.views():
            view.viewport().update()

    def has_output(self) -> bool:
        return self._output is not None

    # ---- mode, zoom ---------------------------------------------------------------------
    def mode(self) -> str:
        return "split" if self.stack.currentIndex() == 1 else "side"

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            mode = "side"
        changed = mode != self.mode() or not (self.side_button.isChecked()
                                              or self.split_button.isChecked())
        self.stack.setCurrentIndex(MODES.index(mode))
        (self.split_button if mode == "split" else self.side_button).setChecked(True)
        self._apply_state(None)
        if changed:
            self.mode_changed.emit(mode)

    def fit(self) -> None:
        self._visible_views()[0].fit()

    def actual_size(self) -> None:
        self._visible_views()[0].zoom_to(1.0)

    def scale(self) -> float:
        return self._state[0]

    def _visible_views(self) -> list[ZoomView]:
        return [self.split_view] if self.mode() == "split" else [self.input_view,
                                                                 self.output_view]

    def _on_view_changed(self, source: ZoomView) -> None:
        self._state = (source.scale_factor(), source.center(), source.fit_mode)
        self._apply_state(source)

    def _apply_state(self, source: ZoomView | None) -> None:
        scale, center, fit = self._state
        for view in self.views():
            if view is not source and view.image_size() is not None:
                view.apply_view(scale, center, fit)
        shown = next((v for v in self._visible_views() if v.image_size() is not None), None)
        if shown is not None:
            scale = shown.scale_factor()
            self._state = (scale, shown.center(), shown.fit_mode)
        percent = f"{scale * 100:.0f}%" if shown is not None else ""
        self.zoom_label.setText(f"Zoom {percent}, whole picture" if fit and percent else
                                f"Zoom {percent}" if percent else "")
