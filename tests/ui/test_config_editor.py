"""The schema-generated config editor and its "what this builds" panel, with real widgets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
)
from pytestqt.qtbot import QtBot

from nectar_gui.core.config import NectarConfig, load_config
from nectar_gui.core.presets import load_preset
from nectar_gui.ui.config.editor import ConfigEditor
from nectar_gui.ui.config.fields import FieldEditor, OptionalIntField
from nectar_gui.ui.config.summary import BuildSummary
from nectar_gui.workers.describe import torch_ready

TIMEOUT = 30_000


@pytest.fixture(autouse=True)
def dialogs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Record warning dialogs instead of blocking on them."""
    shown: list[tuple[str, str]] = []

    def warning(_parent: object, title: str, text: str, *_args: object) -> object:
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", warning)
    return shown


@pytest.fixture
def editor(qtbot: QtBot) -> ConfigEditor:
    widget = ConfigEditor(preset="cyclegan")
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    return widget


@pytest.fixture
def summary(qtbot: QtBot) -> Iterator[BuildSummary]:
    panel = BuildSummary(delay_ms=50)
    qtbot.addWidget(panel)
    yield panel
    panel.shutdown()  # joins the describe thread


def _schema_keys(model: type[BaseModel] = NectarConfig, prefix: str = "") -> list[str]:
    keys = []
    for name, info in model.model_fields.items():
        section = info.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            keys += _schema_keys(section, f"{prefix}{name}.")  # data.augment nests
        else:
            keys.append(f"{prefix}{name}")
    return keys


def _input(editor: ConfigEditor, key: str) -> FieldEditor:
    return editor.field_editor(key)


def _type(qtbot: QtBot, editor: ConfigEditor, key: str, text: str) -> None:
    """Type ``text`` into a line-edit field and press Enter, as a user would."""
    edit = _input(editor, key).inputs()[0]
    assert isinstance(edit, QLineEdit)
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def _spin(editor: ConfigEditor, key: str) -> QSpinBox:
    box = _input(editor, key).inputs()[0]
    assert isinstance(box, QSpinBox)
    return box


def _choose(editor: ConfigEditor, key: str, value: str) -> None:
    combo = _input(editor, key).inputs()[0]
    assert isinstance(combo, QComboBox)
    combo.setCurrentIndex(combo.findData(value))


def test_every_schema_field_gets_a_fitting_widget(editor: ConfigEditor) -> None:
    keys = _schema_keys()
    fields = editor.field_editors()
    assert list(fields) == keys and len(keys) >= 50
    for key, field in fields.items():
        tip = field.inputs()[0].toolTip()
        assert key in tip and field.spec.description[:20] in tip
    assert isinstance(_input(editor, "optim.lr").inputs()[0], QLineEdit)
    blocks = _spin(editor, "model.resnet_blocks")
    assert (blocks.minimum(), blocks.maximum()) == (1, 32)
    kinds = _input(editor, "model.kind").inputs()[0]
    assert isinstance(kinds, QComboBox)
    assert [kinds.itemData(i) for i in range(kinds.count())] == ["pix2pix", "cyclegan"]
    assert isinstance(_input(editor, "data.flip").inputs()[0], QCheckBox)
    browse = _input(editor, "data.root").inputs()[1]
    assert isinstance(browse, QPushButton) and browse.text() == "Browse…"
    assert isinstance(_input(editor, "logging.max_steps"), OptionalIntField)
    assert _input(editor, "optim.lr").inputs()[0].text() == "2e-4"  # type: ignore[attr-defined]


def test_negative_learning_rate_is_reported_and_fixing_it_restores_validity(
        qtbot: QtBot, editor: ConfigEditor) -> None:
    assert editor.is_valid()
    with qtbot.waitSignal(editor.validity_changed, timeout=TIMEOUT) as invalid:
        _type(qtbot, editor, "optim.lr", "-1")
    assert invalid.args == [False]
    assert not editor.is_valid() and editor.config() is None
    assert "greater than 0" in _input(editor, "optim.lr").error_text()
    assert any("Learning rate" in line for line in editor.problems())

    with qtbot.waitSignal(editor.config_changed, timeout=TIMEOUT) as changed:
        _type(qtbot, editor, "optim.lr", "2e-4")
    assert editor.is_valid() and _input(editor, "optim.lr").error_text() == ""
    assert changed.args[0].optim.lr == pytest.approx(2e-4)


def test_unet_crop_size_must_divide_and_either_field_can_fix_it(editor: ConfigEditor) -> None:
    editor.apply_preset("pix2pix")  # U-Net with 8 downsamplings: crops of 256, 512, …
    _spin(editor, "data.crop_size").setValue(100)
    assert not editor.is_valid()
    for key in ("data.crop_size", "model.unet_downs"):
        assert "multiple of 256" in _input(editor, key).error_text()
    _spin(editor, "model.unet_downs").setValue(2)  # 100 is a multiple of 4
    assert editor.is_valid()
    assert editor.config() is not None and editor.config().data.crop_size == 100  # type: ignore[union-attr]


def test_fields_the_model_does_not_use_are_disabled_with_a_reason(editor: ConfigEditor) -> None:
    def disabled(key: str) -> bool:
        return not _input(editor, key).inputs()[0].isEnabled()

    l1 = _input(editor, "loss.lambda_l1")
    assert disabled("loss.lambda_l1") and "Only for pix2pix" in l1.inputs()[0].toolTip()
    assert not disabled("loss.lambda_cycle_a")
    _choose(editor, "model.kind", "pix2pix")
    assert not disabled("loss.lambda_l1")
    for key in ("loss.lambda_cycle_a", "loss.lambda_cycle_b", "loss.lambda_identity",
                "loss.pool_size"):
        assert disabled(key) and "Only for CycleGAN" in _input(editor, key).toolTip() + \
            _input(editor, key).inputs()[0].toolTip()
    assert disabled("model.unet_downs") and not disabled("model.resnet_blocks")
    _choose(editor, "model.generator", "unet")
    assert disabled("model.resnet_blocks") and not disabled("model.unet_downs")
    assert "Only for ResNet" in _input(editor, "model.resnet_blocks").inputs()[0].toolTip()
    _choose(editor, "model.discriminator", "pixel")
    assert disabled("model.d_layers")
    assert _input(editor, "model.d_layers").inapplicable_reason() == "Only for PatchGAN"


def test_undo_and_redo_by_keyboard(qtbot: QtBot, editor: ConfigEditor) -> None:
    _type(qtbot, editor, "optim.lr", "1e-3")
    _spin(editor, "optim.batch_size").setValue(4)
    assert editor.undo_stack().count() == 2
    combo = _input(editor, "model.norm").inputs()[0]
    combo.setFocus()  # shortcuts reach the editor from any child without its own undo
    qtbot.waitUntil(combo.hasFocus, timeout=TIMEOUT)

    qtbot.keyClick(combo, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _spin(editor, "optim.batch_size").value() == 1
    qtbot.keyClick(combo, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    config = editor.config()
    assert config is not None and config.optim.lr == pytest.approx(2e-4)
    assert _input(editor, "optim.lr").inputs()[0].text() == "2e-4"  # type: ignore[attr-defined]
    shift_ctrl = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(combo, Qt.Key.Key_Z, shift_ctrl)
    config = editor.config()
    assert config is not None and config.optim.lr == pytest.approx(1e-3)


def test_modified_marker_follows_the_last_loaded_or_saved_config(
        qtbot: QtBot, editor: ConfigEditor, tmp_path: Path) -> None:
    assert not editor.is_modified()
    with qtbot.waitSignal(editor.modified_changed, timeout=TIMEOUT) as marked:
        _spin(editor, "optim.batch_size").setValue(8)
    assert marked.args == [True] and editor.is_modified()
    with qtbot.waitSignal(editor.modified_changed, timeout=TIMEOUT) as cleared:
        _spin(editor, "optim.batch_size").setValue(1)  # back to the loaded value
    assert cleared.args == [False]
    _spin(editor, "optim.batch_size").setValue(8)
    assert editor.save_file(tmp_path / "c.json") and not editor.is_modified()
    editor.undo_stack().undo()
    assert editor.is_modified()  # batch 1 differs from the saved batch 8


def test_preset_switch_reset_and_undo(editor: ConfigEditor) -> None:
    editor.apply_preset("pix2pix")
    config = editor.config()
    assert config == load_preset("pix2pix") and editor.preset() == "pix2pix"
    assert not editor.is_modified()
    _spin(editor, "optim.batch_size").setValue(16)
    editor.reset_to_preset()
    assert editor.config() == load_preset("pix2pix")
    editor.undo_stack().undo()  # the reset
    editor.undo_stack().undo()  # the batch size
    editor.undo_stack().undo()  # the switch
    assert editor.config() == load_preset("cyclegan") and editor.preset() == "cyclegan"
    assert not editor.is_modified()


def test_save_and_load_round_trip(qtbot: QtBot, editor: ConfigEditor, tmp_path: Path) -> None:
    _type(qtbot, editor, "optim.lr", "5e-5")
    editor.set_data_root(str(tmp_path))
    path = tmp_path / "config.json"
    assert editor.save_file(path)
    saved = editor.config()
    assert load_config(path) == saved and json.loads(path.read_text())["optim"]["lr"] == 5e-5

    editor.apply_preset("pix2pix")
    assert editor.config() != saved
    with qtbot.waitSignal(editor.config_changed, timeout=TIMEOUT):
        assert editor.load_file(path)
    assert editor.config() == saved and not editor.is_modified()
    assert _input(editor, "data.root").inputs()[0].text() == str(tmp_path)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "not valid JSON"),
    ('{"optim": {"lr": -1}}', "optim.lr"),
    ('{"model": {"wings": 2}}', "unknown setting"),
])
def test_a_bad_file_is_reported_and_the_edits_are_kept(
        qtbot: QtBot, editor: ConfigEditor, tmp_path: Path, dialogs: list[tuple[str, str]],
        content: str, expected: str) -> None:
    _spin(editor, "optim.batch_size").setValue(8)
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert not editor.load_file(bad)
    assert len(dialogs) == 1
    title, text = dialogs[0]
    assert "Could not open" in title and expected in text and "unchanged" in text
    assert editor.config().optim.batch_size == 8 and editor.is_modified()  # type: ignore[union-attr]
    assert not editor.load_file(tmp_path / "missing.json")
    assert "does not exist" in dialogs[1][1]


def test_saving_an_invalid_config_is_refused(qtbot: QtBot, editor: ConfigEditor,
                                             tmp_path: Path,
                                             dialogs: list[tuple[str, str]]) -> None:
    _type(qtbot, editor, "optim.lr", "-1")
    assert not editor.save_file(tmp_path / "c.json")
    assert not (tmp_path / "c.json").exists() and "Learning rate" in dialogs[0][1]


def test_read_only_locks_every_field_until_released(editor: ConfigEditor) -> None:
    editor.set_read_only(True)
    assert all(not f.inputs()[0].isEnabled() for f in editor.field_editors().values()
               if f.spec.kind != "readonly")
    editor.set_read_only(False)
    assert _input(editor, "optim.lr").inputs()[0].isEnabled()
    assert not _input(editor, "loss.lambda_l1").inputs()[0].isEnabled()  # still pix2pix-only


def test_data_root_is_an_undoable_edit_and_no_ops_add_no_steps(editor: ConfigEditor) -> None:
    editor.set_data_root("/data/horse2zebra")
    editor.set_data_root("/data/horse2zebra")
    _spin(editor, "optim.batch_size").setValue(1)  # unchanged
    assert editor.undo_stack().count() == 1
    assert editor.config().data.root == "/data/horse2zebra"  # type: ignore[union-attr]
    editor.undo_stack().undo()
    assert editor.config().data.root is None  # type: ignore[union-attr]


def test_advanced_rows_hide_unless_asked_for_or_invalid(qtbot: QtBot,
                                                        editor: ConfigEditor) -> None:
    assert not editor.is_field_shown("runtime.threads")
    assert editor.is_field_shown("optim.lr")
    editor.set_show_advanced(True)
    assert editor.is_field_shown("runtime.threads")
    _type(qtbot, editor, "logging.metrics_interval_s", "-1")
    editor.set_show_advanced(False)
    assert editor.is_field_shown("logging.metrics_interval_s")  # it has a problem
    assert not editor.is_field_shown("runtime.threads")


def test_summary_shows_the_cyclegan_patch_geometry(qtbot: QtBot, editor: ConfigEditor,
                                                   summary: BuildSummary) -> None:
    loading = not torch_ready()
    summary.follow(editor)
    if loading:  # only the first describe in this process imports torch
        qtbot.waitUntil(lambda: "Loading PyTorch" in summary.plain_text(), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: "70×70" in summary.plain_text(), timeout=TIMEOUT)
    text = summary.plain_text()
    assert "30×30 patch grid" in text and "n_layers 3 (reference count)" in text
    assert "G_A, G_B" in text and "Total per device" in text

    _spin(editor, "model.d_layers").setValue(4)  # 142×142 cells, 14×14 at 256 px
    qtbot.waitUntil(lambda: "142×142" in summary.plain_text(), timeout=TIMEOUT)
    assert "14×14" in summary.plain_text()
    _type(qtbot, editor, "optim.lr", "-1")
    assert "Fix the highlighted settings" in summary.plain_text()


def test_augmentation_has_its_own_section_with_ranges_and_descriptions(
        qtbot: QtBot, editor: ConfigEditor) -> None:
    from nectar_gui.ui.config.sections import CollapsibleSection

    sections = {s.title(): s for s in editor.findChildren(CollapsibleSection)}
    augment = sections["Augmentation"]
    keys = [field.spec.key for field in augment.fields()]
    assert keys[0] == "data.augment.vflip" and "data.augment.jpeg_p" in keys
    assert not any(key.startswith("data.augment") for key in
                   (field.spec.key for field in sections["Data"].fields()))
    assert all(editor.is_field_shown(key) for key in keys)  # none of them is "advanced"
    assert isinstance(_input(editor, "data.augment.rot90").inputs()[0], QCheckBox)
    hue_tip = _input(editor, "data.augment.hue").inputs()[0].toolTip()
    assert "colour wheel" in hue_tip and "0 ≤ value ≤ 0.5" in hue_tip
    assert _spin(editor, "data.augment.jpeg_quality_min").maximum() == 95
    sides = _input(editor, "data.augment.degrade_sides").inputs()[0]
    assert isinstance(sides, QComboBox)
    assert [sides.itemText(i) for i in range(sides.count())] == ["Input only", "Both A and B"]

    with qtbot.waitSignal(editor.config_changed, timeout=TIMEOUT) as changed:
        _type(qtbot, editor, "data.augment.noise_std", "0.05")
    assert changed.args[0].data.augment.noise_std == pytest.approx(0.05)
    _type(qtbot, editor, "data.augment.noise_std", "0.9")
    assert "less than or equal to 0.5" in _input(editor, "data.augment.noise_std").error_text()
    assert any(line.startswith("Noise σ up to") for line in editor.problems())
    assert augment.findChild(QLabel, "sectionBadge").isVisibleTo(augment)
