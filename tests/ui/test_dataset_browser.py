"""DatasetBrowser: real widget and worker threads, offscreen, real files in tmp_path."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from nectar_gui.core.config import DataSection
from nectar_gui.core.data import ScanResult
from nectar_gui.ui.dataset.browser import DatasetBrowser
from nectar_gui.workers.dataset import DemoOptions

TIMEOUT = 20_000
MANY = 3000


def _png(path: Path, width: int, height: int, value: int = 0) -> None:
    pixels = np.full((height, width, 3), value % 256, dtype=np.uint8)
    Image.fromarray(pixels).save(path)


@pytest.fixture(scope="session")
def many_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An aligned dataset of 3,000 tiny (16×8) PNG files."""
    root = tmp_path_factory.mktemp("many")
    (root / "train").mkdir()
    for i in range(MANY):
        _png(root / "train" / f"{i:05d}.png", 16, 8, i)
    return root


def _wait_for_scan(qtbot: QtBot, browser: DatasetBrowser) -> None:
    qtbot.waitUntil(lambda: not browser.scan_running(), timeout=TIMEOUT)


def test_empty_state_offers_the_demo(browser: DatasetBrowser) -> None:
    assert browser.pages.currentWidget() is browser.empty_state
    assert not browser.empty_state.demo_button.isEnabled()  # no demo folder yet
    browser.set_demo_folder("/somewhere/demo")
    assert browser.empty_state.demo_button.isEnabled()
    assert browser.empty_state.demo_button.text() == "Use the demo dataset"
    browser.set_model_kind("pix2pix")
    assert "façade pairs" in browser.empty_state.demo_label.text()


@pytest.mark.parametrize(("kind", "expected"), [
    ("pix2pix", "Aligned pairs (A|B side by side) · train 4 · val 2"),
    ("cyclegan", "Unaligned sets (trainA/ and trainB/, no pairs) · train 4 A / 4 B · "
                 "test 2 A / 2 B"),
])
def test_demo_button_writes_the_demo_and_shows_counts(
        qtbot: QtBot, browser: DatasetBrowser, tmp_path: Path, kind: str, expected: str) -> None:
    browser.set_demo_folder(tmp_path / "demo")
    browser.set_demo_options(DemoOptions(n_train=4, n_test=2, size=32))
    browser.set_model_kind(kind)
    browser.set_data_config(DataSection(load_size=32, crop_size=32))
    ready: list[str] = []
    browser.demo_ready.connect(ready.append)
    with qtbot.waitSignals([browser.root_changed, browser.demo_ready], order="strict",
                           timeout=TIMEOUT):
        qtbot.mouseClick(browser.empty_state.demo_button, Qt.MouseButton.LeftButton)
    assert len(ready) == 1 and Path(ready[0]).parent == tmp_path / "demo"
    assert browser.root() == Path(ready[0])
    assert browser.pages.currentWidget() is not browser.empty_state
    assert browser.header.summary_label.text() == f"<b>{expected}</b>"
    _wait_for_scan(qtbot, browser)
    files = 8 if kind == "cyclegan" else 4
    assert browser.problems.status.text() == f"All {files} images read fine."


def test_unknown_layout_shows_the_reason_and_the_layouts(qtbot: QtBot, browser: DatasetBrowser,
                                                         tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    _png(tmp_path / "photos" / "cat.png", 8, 8)
    with qtbot.assertNotEmitted(browser.root_changed):
        assert not browser.set_root(tmp_path)
    assert browser.body.currentWidget() is browser.layout_help
    message = browser.layout_help.message.text()
    assert str(tmp_path) in message
    # The panel lists the layouts once, under the message, not again inside it.
    assert "expected one of the layouts" not in message
    assert any("Expected one of these layouts" in label.text()
               for label in browser.layout_help.findChildren(QLabel))


def test_a_folder_of_images_gets_advice_that_matches(qtbot: QtBot, browser: DatasetBrowser,
                                                     tmp_path: Path) -> None:
    """Inside a dataset: pick the dataset. Loose images: put them in a layout."""
    for side in ("trainA", "trainB"):
        (tmp_path / "set" / side).mkdir(parents=True)
        (tmp_path / "set" / side / "broken.jpg").write_bytes(b"not a jpeg")
    assert not browser.set_root(tmp_path / "set" / "trainA")
    message = browser.layout_help.message.text()
    assert f"inside the dataset {tmp_path / 'set'}" in message and "choose that" in message
    (tmp_path / "loose").mkdir()
    for i in range(3):
        _png(tmp_path / "loose" / f"{i}.png", 8, 8)
    assert not browser.set_root(tmp_path / "loose")
    message = browser.layout_help.message.text()
    assert "its 3 images sit directly in it" in message and "folder above" not in message
    assert browser.layout_help.isVisible()
    assert browser.model.rowCount() == 0


def test_thumbnails_load_lazily_for_thousands_of_files(qtbot: QtBot, browser: DatasetBrowser,
                                                       many_files: Path) -> None:
    browser.set_data_config(DataSection(load_size=8, crop_size=8))
    assert browser.set_root(many_files)
    model = browser.model
    assert model.rowCount() == MANY
    qtbot.waitUntil(lambda: model.has_thumbnail(0), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: model.loader.idle, timeout=TIMEOUT)
    first_screen = model.loader.decoded
    assert 0 < first_screen <= 200, "only the items on screen are decoded"
    assert sum(model.has_thumbnail(row) for row in range(MANY)) == first_screen

    browser.grid.scrollToBottom()
    qtbot.waitUntil(lambda: browser.grid.indexAt(QPoint(30, 30)).row() > MANY - 100,
                    timeout=TIMEOUT)
    bottom_row = browser.grid.indexAt(QPoint(30, 30)).row()
    qtbot.waitUntil(lambda: model.has_thumbnail(bottom_row), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: model.loader.idle, timeout=TIMEOUT)
    assert model.loader.decoded <= first_screen + 200
    _wait_for_scan(qtbot, browser)


def test_cancel_a_scan(qtbot: QtBot, browser: DatasetBrowser, many_files: Path) -> None:
    finished: list[ScanResult | None] = []
    browser.scan_finished.connect(finished.append)
    browser.set_root(many_files)
    assert browser.scan_running() and browser.problems.cancel_button.isVisible()
    qtbot.mouseClick(browser.problems.cancel_button, Qt.MouseButton.LeftButton)
    assert not browser.scan_running()
    assert "cancelled" in browser.problems.status.text()
    assert browser.problems.rescan_button.isVisible()
    qtbot.waitUntil(lambda: not browser.jobs_running(), timeout=TIMEOUT)
    assert finished == []  # the cancelled check reports nothing


def test_truncated_jpeg_is_listed_and_selectable(qtbot: QtBot, browser: DatasetBrowser,
                                                 tmp_path: Path) -> None:
    (tmp_path / "train").mkdir()
    for i in range(3):
        _png(tmp_path / "train" / f"good{i}.png", 64, 32, 40 * i)
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 128, 3), np.uint8)).save(
        buffer, format="JPEG")
    (tmp_path / "train" / "broken.jpg").write_bytes(buffer.getvalue()[:len(buffer.getvalue()) // 2])
    browser.set_data_config(DataSection(load_size=32, crop_size=32))
    with qtbot.waitSignal(browser.scan_finished, timeout=TIMEOUT) as done:
        browser.set_root(tmp_path)
    assert done.args[0].counts["unreadable"] == 1
    texts = browser.problems.problems()
    # Once, with its side, the file name once and the reason in plain words.
    assert texts.count("A|B · broken.jpg: the file is cut short (truncated or still being "
                       "copied)") == 1, texts
    assert browser.problems.status.text().startswith("1 of 4 images unreadable")

    problem_list = browser.problems.list
    row = next(i for i, t in enumerate(texts) if "broken.jpg" in t)
    rect = problem_list.visualItemRect(problem_list.item(row))
    qtbot.mouseClick(problem_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    current = browser.model.item(browser.grid.currentIndex().row())
    assert current is not None and Path(current.path).name == "broken.jpg"
    broken_row = browser.grid.currentIndex().row()
    qtbot.waitUntil(lambda: browser.model.thumbnail_error(broken_row) is not None,
                    timeout=TIMEOUT)
    qtbot.waitUntil(lambda: "Cannot show broken.jpg" in browser.preview.status.text(),
                    timeout=TIMEOUT)


def test_selecting_an_item_shows_the_pair_and_the_crop(qtbot: QtBot, browser: DatasetBrowser,
                                                       paired_data: Path) -> None:
    browser.set_data_config(DataSection(load_size=36, crop_size=24, flip=True))
    browser.set_root(paired_data)
    preview = browser.preview
    with qtbot.waitSignal(browser.preview_loader.ready, timeout=TIMEOUT):
        browser.grid.setCurrentIndex(browser.model.index(2))
    assert "0002.png" in preview.pair_captions[0].text()
    assert preview.pair_a.image().size().toTuple() == (32, 32)  # left half of 64×32
    assert preview.pair_b.image().size().toTuple() == (32, 32)
    assert preview.crop_a.image().size().toTuple() == (24, 24)
    assert preview.crop_b.image().size().toTuple() == (24, 24)
    assert "random 24×24 crop" in preview.crop_title.text()

    before = preview.crop_a.image()
    for _ in range(20):  # a new draw moves the crop (or flips it) sooner or later
        with qtbot.waitSignal(browser.preview_loader.ready, timeout=TIMEOUT):
            qtbot.mouseClick(preview.shuffle_button, Qt.MouseButton.LeftButton)
        if preview.crop_a.image() != before:
            break
    assert preview.crop_a.image() != before
    _wait_for_scan(qtbot, browser)


def test_the_preview_shows_the_augmented_item_training_would_get(
        qtbot: QtBot, browser: DatasetBrowser, paired_data: Path) -> None:
    from nectar_gui.core.config import AugmentSection
    from nectar_gui.core.data.datasets import build_dataset
    from nectar_gui.core.data.images import to_uint8

    augment = AugmentSection(vflip=True, grayscale_p=1.0, color_sides="input", jpeg_p=1.0,
                             jpeg_quality_min=20, degrade_sides="both")
    cfg = DataSection(root=str(paired_data), load_size=36, crop_size=24, augment=augment)
    browser.set_data_config(cfg)
    browser.set_root(paired_data)
    preview = browser.preview
    with qtbot.waitSignal(browser.preview_loader.ready, timeout=TIMEOUT) as shown:
        browser.grid.setCurrentIndex(browser.model.index(2))
    note = preview.augment_note.text()
    assert "vertical flips" in note and "grey 100% (input A only)" in note
    assert "JPEG 100% at quality 20–95 (A and B)" in note
    assert "grey" in preview.crop_captions[0].text()
    assert "grey" not in preview.crop_captions[1].text()
    assert "JPEG q" in preview.crop_captions[1].text()

    crop_a, crop_b = shown.args[0].crops
    assert np.array_equal(crop_a[..., 0], crop_a[..., 2]) and not np.array_equal(
        crop_b[..., 0], crop_b[..., 2])
    dataset = build_dataset(cfg, input_nc=3, output_nc=3)
    item = browser.model.item(2)
    assert item is not None
    index = [str(f) for f in dataset.layout.files_a].index(item.path)
    trained = dataset[(index, browser.feed.seed)]
    assert np.array_equal(crop_a, to_uint8(trained["A"]))  # exactly what the model sees
    assert np.array_equal(crop_b, to_uint8(trained["B"]))

    browser.set_data_config(DataSection(load_size=36, crop_size=24))
    qtbot.waitUntil(lambda: "Extra augmentation: off" in preview.augment_note.text(),
                    timeout=TIMEOUT)
    _wait_for_scan(qtbot, browser)


def test_unaligned_items_pair_by_position(qtbot: QtBot, browser: DatasetBrowser,
                                          unpaired_data: Path) -> None:
    browser.set_data_config(DataSection(load_size=32, crop_size=32))
    browser.set_model_kind("pix2pix")
    browser.set_root(unpaired_data)
    assert browser.model.rowCount() == 12
    assert "pix2pix needs pairs" in browser.header.note_label.text()
    assert browser.select_path(str(unpaired_data / "trainB" / "0003.png"))
    qtbot.waitUntil(lambda: "0003.png" in browser.preview.pair_captions[1].text(),
                    timeout=TIMEOUT)
    assert "not a pair" in browser.preview.pair_captions[0].text()
    _wait_for_scan(qtbot, browser)


def test_dropping_a_folder_opens_it(qtbot: QtBot, browser: DatasetBrowser,
                                    paired_data: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(paired_data))])
    event = QDropEvent(QPointF(QPoint(10, 10)), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(browser.root_changed, timeout=TIMEOUT) as opened:
        browser.dropEvent(event)
    assert opened.args == [str(paired_data)]
    _wait_for_scan(qtbot, browser)


def test_demo_into_a_foreign_folder_explains_why_it_cannot(qtbot: QtBot, browser: DatasetBrowser,
                                                           tmp_path: Path) -> None:
    (tmp_path / "facades").mkdir()
    (tmp_path / "facades" / "thesis.txt").write_text("mine")
    browser.set_demo_folder(tmp_path)
    browser.set_model_kind("pix2pix")
    with qtbot.assertNotEmitted(browser.demo_ready):
        browser.start_demo()
        qtbot.waitUntil(lambda: not browser.jobs_running(), timeout=TIMEOUT)
        qtbot.waitUntil(lambda: browser.empty_state.message.isVisible(), timeout=TIMEOUT)
    assert "not empty and is not a demo dataset" in browser.empty_state.message.text()
    assert browser.empty_state.demo_button.isEnabled()
    assert (tmp_path / "facades" / "thesis.txt").read_text() == "mine"
