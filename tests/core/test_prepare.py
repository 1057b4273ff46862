"""``nectar prepare`` and core.data.prepare on real image files: pairing by name, seeded
splits, mixed modes, originals untouched, nothing left behind on cancel or error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nectar_gui.core.data.layouts import detect_layout, split_names
from nectar_gui.core.data.prepare import (
    STAGING_PREFIX,
    PrepareCancelled,
    PrepareError,
    PrepareOptions,
    plan_prepare,
    write_prepared,
)
from tests.core.test_cli import error_line, run_cli, tree


def _photo(path: Path, size: tuple[int, int], seed: int, mode: str = "RGB") -> Path:
    rng = np.random.default_rng(seed)
    rgb = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65535, (size[1], size[0])).astype(np.uint16))
    else:
        image = rgb.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """Ten pairs of mixed modes, suffixes and sizes; one unmatched file on each side."""
    a, b = tmp_path / "photos_a", tmp_path / "photos_b"
    modes = ["RGB", "RGBA", "P", "L", "I;16"]
    for i in range(10):
        _photo(a / f"{i:03d}.png", (40 + i, 30), i, modes[i % len(modes)])
        _photo(b / f"{i:03d}.{'jpg' if i % 2 else 'png'}", (50, 36), 100 + i)
    _photo(a / "only_a.png", (32, 32), 7)
    _photo(b / "only_b.png", (32, 32), 8)
    return a, b


def test_pairs_by_name_and_reports_the_unmatched(folders: tuple[Path, Path], tmp_path: Path
                                                 ) -> None:
    a, b = folders
    plan = plan_prepare(PrepareOptions(a, b, tmp_path / "out", val=20, test=10))
    assert [f.sources[0].stem for f in plan.files] == [f"{i:03d}" for i in range(10)]
    assert all(f.sources[1].stem == f.sources[0].stem for f in plan.files)
    assert [p.name for p in plan.unmatched_a] == ["only_a.png"]
    assert [p.name for p in plan.unmatched_b] == ["only_b.png"]
    assert plan.counts() == {"train": 7, "val": 2, "test": 1}
    assert "only_a.png" in plan.describe() and "left out" in plan.describe()


def test_the_split_is_seeded(folders: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = folders

    def val_items(seed: int) -> set[str]:
        plan = plan_prepare(PrepareOptions(a, b, tmp_path / "o", val=30, seed=seed))
        return {f.sources[0].stem for f in plan.files if f.targets[0].parts[0] == "val"}

    assert val_items(0) == val_items(0) and len(val_items(0)) == 3
    assert any(val_items(s) != val_items(0) for s in range(1, 6))  # the seed matters


def test_an_aligned_dataset_is_written_trainable_and_the_originals_untouched(
        folders: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = folders
    before = tree(tmp_path)
    out = tmp_path / "out"
    result = write_prepared(plan_prepare(PrepareOptions(a, b, out, val=20, size=24)))
    assert result.written == 10 and result.skipped == ()
    assert tree(a) == {k[len("photos_a/"):]: v for k, v in before.items()
                       if k.startswith("photos_a/")}
    assert sorted(split_names(out)) == ["train", "val"]
    layout = detect_layout(out, split="train")
    assert layout.kind == "aligned" and len(layout.files_a) == 8
    with Image.open(out / "train" / "001.png") as image:  # 41×30 → shorter side 24
        assert image.mode == "RGB" and image.size == (2 * 33, 24)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(STAGING_PREFIX)]


@pytest.mark.parametrize(("layout", "expected"), [
    ("paired", {"train/A": 10, "train/B": 10}),
    ("unaligned", {"trainA": 11, "trainB": 11}),
])
def test_paired_and_unaligned_layouts_are_detected_as_such(
        folders: tuple[Path, Path], tmp_path: Path, layout: str,
        expected: dict[str, int]) -> None:
    a, b = folders
    out = tmp_path / "out"
    plan = plan_prepare(PrepareOptions(a, b, out, layout=layout))  # type: ignore[arg-type]
    assert plan.counts() == expected
    write_prepared(plan)
    assert detect_layout(out, split="train").kind == layout


def test_an_unreadable_file_is_skipped_with_its_partner(folders: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    a, b = folders
    (a / "003.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    out = tmp_path / "out"
    result = write_prepared(plan_prepare(PrepareOptions(a, b, out, layout="paired")))
    assert result.written == 9 and len(result.skipped) == 1
    assert "003.png" in result.skipped[0]
    assert not (out / "train" / "A" / "003.png").exists()
    assert not (out / "train" / "B" / "003.png").exists()  # never half a pair


def test_cancel_leaves_nothing(folders: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = folders
    out = tmp_path / "out"
    seen: list[int] = []
    with pytest.raises(PrepareCancelled):
        write_prepared(plan_prepare(PrepareOptions(a, b, out)),
                       progress=lambda done, _total: seen.append(done),
                       cancel=lambda: len(seen) >= 4)
    assert seen == [1, 2, 3, 4]
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_a_folder_in_the_way_is_refused_and_overwrite_replaces_it(
        folders: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = folders
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with pytest.raises(PrepareError, match="not empty"):
        plan_prepare(PrepareOptions(a, b, out))
    with pytest.raises(PrepareError, match="apart from the source folders"):
        plan_prepare(PrepareOptions(a, b, a / "inside"))
    with pytest.raises(PrepareError, match="under 100"):
        plan_prepare(PrepareOptions(a, b, tmp_path / "x", val=60, test=40))
    write_prepared(plan_prepare(PrepareOptions(a, b, out, overwrite=True)))
    assert not (out / "mine.txt").exists() and len(list((out / "train").iterdir())) == 10


def test_the_command_line(folders: tuple[Path, Path], tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    a, b = folders
    out = tmp_path / "ds"
    status, text, _ = run_cli(capsys, "prepare", "--a", a, "--b", b, "--out", out,
                              "--aligned", "--val", "10", "--size", "32", "--dry-run")
    assert status == 0 and "train/: 9 images" in text and "Dry run" in text
    assert not out.exists()
    status, text, _ = run_cli(capsys, "prepare", "--a", a, "--b", b, "--out", out,
                              "--aligned", "--val", "10", "--size", "32")
    assert status == 0 and "Wrote 10 item(s)" in text
    assert f"nectar train --preset pix2pix --data {out.resolve()}" in text
    assert detect_layout(out, split="val").kind == "aligned"
    error_line(run_cli(capsys, "prepare", "--a", a, "--b", b, "--out", out),
               "is not empty", "--overwrite")
    error_line(run_cli(capsys, "prepare", "--a", tmp_path / "nope", "--b", b, "--out",
                       tmp_path / "o2"), "does not exist")


@pytest.mark.usefixtures("one_thread")
def test_a_prepared_folder_trains(folders: tuple[Path, Path], tmp_path: Path) -> None:
    from nectar_gui.core.rundir import RunReader
    from nectar_gui.core.training.session import SessionOptions, TrainingSession
    from tests.core.test_training import run_all
    from tests.tiny import tiny_config

    a, b = folders
    out = tmp_path / "ds"
    write_prepared(plan_prepare(PrepareOptions(a, b, out, size=36)))
    run = tmp_path / "run"
    config = tiny_config("pix2pix", out, **{"logging.max_steps": 2,
                                            "logging.val_images": 0})
    run_all(TrainingSession(config, SessionOptions(run_dir=run)))
    assert RunReader(run).checkpoint_steps()[-1] == 2


def test_a_full_disk_leaves_nothing_and_says_so(folders: tuple[Path, Path], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    a, b = folders
    real_save = Image.Image.save
    calls: list[int] = []

    def save(self: Image.Image, fp: object, *args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(self, fp, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Image.Image, "save", save)
    out = tmp_path / "out"
    with pytest.raises(PrepareError, match=r"No space left on device.*nothing was left"):
        write_prepared(plan_prepare(PrepareOptions(a, b, out)))
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(STAGING_PREFIX)]
