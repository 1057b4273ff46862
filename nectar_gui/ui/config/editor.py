"""The config editor: a form generated from ``NectarConfig``'s schema.

Fields, widgets, ranges and tooltips come from the pydantic models (``config_schema``);
validation is pydantic's, cross-field checks included, with each message shown under the
fields it names (``config_rules``). Every committed edit is one undoable command.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.core.config import ConfigError, NectarConfig, load_config
from nectar_gui.core.presets import load_preset, preset_names
from nectar_gui.ui.config.fields import FieldEditor, make_field, named_label
from nectar_gui.ui.config.header import ConfigHeader
from nectar_gui.ui.config.rules import inapplicable_reason, validate
from nectar_gui.ui.config.schema import field_specs, flatten
from nectar_gui.ui.config.sections import SectionFlow, build_sections

_STYLE = """
QLabel#fieldError { color: #c62828; }
QLabel[invalid="true"] { color: #c62828; }
QLabel#fieldNote, QLabel#sectionCaption { color: palette(placeholder-text); }
QLabel#fieldNote { font-style: italic; }
QLabel#sectionBadge { color: white; background: #c62828; border-radius: 8px;
                      padding: 1px 8px; }
QToolButton#sectionToggle { font-weight: 600; border: none; }
QFrame#configSection { border: 1px solid palette(midlight); border-radius: 6px; }
QLabel#problemsBanner { background: #fdecea; color: #7f1d1d; border: 1px solid #f3b8b5;
                        border-radius: 4px; padding: 6px 8px; }
QLabel#lockedBanner { background: #fff4e5; color: #663c00; border: 1px solid #f2cf99;
                      border-radius: 4px; padding: 6px 8px; }
QLabel#modifiedMarker { color: #b26a00; }
"""


@dataclass(frozen=True)
class _State:
    """What an undo step restores: the values, the preset, and (for loads) the baseline."""

    values: dict[str, Any]
    preset: str
    baseline: dict[str, Any] | None = None  # None: leave the saved/loaded baseline alone


class _StateCommand(QUndoCommand):
    def __init__(self, editor: ConfigEditor, before: _State, after: _State, text: str):
        super().__init__(text)
        self._editor, self._before, self._after = editor, before, after

    def redo(self) -> None:
        self._editor._restore(self._after)

    def undo(self) -> None:
        self._editor._restore(self._before)


def _editor_action(editor: QWidget, text: str, keys: list[QKeySequence]) -> QAction:
    """An action of the editor only (undo/redo), off until there is something to do."""
    action = QAction(text, editor)
    action.setShortcuts(keys)
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.setEnabled(False)
    editor.addAction(action)
    return action


def _problems_html(summary: Sequence[str]) -> str:
    count = f"{len(summary)} setting{'s' if len(summary) != 1 else ''} to fix"
    lines = "".join(f"<br>• {html.escape(line)}" for line in summary)
    return f"<b>{count}</b> before this config can be used:{lines}"


class ConfigEditor(QWidget):
    """Edits a whole run config; emits it whenever it is valid and changed.

    The form is built by walking ``NectarConfig.model_fields``, so a new schema field gets
    a widget without touching this class. Fields that the chosen model does not use are
    disabled with the reason beside them; problems show in red under their fields and in
    a summary at the top. ``config()`` is None while anything is invalid.

    Args:
        preset: The preset loaded at start (and the target of "Reset").
    """

    config_changed = Signal(object)  # NectarConfig: valid, and new since the last emission
    validity_changed = Signal(bool)  # True: config() is a NectarConfig
    modified_changed = Signal(bool)  # True: differs from the last loaded or saved config

    def __init__(self, parent: QWidget | None = None, *, preset: str = "cyclegan") -> None:
        super().__init__(parent)
        names = preset_names()
        self._specs = field_specs()
        self._preset = preset if preset in names or not names else names[0]
        self._values = flatten(load_preset(self._preset) if names else NectarConfig())
        self._baseline = dict(self._values)
        self._validation = validate(self._values, self._specs)
        self._valid = self._validation.config is not None
        self._emitted = self._validation.config
        self._modified = False
        self._read_only = False
        self._show_advanced = False
        self._path = ""
        self._undo_stack = QUndoStack(self)
        self._build_ui()
        self._connect()
        self._refresh()

    # ---- building ---------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self._undo_action = _editor_action(self, "Undo", [QKeySequence("Ctrl+Z")])
        self._redo_action = _editor_action(self, "Redo", [QKeySequence("Ctrl+Shift+Z"),
                                                          QKeySequence("Ctrl+Y")])
        self._header = ConfigHeader(preset_names(), self._undo_action, self._redo_action)
        self._header.set_preset(self._preset)
        self._locked = named_label("Training is running: settings are locked until it stops.",
                                   "lockedBanner", wrap=True)
        self._locked.hide()
        self._problems = named_label("", "problemsBanner", wrap=True)
        self._problems.setTextFormat(Qt.TextFormat.RichText)
        self._problems.hide()
        self._fields = {s.key: make_field(s, self._values[s.key]) for s in self._specs}
        self._sections = build_sections(self._specs, self._fields)
        label_width = max(field.label.sizeHint().width() for field in self._fields.values())
        for field in self._fields.values():  # one label column across all sections
            field.label.setMinimumWidth(label_width)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # A panel dragged narrower than the form scrolls sideways; it never cuts a field.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        flow = SectionFlow(self._sections)
        scroll.setWidget(flow)
        # As wide as one column of the form needs: narrower, every field would be cut.
        scroll.setMinimumWidth(flow.minimumSizeHint().width() + 2 * scroll.frameWidth()
                               + scroll.verticalScrollBar().sizeHint().width() + 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        for widget in (self._header, self._locked, self._problems, scroll):
            layout.addWidget(widget)
        self.setStyleSheet(_STYLE)

    def _connect(self) -> None:
        for key, field in self._fields.items():
            field.committed.connect(partial(self._on_field_committed, key))
        self._header.preset_chosen.connect(self.apply_preset)
        self._header.reset_clicked.connect(self.reset_to_preset)
        self._header.open_clicked.connect(self._on_header_open_clicked)
        self._header.save_clicked.connect(self._on_header_save_clicked)
        self._header.advanced_toggled.connect(self._on_header_advanced_toggled)
        self._undo_action.triggered.connect(self._undo_stack.undo)
        self._redo_action.triggered.connect(self._undo_stack.redo)
        self._undo_stack.indexChanged.connect(self._update_undo_actions)

    # ---- public API -------------------------------------------------------------------------
    def config(self) -> NectarConfig | None:
        """The validated config, or None while any field is invalid."""
        return self._validation.config

    def is_valid(self) -> bool:
        """Whether every field and cross-field check passes."""
        return self._validation.config is not None

    def is_modified(self) -> bool:
        """Whether the settings differ from the last config loaded or saved."""
        return self._modified

    def problems(self) -> list[str]:
        """One line per validation problem (empty when valid)."""
        return list(self._validation.summary)

    def field_editor(self, key: str) -> FieldEditor:
        """The widget editing ``key`` (dotted, e.g. ``optim.lr``)."""
        return self._fields[key]

    def field_editors(self) -> dict[str, FieldEditor]:
        """Every field widget by dotted key, in schema order."""
        return dict(self._fields)

    def undo_stack(self) -> QUndoStack:
        """The edit history (for an Edit menu)."""
        return self._undo_stack

    def preset(self) -> str:
        """The preset "Reset" returns to."""
        return self._preset

    def set_config(self, config: NectarConfig, *, mark_clean: bool = True) -> None:
        """Show ``config`` (undoable); ``mark_clean`` makes it the unmodified state."""
        values = flatten(config)
        baseline = dict(values) if mark_clean else None
        self._push(_State(values, self._preset, baseline), "Set configuration")

    def baseline_config(self) -> NectarConfig | None:
        """The config "Unsaved changes" compares with (last loaded, saved or preset)."""
        return validate(self._baseline, self._specs).config

    def restore_session(self, config: NectarConfig, *, preset: str,
                        baseline: NectarConfig | None) -> None:
        """Show the last session's config as it was left: its preset, and whether it had
        unsaved changes (against ``baseline``; None: ``config`` counts as saved).

        Not an undo step: a new session starts with an empty history.
        """
        values = flatten(config)
        name = preset if preset in preset_names() else self._preset
        clean = flatten(baseline) if baseline is not None else dict(values)
        self._restore(_State(values, name, clean))
        self._undo_stack.clear()

    def set_data_root(self, path: str) -> None:
        """Set the dataset folder (an undoable edit, like typing it)."""
        self._on_field_committed("data.root", path or None)

    def apply_preset(self, name: str, *, data_root: str | None = None) -> None:
        """Replace every setting with preset ``name`` (undoable; becomes the clean state).

        ``data_root`` sets the dataset folder in the same step (the demo dataset), so one
        click is one undo step and leaves no "unsaved changes" behind.
        """
        values = flatten(load_preset(name))
        if data_root is not None:
            values["data.root"] = data_root
        self._push(_State(values, name, dict(values)), f"Switch to preset {name}")

    def reset_to_preset(self) -> None:
        """Set every field back to the current preset's value, keeping the dataset folder
        (a preset names no dataset; undoable)."""
        values = flatten(load_preset(self._preset))
        values["data.root"] = self._values["data.root"]
        self._push(_State(values, self._preset), "Reset to preset")

    def load_file(self, path: str | Path) -> bool:
        """Load a config JSON file; on failure explain why and keep the current settings."""
        try:
            config = load_config(path)
        except (ConfigError, OSError) as exc:
            self._report("Could not open the config",
                         f"{exc}\n\nYour current settings are unchanged.")
            return False
        self.set_config(config, mark_clean=True)
        self._path = str(path)
        return True

    def save_file(self, path: str | Path) -> bool:
        """Save the config as JSON; refuses (and explains) while it is invalid."""
        config = self.config()
        if config is None:
            self._report("Could not save the config", "Fix these settings first:\n\n"
                         + "\n".join(self.problems()))
            return False
        try:
            Path(path).write_text(config.to_json() + "\n", encoding="utf-8")
        except OSError as exc:
            self._report("Could not save the config", f"Writing {path} failed: {exc}")
            return False
        self._baseline = dict(self._values)
        self._path = str(path)
        self._emit_changes()
        return True

    def set_show_advanced(self, show: bool) -> None:
        """Show or hide the rarely changed settings (threads, intervals, kernels)."""
        self._header.set_show_advanced(show)  # its toggle calls back into the editor

    def is_field_shown(self, key: str) -> bool:
        """Whether ``key``'s row is visible (advanced rows hide unless asked for)."""
        return not self._fields[key].isHidden()

    def set_read_only(self, read_only: bool) -> None:
        """Lock every field (while training runs); saving stays possible."""
        self._read_only = read_only
        for field in self._fields.values():
            field.set_read_only(read_only)
        self._header.set_locked(read_only)
        self._locked.setVisible(read_only)
        self._update_undo_actions()

    def is_read_only(self) -> bool:
        """Whether the fields are locked."""
        return self._read_only

    # ---- slots ------------------------------------------------------------------------------
    def _on_field_committed(self, key: str, value: Any) -> None:
        label = self._fields[key].spec.label
        self._push(_State({**self._values, key: value}, self._preset), f"Change {label}")

    def _on_header_open_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open config", self._path,
                                              "Config JSON (*.json);;All files (*)")
        if path:
            self.load_file(path)

    def _on_header_save_clicked(self) -> None:
        start = self._path or f"{self._values.get('name') or 'config'}.json"
        path, _ = QFileDialog.getSaveFileName(self, "Save config", start,
                                              "Config JSON (*.json)")
        if path:
            self.save_file(path)

    def _on_header_advanced_toggled(self, show: bool) -> None:
        self._show_advanced = show
        self._update_sections()

    # ---- state ------------------------------------------------------------------------------
    def _push(self, after: _State, text: str) -> None:
        if after.values == self._values and after.preset == self._preset and \
                after.baseline in (None, self._baseline):
            return  # nothing would change: no undo step
        before = _State(dict(self._values), self._preset,
                        dict(self._baseline) if after.baseline is not None else None)
        self._undo_stack.push(_StateCommand(self, before, after, text))

    def _restore(self, state: _State) -> None:
        self._values = dict(state.values)
        self._preset = state.preset
        if state.baseline is not None:
            self._baseline = dict(state.baseline)
        for key, field in self._fields.items():
            field.set_value(self._values[key])
        self._header.set_preset(self._preset)
        self._refresh()

    def _refresh(self) -> None:
        self._validation = validate(self._values, self._specs)
        errors = self._validation.field_errors
        for key, field in self._fields.items():
            field.set_errors(errors.get(key, []))
            field.set_inapplicable(inapplicable_reason(key, self._values))
        self._update_sections()
        self._update_problems()
        self._emit_changes()

    def _update_sections(self) -> None:
        for section in self._sections:
            fields = section.fields()
            for field in fields:
                shown = self._show_advanced or not field.spec.advanced or field.error_text()
                section.set_field_visible(field, bool(shown))
            section.set_problem_count(sum(bool(field.error_text()) for field in fields))

    def _update_problems(self) -> None:
        summary = self._validation.summary
        self._problems.setText(_problems_html(summary))
        self._problems.setVisible(bool(summary))

    def _emit_changes(self) -> None:
        config = self._validation.config
        if (config is not None) != self._valid:
            self._valid = config is not None
            self._emitted = None  # listeners dropped the old config; send it again once valid
            self.validity_changed.emit(self._valid)
        if config is not None and config != self._emitted:
            self._emitted = config
            self.config_changed.emit(config)
        modified = self._values != self._baseline
        if modified != self._modified:
            self._modified = modified
            self._header.set_modified(modified)
            self.modified_changed.emit(modified)

    def _update_undo_actions(self) -> None:
        stack = self._undo_stack
        for action, possible, text in (
                (self._undo_action, stack.canUndo(), stack.undoText()),
                (self._redo_action, stack.canRedo(), stack.redoText())):
            action.setEnabled(possible and not self._read_only)
            action.setToolTip(f"{action.text()} {text}".strip())

    def _report(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)
