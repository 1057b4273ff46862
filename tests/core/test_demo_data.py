"""The generated demo datasets: repeatable, in the right layouts, and safe to write."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from nectar_gui.core.config import DataSection
from nectar_gui.core.data.datasets import build_dataset
from nectar_gui.core.data.demo import MANIFEST_NAME, is_demo_dataset, write_demo_dataset
from nectar_gui.core.data.errors import DatasetError
from nectar_gui.core.data.layouts import detect_layout, split_names

SMALL = {"n_train": 3, "n_test": 2, "size": 32}


def contents(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_paired_demo_is_repeatable_and_aligned(tmp_path: Path) -> None:
    first = write_demo_dataset(tmp_path / "one", "paired", seed=4, **SMALL)
    second = write_demo_dataset(tmp_path / "two", "paired", seed=4, **SMALL)
    assert contents(first) == contents(second)
    other = write_demo_dataset(tmp_path / "three", "paired", seed=5, **SMALL)
    assert contents(other)["train/0000.png"] != contents(first)["train/0000.png"]
    layout = detect_layout(first)
    assert layout.kind == "aligned" and len(layout.files_a) == 3
    assert split_names(first) == ["train", "val"]
    assert Image.open(layout.files_a[0]).size == (64, 32)
    assert "pix2pix" in (first / "README.txt").read_text(encoding="utf-8")


def test_unpaired_demo_is_repeatable_and_unaligned(tmp_path: Path) -> None:
    first = write_demo_dataset(tmp_path / "one", "unpaired", **SMALL)
    assert contents(first) == contents(write_demo_dataset(tmp_path / "two", "unpaired", **SMALL))
    layout = detect_layout(first)
    assert layout.kind == "unaligned" and len(layout.files_b) == 3
    assert detect_layout(first, split="test").kind == "unaligned"
    a, b = Image.open(layout.files_a[0]), Image.open(layout.files_b[0])
    assert a.size == b.size == (32, 32) and a.tobytes() != b.tobytes()


def test_demo_trains_through_build_dataset(tmp_path: Path) -> None:
    root = write_demo_dataset(tmp_path / "demo", "paired", **SMALL)
    cfg = DataSection(root=str(root), load_size=36, crop_size=32)
    item = build_dataset(cfg, input_nc=3, output_nc=3)[(0, 0)]
    assert item["A"].shape == item["B"].shape == (3, 32, 32)


def test_refuses_a_folder_with_user_files(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("precious")
    with pytest.raises(DatasetError, match="not empty and is not a demo dataset"):
        write_demo_dataset(tmp_path, "paired", **SMALL)
    assert (tmp_path / "mine.txt").read_text() == "precious"
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatasetError, match="is a file"):
        write_demo_dataset(tmp_path / "file", "paired", **SMALL)


def test_rewrite_removes_only_its_own_files(tmp_path: Path) -> None:
    root = write_demo_dataset(tmp_path / "demo", "paired", **SMALL)
    (root / "train" / "user.png").write_bytes(b"mine")
    assert is_demo_dataset(root)
    write_demo_dataset(root, "unpaired", **SMALL)
    assert (root / "train" / "user.png").read_bytes() == b"mine"
    assert not (root / "train" / "0000.png").exists() and not (root / "val").exists()
    assert detect_layout(root).kind == "aligned"  # the user's file still wins train/
    assert detect_layout(root, layout="unaligned").files_a[0].name == "0000.png"


def test_same_settings_are_kept_not_rewritten(tmp_path: Path) -> None:
    root = write_demo_dataset(tmp_path / "demo", "unpaired", **SMALL)
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*.png")}
    write_demo_dataset(root, "unpaired", **SMALL)
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*.png")} == before
    (root / "trainA" / "0001.png").unlink()
    write_demo_dataset(root, "unpaired", **SMALL)
    assert (root / "trainA" / "0001.png").is_file()
    assert (root / MANIFEST_NAME).is_file()


def test_bad_settings() -> None:
    with pytest.raises(ValueError, match="n_train"):
        write_demo_dataset(Path("/nonexistent"), "paired", n_train=0)
    with pytest.raises(ValueError, match="'both'"):
        write_demo_dataset(Path("/nonexistent"), "both")  # type: ignore[arg-type]
