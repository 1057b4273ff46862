"""The config editor's bar: preset, reset, open/save, undo/redo and the modified marker."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QLabel,
    QPushButton,
    QToolButton,
    QWidget,
)

from nectar_gui.ui.config.fields import named_label
from nectar_gui.ui.widgets.flow_layout import FlowLayout, flow_group


class ConfigHeader(QWidget):
    """Controls above the config form.

    Args:
        presets: Preset names for the combo box.
        undo_action: The editor's undo action (the bar shows it as a button).
        redo_action: The editor's redo action.
    """

    preset_chosen = Signal(str)  # preset name picked by the user
    reset_clicked = Signal()
    open_clicked = Signal()
    save_clicked = Signal()
    advanced_toggled = Signal(bool)  # True: show advanced settings

    def __init__(self, presets: list[str], undo_action: QAction, redo_action: QAction,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._presets = presets
        self._undo_action = undo_action
        self._redo_action = redo_action
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self._preset = QComboBox()
        self._preset.addItems(self._presets)
        self._preset.setToolTip("Start from a shipped configuration. Switching replaces every "
                                "setting; Undo brings your settings back.")
        self._preset.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._reset = QPushButton("Reset")
        self._reset.setToolTip("Set every field back to the selected preset's value (the "
                               "dataset folder stays).")
        self._modified = named_label("● Unsaved changes", "modifiedMarker")
        self._modified.setToolTip("The settings differ from the last file loaded or saved.")
        self._modified.hide()
        self._open = self._tool_button("Open…", "Load settings from a config JSON file.")
        self._save = self._tool_button("Save…", "Save these settings as a config JSON file.")
        self._advanced = QCheckBox("Show advanced")
        self._advanced.setToolTip("Also show rarely changed settings (threads, intervals, "
                                  "kernels). Fields with a problem are always shown.")
        flow = FlowLayout(self, spacing=6)  # a narrow panel takes more rows, not more width
        for group in (flow_group(QLabel("Preset"), self._preset, self._reset), self._modified,
                      flow_group(self._open, self._save, _separator(),
                                 self._action_button(self._undo_action),
                                 self._action_button(self._redo_action)),
                      self._advanced):
            flow.addWidget(group)

    def _connect(self) -> None:
        self._preset.textActivated.connect(self.preset_chosen)
        self._reset.clicked.connect(self.reset_clicked)
        self._open.clicked.connect(self.open_clicked)
        self._save.clicked.connect(self.save_clicked)
        self._advanced.toggled.connect(self.advanced_toggled)

    def _tool_button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(autoRaise=True)
        button.setText(text)
        button.setToolTip(tip)
        return button

    def _action_button(self, action: QAction) -> QToolButton:
        button = QToolButton(autoRaise=True)
        button.setDefaultAction(action)
        return button

    def set_preset(self, name: str) -> None:
        """Show ``name`` as the selected preset without reporting a choice."""
        with QSignalBlocker(self._preset):
            self._preset.setCurrentText(name)

    def preset(self) -> str:
        """The selected preset's name."""
        return self._preset.currentText()

    def set_show_advanced(self, show: bool) -> None:
        """Tick or untick "Show advanced" (reported through ``advanced_toggled``)."""
        self._advanced.setChecked(show)

    def set_modified(self, modified: bool) -> None:
        """Show or hide the "Unsaved changes" marker."""
        self._modified.setVisible(modified)

    def set_locked(self, locked: bool) -> None:
        """Disable the controls that would change settings (while training runs)."""
        for widget in (self._preset, self._reset, self._open):
            widget.setEnabled(not locked)


def _separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line
