"""The GUI benches run end to end with real widgets (figures printed, never asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "gui_training.py"


def test_gui_bench_prints_rates_and_lateness(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NECTAR_GUI_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, str(BENCH), "--preset", "demo-pix2pix", "--size", "64", "--steps",
         "12", "--rounds", "1", "--warmup-rounds", "0", "--also-app-threads", "1"],
        capture_output=True, text=True, timeout=240, check=True, env=env).stdout
    rows = {line[:12].strip(): line[12:].split() for line in out.splitlines()
            if line.startswith(("cli ", "app "))}
    assert set(rows) == {"cli", "app", "app 1t"}
    for rate, ratio, _spread, p50, _, p99, _, worst, *_ in rows.values():
        assert float(rate) > 0 and float(ratio) > 0
        assert 0 <= float(p50) <= float(p99) <= float(worst)
    assert float(rows["cli"][1]) == 1.0  # its own baseline
    assert "(window idle)" in out and "load average" in out


def test_translate_bench_prints_lateness_per_path(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NECTAR_GUI_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, str(BENCH.with_name("gui_translate.py")), "--quick"],
                         capture_output=True, text=True, timeout=240, check=True,
                         env=env).stdout
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.startswith(("whole", "tile"))}
    assert set(rows) == {"whole", "tile"}
    for values in rows.values():
        seconds, p50, p99, worst = map(float, values[-5:-1])
        assert seconds > 0 and 0 <= p50 <= p99 <= worst
        assert int(values[-1]) >= 0  # progress updates with a percentage
