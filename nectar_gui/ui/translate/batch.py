"""The batch dialog: where translations of many files go, in which format, and what to do
about outputs that already exist — all decided before anything is written."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.core.formatting import format_duration
from nectar_gui.workers.translate_batch import (
    BatchRequest,
    BatchResult,
    ExistingPolicy,
    existing_outputs,
    output_name,
)

FORMATS = {".png": "PNG (lossless)", ".jpg": "JPEG (quality 95)", ".webp": "WebP (quality 95)"}
POLICIES: dict[str, str] = {
    "skip": "Skip them — keep the existing files",
    "overwrite": "Overwrite them",
    "rename": "Keep both — number the new files",
}
_ARROWS = {"AtoB": "A → B", "BtoA": "B → A"}


def default_output_dir(inputs: list[Path]) -> Path:
    """A ``translated`` folder next to the first input."""
    return inputs[0].parent / "translated" if inputs else Path.home() / "translated"


class BatchDialog(QDialog):
    """Output folder, format and existing-file policy for a batch of ``inputs``."""

    def __init__(self, inputs: list[Path], direction: str, *, output_dir: Path,
                 suffix: str = ".png", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inputs = inputs
        self.direction = direction
        self.setWindowTitle("Translate several images")
        self._build_ui(output_dir, suffix)
        self.folder_edit.textChanged.connect(self._update)
        self.format_combo.currentIndexChanged.connect(self._update)
        self.browse_button.clicked.connect(self._on_browse_clicked)
        self._update()

    def _build_ui(self, output_dir: Path, suffix: str) -> None:
        folders = sorted({str(p.parent) for p in self.inputs})
        where = escape(folders[0]) if len(folders) == 1 else f"{len(folders)} folders"
        summary = QLabel(f"<b>{len(self.inputs)} image{'s' if len(self.inputs) != 1 else ''}"
                         f"</b> from {where}, translated "
                         f"{_ARROWS.get(self.direction, self.direction)}.")
        summary.setWordWrap(True)
        self.folder_edit = QLineEdit(str(output_dir))
        self.browse_button = QPushButton("Browse…")
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        self.format_combo = QComboBox()
        for key, text in FORMATS.items():
            self.format_combo.addItem(text, key)
        self.format_combo.setCurrentIndex(max(0, self.format_combo.findData(suffix)))
        self.names_label = QLabel()
        self.names_label.setEnabled(False)
        self.conflict_label = QLabel()
        self.conflict_label.setWordWrap(True)
        self.policy_combo = QComboBox()
        for key, text in POLICIES.items():
            self.policy_combo.addItem(text, key)
        form = self._form = QFormLayout()
        form.addRow("Output folder", folder_row)
        form.addRow("Format", self.format_combo)
        form.addRow("", self.names_label)
        form.addRow(self.conflict_label)
        form.addRow("Existing files", self.policy_combo)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = self.buttons.addButton("Translate",
                                                   QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())

    def output_dir(self) -> Path | None:
        text = self.folder_edit.text().strip()
        return Path(text).expanduser() if text else None

    def suffix(self) -> str:
        return str(self.format_combo.currentData())

    def policy(self) -> ExistingPolicy:
        key = self.policy_combo.currentData()
        return key if key in ("skip", "overwrite", "rename") else "skip"

    def set_policy(self, policy: str) -> None:
        self.policy_combo.setCurrentIndex(max(0, self.policy_combo.findData(policy)))

    def conflicts(self) -> list[Path]:
        folder = self.output_dir()
        if folder is None or not folder.is_dir():
            return []
        return existing_outputs(self.inputs, folder, self.direction, self.suffix())

    def request(self, tile: int | None) -> BatchRequest:
        folder = self.output_dir()
        assert folder is not None  # the Translate button is disabled without one
        return BatchRequest(tuple(self.inputs), folder, self.direction, self.suffix(),
                            self.policy(), tile)

    def _update(self) -> None:
        example = self.inputs[0] if self.inputs else Path("photo.jpg")
        self.names_label.setText(f"Files are named like "
                                 f"{output_name(example, self.direction, self.suffix())}")
        existing = self.conflicts()
        self._form.setRowVisible(self.conflict_label, bool(existing))
        self._form.setRowVisible(self.policy_combo, bool(existing))
        if existing:
            names = ", ".join(p.name for p in existing[:3]) + (" …" if len(existing) > 3
                                                                 else "")
            self.conflict_label.setText(
                f"<b>{len(existing)} of {len(self.inputs)} output files already exist</b> "
                f"in this folder ({escape(names)}). What should happen to them?")
        folder = self.output_dir()
        self.start_button.setEnabled(folder is not None and bool(self.inputs))

    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder",
                                                  self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)


def ask_batch(parent: QWidget, inputs: list[Path], direction: str, *, output_dir: Path,
              suffix: str, tile: int | None) -> BatchRequest | None:
    """Show the batch dialog; the request to run, or None when the user cancelled."""
    dialog = BatchDialog(inputs, direction, output_dir=output_dir, suffix=suffix,
                         parent=parent)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    request = dialog.request(tile) if accepted else None
    dialog.deleteLater()
    return request


def summarize(result: BatchResult) -> str:
    """One line for the progress strip: what a finished batch did."""
    parts = [f"{len(result.written)} written"]
    if result.skipped:
        parts.append(f"{len(result.skipped)} kept (already there)")
    if result.failed:
        parts.append(f"{len(result.failed)} could not be translated")
    head = "Batch cancelled" if result.cancelled else "Batch done"
    return (f"{head}: {', '.join(parts)} of {result.total} in "
            f"{format_duration(result.seconds)} → {result.output_dir}")


def failure_text(result: BatchResult, limit: int = 15) -> str:
    """The unreadable or failed files, one per line, for a message box."""
    lines = [f"• {f.path.name}: {f.reason}" for f in result.failed[:limit]]
    if len(result.failed) > limit:
        lines.append(f"… and {len(result.failed) - limit} more")
    return "\n".join(lines)
