"""bench/gui_training.py runs end to end with a real window (figures printed, never asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "gui_training.py"


def test_gui_bench_prints_rates_and_lateness(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NECTAR_GUI_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, str(BENCH), "--steps", "12", "--rounds", "1", "--warmup-rounds", "0"],
        capture_output=True, text=True, timeout=240, check=True, env=env).stdout
    rows = {line[:24].strip(): line[24:].split() for line in out.splitlines()
            if line.startswith(("headless", "window"))}
    assert set(rows) == {"headless", "headless + live samples", "window"}
    assert all(float(v) > 0 for values in rows.values() for v in values)
    assert float(rows["headless"][1]) == 1.0  # its own baseline
    assert "p99" in out and "max" in out
