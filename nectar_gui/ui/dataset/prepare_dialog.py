""""Prepare a dataset from two folders": the dialog in front of ``core.data.prepare``.

The user picks the A and B folders, the layout, the split percentages and a size, and
sees what would be written (the plan, with unmatched files) before anything happens.
Planning lists the folders on a pool thread, and writing runs on a worker thread with
progress, time left and Cancel; the finished folder is handed to the Dataset tab, which
opens it.
"""

from __future__ import annotations

import time
from html import escape
from pathlib import Path

from PySide6.QtCore import QThread, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.core.data.prepare import (
    PrepareLayout,
    PrepareOptions,
    PreparePlan,
    PrepareResult,
)
from nectar_gui.core.formatting import format_duration
from nectar_gui.workers.dataset import PreparePlanner, PrepareWorker, start_worker_thread

LAYOUTS: tuple[tuple[PrepareLayout, str], ...] = (
    ("aligned", "Aligned: A|B side by side in train/, val/ (pix2pix)"),
    ("paired", "Paired: A/ and B/ folders in train/, val/ (pix2pix)"),
    ("unaligned", "Unaligned: trainA/, trainB/, no pairing (CycleGAN)"),
)


class PrepareDialog(QDialog):
    """Two folders → a new dataset folder; ``prepared`` carries it once written."""

    prepared = Signal(str)  # the new dataset folder

    def __init__(self, parent: QWidget | None = None, *, start_dir: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Prepare a dataset from two folders")
        self.start_dir = start_dir or str(Path.home())
        self.plan: PreparePlan | None = None
        self.written: PrepareResult | None = None
        self._worker: PrepareWorker | None = None
        self._thread: QThread | None = None
        self._started = 0.0
        self._error: str | None = None  # the writer's failure, shown until the next try
        self._replan = QTimer(self, singleShot=True, interval=150)
        self._planner = PreparePlanner()  # unparented: see its docstring
        self._plan_number = 0  # of the latest plan request; older answers are dropped
        self._write_when_planned = False  # Prepare was pressed: write once planned
        self._build_ui()
        self._connect()
        self._update_plan()

    def _build_ui(self) -> None:
        self.a_edit, self.b_edit, self.out_edit = QLineEdit(), QLineEdit(), QLineEdit()
        self.a_edit.setPlaceholderText("the A images (e.g. photos)")
        self.b_edit.setPlaceholderText("the B images, same file names for pairs")
        self.out_edit.setPlaceholderText("a new, empty folder")
        self.layout_combo = QComboBox()
        for key, text in LAYOUTS:
            self.layout_combo.addItem(text, key)
        self.val_spin, self.test_spin = _percent(), _percent()
        self.seed_spin = QSpinBox(maximum=2**31 - 1)
        self.resize_box = QCheckBox("Shorter side to")
        self.size_spin = QSpinBox(minimum=8, maximum=8192, value=256, suffix=" px")
        self.size_spin.setEnabled(False)
        self.overwrite_box = QCheckBox("Replace the output folder if it is not empty")
        form = QFormLayout()
        form.addRow("A folder", self._with_browse(self.a_edit))
        form.addRow("B folder", self._with_browse(self.b_edit))
        form.addRow("Write to", self._with_browse(self.out_edit))
        form.addRow("Layout", self.layout_combo)
        split = QHBoxLayout()
        for label, widget in (("val", self.val_spin), ("test", self.test_spin),
                              ("seed", self.seed_spin)):
            split.addWidget(QLabel(label))
            split.addWidget(widget)
        split.addStretch(1)
        form.addRow("Split", split)
        size = QHBoxLayout()
        size.addWidget(self.resize_box)
        size.addWidget(self.size_spin)
        size.addStretch(1)
        form.addRow("Resize", size)
        form.addRow("", self.overwrite_box)
        self.plan_view = QPlainTextEdit(readOnly=True)
        self.plan_view.setMinimumHeight(110)
        self.progress = QProgressBar()
        self.progress.hide()
        self.status = QLabel(wordWrap=True)
        self.buttons = QDialogButtonBox()
        self.prepare_button = self.buttons.addButton(
            "Prepare", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        column = QVBoxLayout(self)
        column.addWidget(QLabel("Originals are never changed: the images are converted to "
                                "RGB PNG and written to a new folder."))
        column.addLayout(form)
        column.addWidget(QLabel("What will be written:"))
        column.addWidget(self.plan_view, 1)
        column.addWidget(self.progress)
        column.addWidget(self.status)
        column.addWidget(self.buttons)
        self.resize(640, 520)

    def _with_browse(self, edit: QLineEdit) -> QWidget:
        button = QPushButton("Browse…")
        button.clicked.connect(lambda: self._browse(edit))
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        layout.addWidget(button)
        return row

    def _connect(self) -> None:
        for edit in (self.a_edit, self.b_edit, self.out_edit):
            edit.textChanged.connect(self._replan.start)
        for spin in (self.val_spin, self.test_spin, self.seed_spin, self.size_spin):
            spin.valueChanged.connect(self._replan.start)
        for box in (self.resize_box, self.overwrite_box):
            box.toggled.connect(self._replan.start)
        self.resize_box.toggled.connect(self.size_spin.setEnabled)
        self.layout_combo.currentIndexChanged.connect(self._replan.start)
        self._replan.timeout.connect(self._update_plan)
        self._planner.planned.connect(self._on_planner_planned)
        self.prepare_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.reject)

    # ---- the plan -----------------------------------------------------------------------
    def options(self) -> PrepareOptions | None:
        """The options on screen (None until both folders and the output are named)."""
        a, b, out = (e.text().strip() for e in (self.a_edit, self.b_edit, self.out_edit))
        if not (a and b and out):
            return None
        return PrepareOptions(
            Path(a), Path(b), Path(out), layout=self.layout_combo.currentData(),
            val=self.val_spin.value(), test=self.test_spin.value(),
            seed=self.seed_spin.value(),
            size=self.size_spin.value() if self.resize_box.isChecked() else None,
            overwrite=self.overwrite_box.isChecked())

    def _update_plan(self) -> None:
        """Ask for a new plan (the answer arrives in ``_on_planner_planned``)."""
        self._suggest_output()
        options, self.plan = self.options(), None
        self._plan_number += 1
        if options is None:
            self._write_when_planned = False
            self.plan_view.setPlainText("Choose the A and B folders and where to write.")
        else:
            self.plan_view.setPlainText("Looking at the folders…")
            self._planner.request(self._plan_number, options)
        self.prepare_button.setEnabled(False)

    def _on_planner_planned(self, number: int, result: PreparePlan | str) -> None:
        if number != self._plan_number:
            return  # the folders or options changed since this was asked
        self.plan = result if isinstance(result, PreparePlan) else None
        self.plan_view.setPlainText(self.plan.describe() if self.plan else str(result))
        self.prepare_button.setEnabled(self.plan is not None and self._thread is None)
        if self._write_when_planned:
            self._write_when_planned = False
            self._write()

    def _suggest_output(self) -> None:
        """Once both folders are chosen, offer "<A>-<B>" beside A as the output."""
        a, b = self.a_edit.text().strip(), self.b_edit.text().strip()
        if a and b and not self.out_edit.text().strip():
            self.out_edit.blockSignals(True)
            self.out_edit.setText(str(Path(a).parent / f"{Path(a).name}-{Path(b).name}"))
            self.out_edit.blockSignals(False)

    def _browse(self, edit: QLineEdit) -> None:
        start = edit.text().strip() or self.start_dir
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder", start)
        if folder:
            self.start_dir = str(Path(folder).parent)
            edit.setText(folder)

    # ---- writing ------------------------------------------------------------------------
    def start(self) -> None:
        """Plan afresh (the folders may have changed since the last look), then write on a
        worker thread; the dialog stays responsive throughout."""
        if self._thread is None:
            self._write_when_planned = True
            self._update_plan()

    def _write(self) -> None:
        if self.plan is None or self._thread is not None:
            return
        self._worker = PrepareWorker(self.plan)
        self._worker.progress.connect(self._on_worker_progress)
        self._worker.error.connect(self._on_worker_error)
        self._worker.finished.connect(self._on_worker_finished)
        self._started, self._error = time.monotonic(), None
        self.progress.setRange(0, len(self.plan.files))
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText("Writing…")
        self.prepare_button.setEnabled(False)
        self._thread = start_worker_thread(self._worker, "dataset-prepare")

    def cancel(self) -> None:
        """Stop writing; nothing is left behind."""
        if self._worker is not None:
            self._worker.cancel()

    def busy(self) -> bool:
        """Writing, or about to write once the fresh plan arrives."""
        return self._thread is not None or self._write_when_planned

    def skipped_note(self) -> str:
        """The unreadable files left out of the last dataset written ("" when none)."""
        skipped = self.written.skipped if self.written is not None else ()
        if not skipped:
            return ""
        return (f"{len(skipped):,} unreadable file(s) were left out while preparing: "
                f"{'; '.join(skipped[:3])}")

    def _on_worker_progress(self, done: int, total: int) -> None:
        self.progress.setValue(done)
        elapsed = time.monotonic() - self._started
        left = format_duration(elapsed / done * (total - done)) if done else "…"
        self.status.setText(f"Writing image {done:,} of {total:,} · about {left} left")

    def _on_worker_error(self, message: str) -> None:
        self._error = message
        self.status.setText(f"<span style='color:#c0392b'>{escape(message)}</span>")

    def _on_worker_finished(self, result: PrepareResult | None) -> None:
        if self._thread is not None:
            self._thread.wait()
        self._thread, self._worker, self.written = None, None, result
        self.progress.hide()
        self._update_plan()
        if result is None:
            if self._error is None:
                self.status.setText("Cancelled; nothing was written.")
            return
        self.prepared.emit(str(result.out))
        self.accept()

    def reject(self) -> None:
        """Cancel (or Escape) while writing stops the writer first, then closes."""
        self._write_when_planned = False
        if self._thread is not None:
            self.cancel()
            self._thread.wait()
            self._thread = None
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.reject()
        event.accept()


def _percent() -> QDoubleSpinBox:
    spin = QDoubleSpinBox(minimum=0, maximum=90, decimals=0, suffix=" %")
    spin.setSingleStep(5)
    return spin
