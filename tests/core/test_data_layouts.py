"""Layout detection, its error messages, and the up-front dataset scan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nectar_gui.core.data.errors import DatasetError
from nectar_gui.core.data.images import list_images
from nectar_gui.core.data.layouts import detect_layout, split_names
from nectar_gui.core.data.scan import ScanCancelled, scan_dataset


def make_image(path: Path, size: tuple[int, int] = (16, 8), mode: str = "RGB",
               seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    channels = {"L": (), "RGB": (3,), "RGBA": (4,)}[mode]
    pixels = rng.integers(0, 256, (size[1], size[0], *channels), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def make_truncated_jpeg(path: Path) -> Path:
    make_image(path.with_suffix(".png"), (64, 64), seed=3)
    Image.open(path.with_suffix(".png")).save(path, format="JPEG", quality=90)
    path.with_suffix(".png").unlink()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


# ---- detection --------------------------------------------------------------------------
def test_aligned_layout(tmp_path: Path) -> None:
    for i in range(3):
        make_image(tmp_path / "train" / f"{i}.png")
    (tmp_path / "train" / "notes.txt").write_text("not an image")
    layout = detect_layout(tmp_path)
    assert layout.kind == "aligned"
    assert [p.name for p in layout.files_a] == ["0.png", "1.png", "2.png"]
    assert layout.files_b == ()


def test_unaligned_layout(tmp_path: Path) -> None:
    make_image(tmp_path / "trainA" / "a.png")
    make_image(tmp_path / "trainB" / "b1.png")
    make_image(tmp_path / "trainB" / "b2.jpg")
    layout = detect_layout(tmp_path)
    assert layout.kind == "unaligned"
    assert (len(layout.files_a), len(layout.files_b)) == (1, 2)


@pytest.mark.parametrize("base", ["", "train"])
def test_paired_layout_matches_stems(tmp_path: Path, base: str) -> None:
    root = tmp_path / base
    for name in ("1.png", "2.png", "only_a.png"):
        make_image(root / "A" / name)
    for name in ("1.jpg", "2.png", "only_b.png"):
        make_image(root / "B" / name)
    layout = detect_layout(tmp_path)
    assert layout.kind == "paired"
    assert [p.name for p in layout.files_a] == ["1.png", "2.png"]
    assert [p.name for p in layout.files_b] == ["1.jpg", "2.png"]


def test_list_images_filters_and_sorts(tmp_path: Path) -> None:
    for name in ("b.PNG", "a.JpG", ".hidden.png", "c.txt"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub.png").mkdir()
    assert [p.name for p in list_images(tmp_path)] == ["a.JpG", "b.PNG"]


def test_split_names(tmp_path: Path) -> None:
    make_image(tmp_path / "train" / "x.png")
    make_image(tmp_path / "testA" / "x.png")
    make_image(tmp_path / "testB" / "x.png")
    (tmp_path / "val").mkdir()
    assert split_names(tmp_path) == ["train", "test"]
    assert detect_layout(tmp_path, split="test").kind == "unaligned"


# ---- errors -----------------------------------------------------------------------------
def test_missing_and_file_paths(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        detect_layout(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatasetError, match="is a file, not a folder"):
        detect_layout(tmp_path / "file")


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / ".DS_Store").write_bytes(b"")
    with pytest.raises(DatasetError, match="is empty") as info:
        detect_layout(tmp_path)
    assert str(tmp_path) in str(info.value) and "paired (A/ and B/" in str(info.value)


def test_unknown_layout_names_folder_and_layouts(tmp_path: Path) -> None:
    make_image(tmp_path / "photos" / "x.png")
    with pytest.raises(DatasetError) as info:
        detect_layout(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message
    assert "has no train/, trainA/ + trainB/ or A/ + B/" in message
    assert "aligned (train/ with A|B side by side)" in message
    assert "unaligned (trainA/ and trainB/)" in message
    assert "\n" not in message


def test_folder_inside_a_dataset_suggests_the_dataset(tmp_path: Path) -> None:
    make_image(tmp_path / "trainA" / "a.png")
    make_image(tmp_path / "trainB" / "b.png")
    with pytest.raises(DatasetError, match=r"inside the dataset .* choose that folder") as info:
        detect_layout(tmp_path / "trainA")
    assert info.value.short in str(info.value) and "expected one" not in info.value.short


def test_loose_images_are_told_to_go_into_a_layout(tmp_path: Path) -> None:
    make_image(tmp_path / "photos" / "x.png")
    with pytest.raises(DatasetError, match="its image sits directly in it") as info:
        detect_layout(tmp_path / "photos")
    assert "folder above" not in str(info.value)


def test_forced_wrong_layout(tmp_path: Path) -> None:
    make_image(tmp_path / "trainA" / "a.png")
    make_image(tmp_path / "trainB" / "b.png")
    with pytest.raises(DatasetError) as info:
        detect_layout(tmp_path, layout="aligned")
    message = str(info.value)
    assert "not in the aligned layout" in message and "looks unaligned" in message
    assert detect_layout(tmp_path, layout="unaligned").kind == "unaligned"
    with pytest.raises(DatasetError, match="Unknown dataset layout 'zigzag'"):
        detect_layout(tmp_path, layout="zigzag")  # type: ignore[arg-type]


def test_empty_side_and_no_shared_names(tmp_path: Path) -> None:
    make_image(tmp_path / "u" / "trainA" / "a.png")
    (tmp_path / "u" / "trainB").mkdir()
    with pytest.raises(DatasetError, match=r"trainB has no images"):
        detect_layout(tmp_path / "u")
    make_image(tmp_path / "p" / "A" / "1.png")
    make_image(tmp_path / "p" / "B" / "2.png")
    with pytest.raises(DatasetError, match="share no file names"):
        detect_layout(tmp_path / "p")


def test_top_level_pairs_are_train_only(tmp_path: Path) -> None:
    make_image(tmp_path / "A" / "1.png")
    make_image(tmp_path / "B" / "1.png")
    assert split_names(tmp_path) == ["train"]
    with pytest.raises(DatasetError, match="has no val/"):
        detect_layout(tmp_path, split="val")


# ---- scan -------------------------------------------------------------------------------
def test_scan_reports_truncated_jpeg_by_name(tmp_path: Path) -> None:
    make_image(tmp_path / "train" / "good.png", (64, 32))
    make_image(tmp_path / "train" / "small.png", (16, 8))
    make_image(tmp_path / "train" / "odd.png", (65, 32))
    make_image(tmp_path / "train" / "grey.png", (64, 32), mode="L")
    bad = make_truncated_jpeg(tmp_path / "train" / "broken.jpg")
    (tmp_path / "train" / "readme.txt").write_text("ignore me")
    calls: list[tuple[int, int]] = []
    result = scan_dataset(detect_layout(tmp_path), channels_a=3, channels_b=3, min_size=16,
                          progress=lambda done, total: calls.append((done, total)))
    assert [p.path for p in result.errors] == [str(bad)]
    assert result.errors[0].message == "the file is cut short (truncated or still being copied)"
    assert result.errors[0].side == "A|B"  # an aligned file holds both sides
    assert bad not in result.layout_ok.files_a and len(result.layout_ok.files_a) == 4
    warned = {Path(p.path).name for p in result.warnings if p.path}
    assert warned == {"small.png", "odd.png"}
    assert any("mix modes" in p.message for p in result.warnings)
    assert not any("readme" in p.message for p in (*result.errors, *result.warnings))
    (skipped,) = [p for p in result.problems if p.severity == "info"]
    assert "1 other file(s) are not images" in skipped.message and "readme.txt" in skipped.message
    assert result.counts["skipped"] == 1
    assert calls[-1] == (5, 5) and len(calls) == 5
    assert result.counts["unreadable"] == 1 and result.counts["small"] == 1


def test_scan_paired_unmatched_and_unreadable_pair(tmp_path: Path) -> None:
    for name in ("1", "2", "3"):
        make_image(tmp_path / "A" / f"{name}.png")
        make_image(tmp_path / "B" / f"{name}.png")
    make_image(tmp_path / "A" / "lonely.png")
    (tmp_path / "B" / "2.png").write_bytes(b"not a png")
    result = scan_dataset(detect_layout(tmp_path), channels_a=3, channels_b=1, min_size=4)
    assert [p.name for p in result.layout_ok.files_a] == ["1.png", "3.png"]
    assert [p.name for p in result.layout_ok.files_b] == ["1.png", "3.png"]
    assert any(p.path and p.path.endswith("lonely.png") for p in result.warnings)
    assert any("converted to grey" in p.message for p in result.warnings)
    assert result.counts["unmatched"] == 1


def test_scan_cancel(tmp_path: Path) -> None:
    for i in range(4):
        make_image(tmp_path / "train" / f"{i}.png")
    with pytest.raises(ScanCancelled):
        scan_dataset(detect_layout(tmp_path), channels_a=3, channels_b=3, min_size=1,
                     cancel=lambda: True)


def test_scan_all_unreadable_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "x.png").write_bytes(b"nope")
    result = scan_dataset(detect_layout(tmp_path), channels_a=3, channels_b=3, min_size=1)
    assert result.layout_ok.files_a == ()
    assert any("no readable images left" in p.message for p in result.errors)


def test_scan_warns_about_dropped_transparency(tmp_path: Path) -> None:
    make_image(tmp_path / "trainA" / "a.png", mode="RGBA")
    palette = Image.new("P", (16, 8))
    palette.save(tmp_path / "trainA" / "p.png", transparency=0)
    make_image(tmp_path / "trainB" / "b.png")
    result = scan_dataset(detect_layout(tmp_path), channels_a=3, channels_b=3, min_size=1)
    assert any("2 image(s)" in p.message and "transparency" in p.message
               for p in result.warnings)
