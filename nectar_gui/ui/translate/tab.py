"""The Translate tab: use a trained generator like a filter on photos of any size.

Pick a model (a workspace run and checkpoint, or a file), open / drop / paste an image,
press Translate, compare before and after, save; or translate a folder. Everything slow
happens elsewhere: decoding and saving on ``ImageFiles``' pool, loading and translating
on ``TranslateRunner``'s thread (which alone touches torch), listing runs on
``RunLister``'s pool. The tab starts them when it is first shown.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import QMessageBox, QVBoxLayout, QWidget

from nectar_gui.core.translate.info import GeneratorInfo
from nectar_gui.ui.translate.batch_flow import BatchFlow
from nectar_gui.ui.translate.clock import TranslateClock
from nectar_gui.ui.translate.compare import CompareView
from nectar_gui.ui.translate.controls import ImageControls, describe_image, save_target
from nectar_gui.ui.translate.image_input import read_mime
from nectar_gui.ui.translate.model import ModelChoice, ModelPicker
from nectar_gui.ui.translate.model_loading import ModelLoading
from nectar_gui.ui.translate.progress import TaskStrip
from nectar_gui.workers.image_files import ImageFiles, ShownImage
from nectar_gui.workers.run_list import RunLister
from nectar_gui.workers.translate import JobEnd, TileProgress, TranslateRunner, Translation

_ARROWS = {"AtoB": "A → B", "BtoA": "B → A"}
_DROP_HINT = "Drop an image here, paste one (Ctrl+V), or use Open image…"


def _shortcut(tab: QWidget, text: str, keys: str | QKeySequence.StandardKey, slot: object
              ) -> QAction:
    """An action of ``tab`` only (active while the tab is the current one)."""
    action = QAction(text, tab)
    action.setShortcut(QKeySequence(keys))
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.triggered.connect(slot)
    tab.addAction(action)
    return action


class TranslateTab(QWidget):
    """Translate images with a trained generator; compare, save, batch.

    Args:
        workspace: holds ``runs/``, whose checkpoints the model picker lists.
        settings: remembers the last model, folders, format and view mode.
    """

    TAB_TIP = ("Use a trained model on your own images: translate, compare before and after, "
               "save, do whole folders")

    def __init__(self, *, workspace: Path, settings: QSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.settings = settings
        self.runner = TranslateRunner(self)
        self.files = ImageFiles(self)
        self.lister = RunLister(self)
        self.image: ShownImage | None = None
        self.output: Translation | None = None
        self._started = False
        self._translate_job: int | None = None  # the job whose result belongs to ``image``
        self._build_ui()
        self._connect()
        self._restore_state()
        self._update()

    def _build_ui(self) -> None:
        self.setAcceptDrops(True)
        self.picker = ModelPicker()
        self.controls = ImageControls()
        self.strip = TaskStrip()
        self.compare = CompareView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.picker)
        layout.addWidget(self.controls)
        layout.addWidget(self.compare, 1)
        self.compare.add_to_bar(self.strip)
        self.clock = TranslateClock(self, self.strip)
        self.model = ModelLoading(self, runner=self.runner, picker=self.picker,
                                  controls=self.controls, settings=self.settings)
        self.batch = BatchFlow(self, runner=self.runner, controls=self.controls,
                               strip=self.strip, settings=self.settings,
                               problem=self._batch_problem)
        self.translate_action = _shortcut(self, "Translate the image", "Ctrl+T", self.translate)
        self.paste_action = _shortcut(self, "Paste an image or a file path",
                                           QKeySequence.StandardKey.Paste, self.paste)
        _shortcut(self, "Open image…", "Ctrl+O", self.controls.open_button.click)
        _shortcut(self, "Save the translation…", QKeySequence.StandardKey.Save,
                       self.controls.save_button.click)

    def _connect(self) -> None:
        c, w = self.controls, self.runner.worker
        self.model.changed.connect(self._update)
        c.open_button.clicked.connect(self._on_open_clicked)
        c.translate_button.clicked.connect(self.translate)
        c.save_button.clicked.connect(self._on_save_clicked)
        c.copy_button.clicked.connect(self.copy_output)
        self.strip.cancel_requested.connect(self.runner.cancel)
        self.compare.mode_changed.connect(
            lambda mode: self.settings.setValue("translate/view", mode))
        for combo, key, read in ((c.tile_combo, "tile", c.tile),
                                 (c.memory_combo, "max_memory", c.max_memory)):
            combo.currentIndexChanged.connect(  # remembered for the next start
                lambda _i, k=key, r=read: self.settings.setValue(f"translate/{k}", r() or ""))
        self.runner.busy_changed.connect(lambda _busy: self._update())
        w.tile_progress.connect(self._on_worker_tile_progress)
        w.translated.connect(self._on_worker_translated)
        w.translate_failed.connect(self._on_worker_translate_failed)
        self.batch.started.connect(self._update)
        w.finished.connect(self._on_worker_finished)
        self.files.opened.connect(self.set_image)
        self.files.open_failed.connect(self._on_files_open_failed)
        self.files.saved.connect(self._on_files_saved)
        self.files.save_failed.connect(self._on_files_save_failed)
        self.lister.listed.connect(self.picker.set_runs)

    def _restore_state(self) -> None:
        s = self.settings
        self.compare.set_mode(str(s.value("translate/view", "side")))
        self.controls.set_tile(s.value("translate/tile"))
        self.controls.set_max_memory(s.value("translate/max_memory"))
        self.picker.start_dir = str(s.value("translate/model_dir", ""))
        self.picker.set_device(str(s.value("translate/device", "auto")))

    def _setting_path(self, key: str) -> Path | None:
        value = self.settings.value(f"translate/{key}")
        return Path(value) if isinstance(value, str) and value else None

    # ---- lifecycle ----------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.start()

    def start(self) -> None:
        """Find devices, list runs and reopen the last model (once, on first show)."""
        if self._started:
            self.refresh_runs()
            return
        self._started = True
        self.runner.probe_devices()
        self.refresh_runs()
        self.model.reopen_last()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()  # shown as a window of its own (tests, embedding)
        super().closeEvent(event)

    def refresh_runs(self) -> None:
        """List the workspace's runs again (after training saved a checkpoint)."""
        self.lister.refresh(self.workspace)

    def shutdown(self, timeout_ms: int = 60_000) -> bool:
        """Cancel work and join every helper thread (the window is closing)."""
        ended = self.runner.shutdown(timeout_ms)
        ended = self.files.wait(timeout_ms) and ended
        return self.lister.wait(timeout_ms) and ended

    # ---- model --------------------------------------------------------------------------
    @property
    def info(self) -> GeneratorInfo | None:
        """What the loaded generator is, or None before one has loaded."""
        return self.model.info

    def load_model(self, choice: ModelChoice) -> None:
        """Load ``choice`` on the worker thread; the picker shows the outcome."""
        self.model.load(choice)

    # ---- image --------------------------------------------------------------------------
    def open_image(self, path: Path) -> None:
        """Decode ``path`` in the background; it replaces the current image."""
        self.strip.idle(f"Opening {path.name}…")
        self.files.open(path)

    def set_image(self, image: ShownImage) -> None:
        self.image, self.output, self._translate_job = image, None, None
        if image.path is not None:
            self.settings.setValue("translate/open_dir", str(image.path.parent))
        self.compare.set_input(image.levels, describe_image(image))
        self.strip.idle("")
        self._update()

    def _on_open_clicked(self) -> None:
        path = self.controls.ask_image(str(self._setting_path("open_dir") or ""))
        if path is not None:
            self.open_image(path)

    def _on_files_open_failed(self, message: str) -> None:
        self.strip.idle(message)
        QMessageBox.warning(self, "Cannot open the image", message)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasImage() or any(u.isLocalFile() for u in mime.urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths, pixels = read_mime(event.mimeData(), text_paths=False)
        if paths or pixels is not None:
            event.acceptProposedAction()
            self._take(paths, pixels, "dropped image")

    def paste(self) -> None:
        """Ctrl+V: an image, image files, or a file path from the clipboard."""
        paths, pixels = read_mime(QGuiApplication.clipboard().mimeData(), text_paths=True)
        if paths or pixels is not None:
            self._take(paths, pixels, "pasted image")
        else:
            self.strip.idle("The clipboard holds no image and no path to an image file.")

    def _take(self, paths: list[Path], pixels: np.ndarray | None, name: str) -> None:
        if paths:
            self.open_paths(paths)
        elif pixels is not None:
            self.files.adopt(pixels, name)

    def open_paths(self, paths: list[Path]) -> None:
        """One file opens; a folder or several files become a batch."""
        if len(paths) == 1 and paths[0].is_file():
            self.open_image(paths[0])
        else:
            self.start_batch(paths)

    # ---- translate ----------------------------------------------------------------------
    def translate(self) -> None:
        """Translate the current image with the loaded model (Ctrl+T)."""
        problem = self._translate_problem()
        if problem or self.image is None:
            self.strip.idle(problem or "")
            return
        self._translate_job = self.runner.translate(
            self.image.pixels, direction=self.controls.direction(), tile=self.controls.tile(),
            max_memory=self.controls.max_memory())
        self.strip.busy("Translating…")
        self.clock.start(self.image.pixels.shape[0] * self.image.pixels.shape[1])
        self._update()

    def _translate_problem(self) -> str | None:
        if self.info is None:
            return "Pick a model first."
        if self.image is None:
            return _DROP_HINT
        if self.runner.busy:
            return "Wait for the current task to finish, or cancel it."
        return None

    def _batch_problem(self) -> str | None:
        if self.info is None or self.runner.busy:
            return self._translate_problem() or "Pick a model first."
        return None

    def _on_worker_tile_progress(self, p: TileProgress) -> None:
        if "translate" in self.runner.running_kinds():
            self.clock.tiles(p.done, p.total)

    def _on_worker_translated(self, result: Translation) -> None:
        if result.job != self._translate_job:
            return  # another image was opened meanwhile
        self.output = result
        self.clock.finished(result.seconds)
        step = f" · step {result.info.step:,}" if result.info.step is not None else ""
        caption = (f"<b>Output</b> · {_ARROWS.get(result.direction, result.direction)}"
                   f"{step} · {result.pixels.shape[1]}×{result.pixels.shape[0]}")
        self.compare.set_output(result.levels, caption)
        self.strip.idle(f"Translated in {result.seconds:.1f} s"
                        + (f" · {result.plan}" if result.plan else "."))
        self.strip.label.setToolTip(result.plan)
        self._update()

    def _on_worker_translate_failed(self, message: str) -> None:
        self.clock.stop()
        self.strip.idle(message)
        QMessageBox.warning(self, "Translation failed", message)

    # ---- save, copy ---------------------------------------------------------------------
    def _on_save_clicked(self) -> None:
        if self.output is None or self.image is None:
            return
        folder = self._setting_path("save_dir") or (
            self.image.path.parent if self.image.path else Path.home())
        target = save_target(self, self.image, self.output.direction, folder,
                             str(self.settings.value("translate/format", ".png")))
        if target is not None:
            self.settings.setValue("translate/save_dir", str(target.parent))
            self.settings.setValue("translate/format", target.suffix.lower())
            self.strip.idle(f"Saving {target.name}…")
            self.files.save(self.output.pixels, target)

    def _on_files_saved(self, path: str) -> None:
        self.strip.idle(f"Saved {path}")

    def _on_files_save_failed(self, message: str) -> None:
        self.strip.idle(message)
        QMessageBox.warning(self, "Not saved", message)

    def copy_output(self) -> None:
        if self.output is not None:
            QGuiApplication.clipboard().setImage(self.output.levels[0])
            self.strip.idle("Copied the translation to the clipboard.")

    # ---- batch --------------------------------------------------------------------------
    def start_batch(self, paths: list[Path]) -> None:
        """Ask where and how, then translate ``paths`` (files and folders) in the background."""
        self.batch.start(paths)

    def _on_worker_finished(self, end: JobEnd) -> None:
        if end.kind == "translate":
            self.clock.stop()
        if end.outcome == "cancelled" and end.kind == "translate":
            self.strip.idle("Translation cancelled.")

    # ---- state --------------------------------------------------------------------------
    def _update(self) -> None:
        busy = self.runner.busy
        ready = self.info is not None and self.image is not None
        # Loading another model while images are being translated would change the
        # model under the user's feet; a load itself may be replaced by another.
        self.picker.setEnabled(not {"translate", "batch"} & self.runner.running_kinds())
        self.controls.update_state(can_translate=ready and not busy,
                                   has_output=self.output is not None,
                                   can_batch=self.info is not None and not busy)
        self.translate_action.setEnabled(ready and not busy)
        model_line = "" if self.info else ("1.  Pick a model above: a run of this workspace, "
                                           "or Open model… for a .pth or .onnx file.\n\n2.  ")
        self.compare.set_placeholders(
            model_line + _DROP_HINT,
            "Translating…" if "translate" in self.runner.running_kinds() else
            "Press Translate (Ctrl+T) to see the result here." if ready else
            "The translation appears here.")
