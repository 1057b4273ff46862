"""Collapsible form sections and the columns they flow into as the editor widens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations, pairwise

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.ui.config.fields import FieldEditor, named_label
from nectar_gui.ui.config.schema import SECTION_TITLES, FieldSpec, section_doc


class CollapsibleSection(QFrame):
    """A titled group of fields whose body folds away; the header counts its problems.

    Args:
        title: Section name in the header ("Model").
        caption: One line under the header saying what the section is for.
    """

    def __init__(self, title: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("configSection")
        self._title = title
        self._caption_text = caption
        self._fields: list[FieldEditor] = []
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self._toggle = QToolButton(autoRaise=True)
        self._toggle.setCheckable(True)
        self._toggle.setChecked(True)
        self._toggle.setObjectName("sectionToggle")
        self._toggle.setText(self._title)
        self._toggle.setArrowType(Qt.ArrowType.DownArrow)
        self._toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._badge = named_label("", "sectionBadge")
        self._badge.hide()
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self._toggle)
        header.addStretch(1)
        header.addWidget(self._badge)
        self._body = QWidget()
        self._form = QFormLayout(self._body)
        self._form.setContentsMargins(14, 0, 4, 4)
        self._form.setVerticalSpacing(6)
        self._form.setHorizontalSpacing(12)
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        caption = named_label(self._caption_text, "sectionCaption", wrap=True)
        self._form.addRow(caption)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 6)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self._body)

    def _connect(self) -> None:
        self._toggle.toggled.connect(self._on_toggle_toggled)

    def _on_toggle_toggled(self, expanded: bool) -> None:
        self._toggle.setArrowType(Qt.ArrowType.DownArrow if expanded
                                  else Qt.ArrowType.RightArrow)
        self._body.setVisible(expanded)

    def add_field(self, field: FieldEditor) -> None:
        """Append a field row (its label on the left)."""
        self._fields.append(field)
        self._form.addRow(field.label, field)

    def title(self) -> str:
        """The section's name in its header ("Augmentation")."""
        return self._title

    def fields(self) -> list[FieldEditor]:
        """The fields in this section, in order."""
        return list(self._fields)

    def set_field_visible(self, field: FieldEditor, visible: bool) -> None:
        """Show or hide one field's row."""
        self._form.setRowVisible(field, visible)

    def set_expanded(self, expanded: bool) -> None:
        """Unfold (True) or fold the body."""
        self._toggle.setChecked(expanded)

    def is_expanded(self) -> bool:
        """Whether the body is unfolded."""
        return self._toggle.isChecked()

    def set_problem_count(self, count: int) -> None:
        """Show "N problems" in the header (0 hides it)."""
        self._badge.setText(f"{count} problem{'s' if count != 1 else ''}")
        self._badge.setVisible(count > 0)

    def weight(self) -> int:
        """Rough height in rows, for balancing columns."""
        if not self.is_expanded():
            return 2
        return 2 + sum(self._form.isRowVisible(field) for field in self._fields)


class SectionFlow(QWidget):
    """Sections laid out top to bottom in one to three columns, by the width available."""

    def __init__(self, sections: list[CollapsibleSection], parent: QWidget | None = None):
        super().__init__(parent)
        self._sections = sections
        self._columns = 0
        self._build_ui()

    def _build_ui(self) -> None:
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(10)
        self._reflow(1)

    def column_count(self) -> int:
        """How many columns the sections use now."""
        return self._columns

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Re-flow when the width allows a different number of columns."""
        super().resizeEvent(event)
        needed = max(s.minimumSizeHint().width() for s in self._sections) + 10
        wanted = max(1, min(3, event.size().width() // needed))
        if wanted != self._columns:
            self._reflow(wanted)

    def _reflow(self, columns: int) -> None:
        while (item := self._row.takeAt(0)) is not None:
            old = item.layout()
            if old is not None:
                while old.takeAt(0) is not None:  # the sections stay, parented to self
                    pass
                old.deleteLater()
        for group in _balanced_split(self._sections, columns):
            column = QVBoxLayout()
            column.setSpacing(8)
            for section in group:
                column.addWidget(section)
            column.addStretch(1)
            self._row.addLayout(column, 1)
        self._columns = columns


def _balanced_split(sections: list[CollapsibleSection],
                    columns: int) -> list[list[CollapsibleSection]]:
    """Consecutive groups, reading order kept, with the tallest column as short as can be."""
    columns = min(columns, len(sections))
    weights = [s.weight() for s in sections]
    best: list[list[CollapsibleSection]] = [sections]
    best_height = sum(weights)
    for cuts in combinations(range(1, len(sections)), columns - 1):
        bounds = [0, *cuts, len(sections)]
        height = max(sum(weights[a:b]) for a, b in pairwise(bounds))
        if height < best_height:
            best_height = height
            best = [sections[a:b] for a, b in pairwise(bounds)]
    return best


def build_sections(specs: Sequence[FieldSpec], fields: Mapping[str, FieldEditor]
                   ) -> list[CollapsibleSection]:
    """One collapsible section per schema section, holding its fields in schema order."""
    sections: dict[str, CollapsibleSection] = {}
    for spec in specs:
        if spec.section not in sections:
            title = SECTION_TITLES.get(spec.section, spec.section.capitalize())
            sections[spec.section] = CollapsibleSection(title, section_doc(spec.section))
        sections[spec.section].add_field(fields[spec.key])
    return list(sections.values())
