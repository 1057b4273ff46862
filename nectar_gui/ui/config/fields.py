"""One widget per config field, chosen by the field's kind (see ``config_schema``).

Every field editor shows its input, a grey note when the field does not apply to the
chosen model, and red messages from validation. It reports a finished edit through
``committed``; the config editor turns that into an undoable command and validates.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.ui.config.schema import CHOICE_LABELS, SPECIAL_VALUES, FieldSpec

_INT32_MAX = 2**31 - 1
_NUMBER_INPUT = QRegularExpression(r"[-+]?[0-9]*\.?[0-9]*([eE][-+]?[0-9]*)?")
_NUMBER_WIDTH = 120


def named_label(text: str, name: str, *, wrap: bool = False) -> QLabel:
    """A label with an object name (for the style sheet), optionally word-wrapped."""
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(wrap)
    return label


def format_float(value: float) -> str:
    """Shortest text that reads back as ``value``: ``10``, ``0.5``, small ones as ``2e-4``."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    if abs(value) >= 1e-2:
        return repr(value)
    for digits in range(17):
        mantissa, _, exponent = f"{value:.{digits}e}".partition("e")
        if float(f"{mantissa}e{exponent}") == value:
            return f"{mantissa}e{int(exponent)}"
    return repr(value)


class FieldEditor(QWidget):
    """Base of the field widgets: input, "not used" note, error text and tooltip.

    Attributes:
        spec: The schema field this widget edits.
        label: The form label (placed by the section, enabled and styled with the field).
    """

    committed = Signal(object)  # the committed value; raw text when it is not a number
    _expands = False  # True: the input takes the row's spare width

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.label = QLabel(spec.label)
        self._updating = False
        self._reason: str | None = None
        self._read_only = False
        self._build_ui()
        self._connect()
        self._update_state()

    # ---- what subclasses provide ---------------------------------------------------------
    def _add_inputs(self, row: QHBoxLayout) -> None:
        raise NotImplementedError

    def _connect(self) -> None:
        """Connect the inputs' signals to ``_commit``."""

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def value(self) -> Any:
        """The value the inputs show now."""
        raise NotImplementedError

    def inputs(self) -> list[QWidget]:
        """The interactive widgets (disabled together, share the tooltip)."""
        raise NotImplementedError

    # ---- the common part --------------------------------------------------------------------
    def _build_ui(self) -> None:
        self._note = named_label("", "fieldNote")
        self._error = named_label("", "fieldError", wrap=True)
        self._error.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self._add_inputs(row)
        if not self._expands:
            row.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self._note)
        column.addWidget(self._error)

    def set_value(self, value: Any) -> None:
        """Show ``value`` without reporting it as an edit."""
        self._updating = True
        try:
            self._show(value)
        finally:
            self._updating = False

    def _commit(self, value: Any) -> None:
        if not self._updating:
            self.committed.emit(value)

    def set_errors(self, messages: list[str]) -> None:
        """Show validation messages under the input (none hides them)."""
        self._error.setText("\n".join(messages))
        self._error.setVisible(bool(messages))
        self.label.setProperty("invalid", bool(messages))
        self.label.style().unpolish(self.label)
        self.label.style().polish(self.label)

    def error_text(self) -> str:
        """The validation messages shown, or ``""``."""
        return self._error.text() if not self._error.isHidden() else ""

    def set_inapplicable(self, reason: str | None) -> None:
        """Disable the field and say why (``None``: it applies)."""
        self._reason = reason
        self._update_state()

    def inapplicable_reason(self) -> str | None:
        """Why the field is disabled for the current model, or None."""
        return self._reason

    def set_read_only(self, read_only: bool) -> None:
        """Lock the field (while training runs)."""
        self._read_only = read_only
        self._update_state()

    def _update_state(self) -> None:
        enabled = self._reason is None and not self._read_only
        for widget in [*self.inputs(), self.label]:
            widget.setEnabled(enabled)
        self._note.setText(self._reason or "")
        self._note.setVisible(self._reason is not None)
        tip = self._tooltip()
        for widget in [*self.inputs(), self.label, self._note]:
            widget.setToolTip(tip)

    def _tooltip(self) -> str:
        spec = self.spec
        parts = [f"<b>{html.escape(spec.label)}</b> &nbsp;<code>{spec.key}</code>",
                 html.escape(spec.description)]
        if spec.range_text():
            parts.append(f"Allowed: {html.escape(spec.range_text())}")
        if self._reason:
            parts.append(f"<i>Not used now: {html.escape(self._reason)}.</i>")
        return "<br>".join(parts)


class IntField(FieldEditor):
    """A spin box over the field's range (a decimal-free double box past 32 bits)."""

    def _add_inputs(self, row: QHBoxLayout) -> None:
        low = self.spec.minimum if self.spec.minimum is not None else -_INT32_MAX
        high = self.spec.maximum if self.spec.maximum is not None else _INT32_MAX
        low += 1 if self.spec.min_exclusive else 0
        high -= 1 if self.spec.max_exclusive else 0
        box = QDoubleSpinBox(decimals=0) if max(abs(low), abs(high)) > _INT32_MAX \
            else QSpinBox()
        box.setRange(int(low), int(high))
        box.setKeyboardTracking(False)  # valueChanged on Enter, focus-out and arrows only
        box.setSpecialValueText(SPECIAL_VALUES.get(self.spec.key, ""))
        box.setMinimumWidth(_NUMBER_WIDTH)
        self._box = box
        row.addWidget(box)

    def _connect(self) -> None:
        self._box.valueChanged.connect(self._on_box_value_changed)

    def _on_box_value_changed(self, value: float) -> None:
        self._commit(int(value))

    def _show(self, value: Any) -> None:
        self._box.setValue(int(value))

    def value(self) -> int:
        """The spin box's value."""
        return int(self._box.value())

    def inputs(self) -> list[QWidget]:
        """The spin box."""
        return [self._box]


class OptionalIntField(IntField):
    """A spin box with a "No limit" check box for ``None``."""

    def _add_inputs(self, row: QHBoxLayout) -> None:
        super()._add_inputs(row)
        self._unlimited = QCheckBox("No limit")
        row.addWidget(self._unlimited)

    def _connect(self) -> None:
        super()._connect()
        self._unlimited.toggled.connect(self._on_unlimited_toggled)

    def _on_unlimited_toggled(self, checked: bool) -> None:
        self._box.setVisible(not checked)
        self._commit(None if checked else int(self._box.value()))

    def _show(self, value: Any) -> None:
        self._unlimited.setChecked(value is None)
        self._box.setVisible(value is not None)
        if value is not None:
            self._box.setValue(int(value))

    def value(self) -> int | None:  # type: ignore[override]
        """None when unlimited, else the spin box's value."""
        return None if self._unlimited.isChecked() else int(self._box.value())

    def inputs(self) -> list[QWidget]:
        """The spin box and the check box."""
        return [self._box, self._unlimited]


class FloatField(FieldEditor):
    """A line edit that accepts 0.0002 as well as 2e-4; validation speaks for the range."""

    def _add_inputs(self, row: QHBoxLayout) -> None:
        self._edit = QLineEdit()
        self._edit.setValidator(QRegularExpressionValidator(_NUMBER_INPUT, self._edit))
        self._edit.setFixedWidth(_NUMBER_WIDTH)
        row.addWidget(self._edit)

    def _connect(self) -> None:
        self._edit.editingFinished.connect(self._on_edit_editing_finished)

    def _on_edit_editing_finished(self) -> None:
        self._commit(self.value())

    def _show(self, value: Any) -> None:
        self._edit.setText(format_float(value) if isinstance(value, float | int) else str(value))

    def value(self) -> float | str:
        """The number typed, or the raw text when it is not one."""
        text = self._edit.text().strip()
        try:
            return float(text)
        except ValueError:
            return text

    def inputs(self) -> list[QWidget]:
        """The line edit."""
        return [self._edit]


class BoolField(FieldEditor):
    """A check box."""

    def _add_inputs(self, row: QHBoxLayout) -> None:
        self._check = QCheckBox()
        row.addWidget(self._check)

    def _connect(self) -> None:
        self._check.toggled.connect(self._commit)

    def _show(self, value: Any) -> None:
        self._check.setChecked(bool(value))

    def value(self) -> bool:
        """Whether the box is checked."""
        return self._check.isChecked()

    def inputs(self) -> list[QWidget]:
        """The check box."""
        return [self._check]


class ChoiceField(FieldEditor):
    """A combo box over a ``Literal`` field's choices, with readable names."""

    def _add_inputs(self, row: QHBoxLayout) -> None:
        self._combo = QComboBox()
        for choice in self.spec.choices:
            self._combo.addItem(CHOICE_LABELS.get(choice, choice), choice)
        # Never narrower than its longest choice: a cut "CycleGAN (unp" reads as a bug.
        self._combo.setMinimumWidth(max(_NUMBER_WIDTH, self._combo.sizeHint().width()))
        row.addWidget(self._combo)

    def _connect(self) -> None:
        self._combo.currentIndexChanged.connect(self._on_combo_index_changed)

    def _on_combo_index_changed(self, _index: int) -> None:
        self._commit(self._combo.currentData())

    def _show(self, value: Any) -> None:
        self._combo.setCurrentIndex(self._combo.findData(value))

    def value(self) -> Any:
        """The chosen value (not its label)."""
        return self._combo.currentData()

    def inputs(self) -> list[QWidget]:
        """The combo box."""
        return [self._combo]


class TextField(FieldEditor):
    """A line edit, committed on Enter or when focus leaves it."""

    def _add_inputs(self, row: QHBoxLayout) -> None:
        self._edit = QLineEdit()
        self._edit.setMaximumWidth(2 * _NUMBER_WIDTH)
        row.addWidget(self._edit, 1)

    def _connect(self) -> None:
        self._edit.editingFinished.connect(self._on_edit_editing_finished)

    def _on_edit_editing_finished(self) -> None:
        self._commit(self.value())

    def _show(self, value: Any) -> None:
        self._edit.setText("" if value is None else str(value))
        self._fit_text()

    def _fit_text(self) -> None:
        """Wide enough for the value shown (up to the field's maximum), never cut."""
        text = self._edit.text() or self._edit.placeholderText()
        needed = self._edit.fontMetrics().horizontalAdvance(text) + 16  # frame and margins
        self._edit.setMinimumWidth(min(max(needed, 60), self._edit.maximumWidth()))

    def value(self) -> str | None:
        """The text."""
        return self._edit.text()

    def inputs(self) -> list[QWidget]:
        """The line edit."""
        return [self._edit]


class FolderField(TextField):
    """A folder path with a "Browse…" button; empty means not set."""

    _expands = True

    def _add_inputs(self, row: QHBoxLayout) -> None:
        super()._add_inputs(row)
        self._edit.setMaximumWidth(16777215)
        self._edit.setMinimumWidth(60)  # the tail shows; the tooltip has the whole path
        self._edit.setPlaceholderText("Not set")
        self._browse = QPushButton("Browse…")
        row.addWidget(self._browse)

    def _fit_text(self) -> None:
        """A path may be longer than any panel: show its end (the folder's own name) and
        the whole of it in the tooltip."""
        self._edit.setToolTip(self._edit.text())
        self._edit.setCursorPosition(len(self._edit.text()))

    def _connect(self) -> None:
        super()._connect()
        self._browse.clicked.connect(self._on_browse_clicked)

    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the dataset folder",
                                                  self._edit.text())
        if folder:
            self._edit.setText(folder)
            self._commit(folder)

    def value(self) -> str | None:
        """The path, or None when empty."""
        return self._edit.text().strip() or None

    def inputs(self) -> list[QWidget]:
        """The line edit and the button."""
        return [self._edit, self._browse]


class ReadOnlyField(FieldEditor):
    """A value shown but never edited (the config format version)."""

    def _add_inputs(self, row: QHBoxLayout) -> None:
        self._text = QLabel()
        row.addWidget(self._text)

    def _show(self, value: Any) -> None:
        self._text.setText(str(value))

    def value(self) -> Any:
        """The value shown, as text."""
        return self._text.text()

    def inputs(self) -> list[QWidget]:
        """The label."""
        return [self._text]


_FIELD_CLASSES: dict[str, type[FieldEditor]] = {
    "int": IntField, "optional_int": OptionalIntField, "float": FloatField,
    "bool": BoolField, "choice": ChoiceField, "text": TextField, "folder": FolderField,
    "readonly": ReadOnlyField,
}


def make_field(spec: FieldSpec, value: Any) -> FieldEditor:
    """The widget for ``spec``, showing ``value``."""
    field = _FIELD_CLASSES[spec.kind](spec)
    field.set_value(value)
    return field
