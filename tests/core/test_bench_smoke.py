"""bench/train_step.py runs end to end (times are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "train_step.py"


def test_quick_bench_prints_a_table() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--variant", "default",
         "--variant", "adam=for-loop"],
        capture_output=True, text=True, timeout=240, check=True).stdout
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("model "))
    assert "median s" in lines[header] and "t/t[default]" in lines[header]
    rows = [line.split() for line in lines[header + 2:] if line.split()[:1] in
            (["pix2pix"], ["cyclegan"])]
    assert {(r[0], r[2]) for r in rows} == {(m, v) for m in ("pix2pix", "cyclegan")
                                           for v in ("default", "adam=for-loop")}
    for r in rows:
        float(r[3])  # a number, whatever its value


def test_bench_rejects_unknown_variants() -> None:
    res = subprocess.run([sys.executable, str(BENCH), "--quick", "--variant", "bogus"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "bogus" in res.stderr


def test_d_health_bench_prints_the_ratio() -> None:
    bench = BENCH.with_name("d_health.py")
    out = subprocess.run([sys.executable, str(bench), "--quick", "--models", "pix2pix"],
                         capture_output=True, text=True, timeout=240, check=True).stdout
    header, row = out.splitlines()[:2]
    assert "on/off" in header and "signals/step" in header
    assert row.split()[:2] == ["pix2pix", "64"]
    float(row.split()[4])  # the ratio, whatever its value
