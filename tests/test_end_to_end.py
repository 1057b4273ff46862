"""End to end: the real app, offscreen, from the welcome page through training, the
inspector, translation and an opened run — the user guide's screenshot script, run quick."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "make_screenshots.py"
EXPECTED = ("welcome", "dataset", "training", "inspector-hover", "inspector-topk",
            "translate-empty", "translate", "translate-split", "open-run")


@pytest.mark.slow
def test_the_guide_screenshots_are_made_from_the_real_app(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in EXPECTED:
        with Image.open(tmp_path / f"{name}.png") as shot:
            assert shot.size == (1280, 800), name
            # A real screen, not a blank grab: many distinct colours.
            assert len(shot.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50, name
    split, side = (Image.open(tmp_path / f"{n}.png").convert("RGB")
                   for n in ("translate-split", "translate"))
    assert split.tobytes() != side.tobytes()  # the split view really changed the screen
