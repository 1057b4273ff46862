"""The benches run end to end (times are printed, never asserted)."""

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


def test_loader_bench_prints_a_row_per_setting() -> None:
    out = subprocess.run([sys.executable, str(BENCH.with_name("data.py")), "--quick"],
                         capture_output=True, text=True, timeout=240, check=True).stdout
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("workers"))
    rows = [line.split() for line in lines[header + 1:] if line.strip()]
    assert [r[:2] for r in rows] == [["0", "0"], ["1", "0"]]
    for r in rows:
        assert float(r[2]) > 0 and float(r[3]) > 0  # images/s, whatever the value


def test_gpu_bench_says_when_there_is_no_gpu() -> None:
    import pytest
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is here: the bench itself is the check (minutes, not a test)")
    res = subprocess.run([sys.executable, str(BENCH.with_name("gpu.py")), "--quick"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "needs a CUDA GPU" in res.stdout


def test_winograd_bench_prints_a_row_per_layer() -> None:
    out = subprocess.run([sys.executable, str(BENCH.with_name("winograd.py")), "--quick"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    lines = out.splitlines()
    assert lines[1].split()[:2] == ["layer", "plan"]
    rows = lines[2:]
    assert [r.split()[:2] for r in rows] == [["small", "4x4"], ["small", "3x3"]]
    for row in rows:
        cells = row.split()[3:]
        assert len(cells) == 6  # three passes: "ours/theirs" and "(ratio)"
        ours, theirs = cells[0].split("/")
        float(ours), float(theirs), float(cells[1].strip("()"))  # numbers, whatever value
