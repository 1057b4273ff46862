"""The Translate tab's action row (open, translate, direction, tiles, save, copy, batch)
and the file dialogs behind it."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QWidget,
)

from nectar_gui.core.data.images import IMAGE_SUFFIXES
from nectar_gui.ui.widgets.flow_layout import FlowLayout, flow_group
from nectar_gui.workers.image_files import SAVE_FORMATS, ShownImage
from nectar_gui.workers.translate_batch import output_name

TILE_SIZES = (256, 512, 1024, 2048)
_GB = 1024 ** 3
MEMORY_CHOICES: tuple[tuple[str, int | None], ...] = (
    ("Automatic", None), ("512 MB", _GB // 2), ("1 GB", _GB), ("2 GB", 2 * _GB),
    ("4 GB", 4 * _GB), ("8 GB", 8 * _GB), ("16 GB", 16 * _GB))
IMAGE_FILTER = ("Images (" + " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES))
                + ");;All files (*)")
SAVE_FILTERS = {".png": "PNG image (*.png)", ".jpg": "JPEG image (*.jpg *.jpeg)",
                ".webp": "WebP image (*.webp)"}
_MODES = {"L": "grey", "RGB": "RGB", "RGBA": "RGB + transparency", "P": "palette",
          "I;16": "16-bit grey", "I;16B": "16-bit grey", "I": "32-bit grey",
          "F": "float grey", "CMYK": "CMYK", "LA": "grey + transparency", "1": "1-bit"}


def describe_image(image: ShownImage) -> str:
    """Caption of the input view: name, size and what the file held."""
    mode = _MODES.get(image.mode, image.mode)
    return (f"<b>Input</b> · {escape(image.name)} · {image.width}×{image.height} · "
            f"{escape(mode)}")


def save_target(parent: QWidget, image: ShownImage, direction: str, folder: Path,
                suffix: str) -> Path | None:
    """Ask where to save; refuse the input file itself. None when cancelled or refused."""
    suffix = suffix if suffix in SAVE_FILTERS else ".png"
    stem = image.path.stem if image.path else image.name.replace(" ", "-")
    proposed = folder / output_name(Path(stem), direction, suffix)
    picked, chosen_filter = QFileDialog.getSaveFileName(
        parent, "Save the translation", str(proposed), ";;".join(SAVE_FILTERS.values()),
        SAVE_FILTERS[suffix])
    if not picked:
        return None
    target = Path(picked)
    if not target.suffix:
        wanted = next((s for s, f in SAVE_FILTERS.items() if f == chosen_filter), ".png")
        target = target.with_suffix(wanted)
    if target.suffix.lower() not in SAVE_FORMATS:
        QMessageBox.warning(parent, "Not saved", f"{target.name}: Nectar saves PNG (.png), "
                            f"JPEG (.jpg) or WebP (.webp). Choose one of these.")
        return None
    if image.path is not None and _same_file(target, image.path):
        QMessageBox.warning(parent, "Not saved", f"{target.name} is the input image. Saving "
                            f"there would replace your original; choose another name.")
        return None
    return target


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and a.samefile(b))
    except OSError:
        return False


class ImageControls(QWidget):
    """Buttons and choices for one image; the tab connects them and sets their state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("Open a photo of any size (Ctrl+O); you can also drop "
                                    "one here or paste it with Ctrl+V")
        self.translate_button = QPushButton("Translate")
        self.translate_button.setDefault(True)
        self.translate_button.setToolTip("Translate the image at full resolution (Ctrl+T)")
        self.direction_combo = QComboBox()
        self.direction_combo.addItem("A → B", "AtoB")
        self.direction_combo.addItem("B → A", "BtoA")
        self.tile_combo = QComboBox()
        self.tile_combo.addItem("Auto", None)
        for size in TILE_SIZES:
            self.tile_combo.addItem(f"{size} px", size)
        self.tile_combo.setToolTip("Auto translates whole when the image fits the memory "
                                   "budget, else in tiles that use the whole image's "
                                   "statistics (the same result). A size forces tiles of it.")
        self.memory_combo = QComboBox()
        for label, budget in MEMORY_CHOICES:
            self.memory_combo.addItem(label, budget)
        self.memory_combo.setToolTip(
            "Memory the translation may use. Within it an image goes through whole; a "
            "larger one is streamed in tiles with the whole image's statistics, so the "
            "result is the same. Automatic: half of the free memory.")
        self.save_button = QPushButton("Save…")
        self.save_button.setToolTip("Save the translation as PNG, JPEG or WebP (Ctrl+S)")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the translation to the clipboard")
        self.batch_button = QToolButton()
        self.batch_button.setText("Translate a folder…")
        self.batch_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.batch_button.setToolTip("Translate every image of a folder, or several files, "
                                     "into an output folder")
        menu = QMenu(self.batch_button)
        self.batch_folder_action = menu.addAction("A folder…")
        self.batch_files_action = menu.addAction("Several files…")
        self.batch_button.setMenu(menu)
        self.batch_button.clicked.connect(self.batch_folder_action.trigger)
        self._build_layout()
        self.set_directions(())

    def _build_layout(self) -> None:
        flow = FlowLayout(self, spacing=8)  # a narrow window gets a second row
        flow.setContentsMargins(0, 4, 0, 4)
        for group in (flow_group(self.open_button, self.translate_button),
                      flow_group(QLabel("Direction"), self.direction_combo),
                      flow_group(QLabel("Tiles"), self.tile_combo),
                      flow_group(QLabel("Memory"), self.memory_combo),
                      flow_group(self.save_button, self.copy_button),
                      flow_group(self.batch_button)):
            flow.addWidget(group)

    def set_directions(self, directions: tuple[str, ...]) -> None:
        """Enable B → A only for models that have it, and say why when not."""
        both = "BtoA" in directions
        self.direction_combo.setEnabled(both)
        if not both:
            self.direction_combo.setCurrentIndex(0)
        self.direction_combo.setToolTip(
            "Which generator of the CycleGAN pair to use" if both else
            "Pick a model first." if not directions else
            "This model has a single generator (pix2pix, or one reference generator "
            "file), so it translates A → B only. CycleGAN runs translate both ways.")

    def direction(self) -> str:
        return str(self.direction_combo.currentData())

    def tile(self) -> int | None:
        data = self.tile_combo.currentData()
        return data if isinstance(data, int) else None

    def max_memory(self) -> int | None:
        """The memory budget in bytes (None: automatic)."""
        data = self.memory_combo.currentData()
        return data if isinstance(data, int) else None

    def set_max_memory(self, value: object) -> None:
        """Choose the budget closest to ``value`` bytes (anything unreadable: automatic)."""
        try:
            size = int(str(value))
        except ValueError:
            size = -1
        self.memory_combo.setCurrentIndex(max(0, self.memory_combo.findData(size)))

    def set_tile(self, value: object) -> None:
        try:
            size = int(str(value))
        except ValueError:
            size = -1
        self.tile_combo.setCurrentIndex(max(0, self.tile_combo.findData(size)))

    def update_state(self, *, can_translate: bool, has_output: bool, can_batch: bool) -> None:
        self.translate_button.setEnabled(can_translate)
        self.save_button.setEnabled(has_output)
        self.copy_button.setEnabled(has_output)
        self.batch_button.setEnabled(can_batch)

    # ---- dialogs ------------------------------------------------------------------------
    def ask_image(self, start: str) -> Path | None:
        picked, _ = QFileDialog.getOpenFileName(self, "Open an image", start, IMAGE_FILTER)
        return Path(picked) if picked else None

    def ask_folder(self, start: str) -> Path | None:
        picked = QFileDialog.getExistingDirectory(self, "Translate every image of a folder",
                                                  start)
        return Path(picked) if picked else None

    def ask_files(self, start: str) -> list[Path]:
        picked, _ = QFileDialog.getOpenFileNames(self, "Translate these images", start,
                                                 IMAGE_FILTER)
        return [Path(p) for p in picked]
