"""Winograd convolutions (``core/models/winograd.py``) against oneDNN, per layer and pass.

Usage::

    .venv/bin/python bench/winograd.py               # the layers fast_ops chooses it for
    .venv/bin/python bench/winograd.py --rounds 31   # more repeats on a noisy machine
    .venv/bin/python bench/winograd.py --quick       # smoke run, small shapes

Each row is one layer shape at batch 1, fp32, on the CPU with the engine's allocator
tuning; the two implementations are timed interleaved (one call of each, order swapped
every round) so the machine's noise hits both alike. Columns: median milliseconds of the
forward pass, of both gradients (input and weight, as in a discriminator's own update)
and of the input gradient alone (as when the generator's loss goes through D), each
Winograd / oneDNN, and the ratio (< 1: Winograd is faster). ``plan`` is what
``fast_ops.conv_plan`` picks for the shape.

Whole training steps: ``bench/train_step.py --variant default --variant
fast_ops=no-winograd``. Tests never assert on the printed times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nectar_gui.core.models import winograd
from nectar_gui.core.models.fast_ops import conv_plan
from nectar_gui.core.speed import tune_malloc

#: (label, C_in, C_out, kernel, input size, padding)
LAYERS = [
    ("PatchGAN 4x4 s1, 256² crop", 256, 512, 4, 32, 1),
    ("PatchGAN 4x4 s1, 512² crop", 256, 512, 4, 64, 1),
    ("PatchGAN 4x4 s1, 128² crop", 256, 512, 4, 16, 1),
    ("ResNet block 3x3, 256² crop", 256, 256, 3, 66, 0),
]
QUICK = [("small 4x4", 16, 24, 4, 12, 1), ("small 3x3", 16, 16, 3, 14, 0)]


def _passes(x: torch.Tensor, w: torch.Tensor, g: torch.Tensor, k: int,
            pad: int) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """Per pass: (Winograd, oneDNN) callables."""
    p = (pad, pad)

    def native(mask: list[bool]) -> Callable[[], object]:
        return lambda: torch.ops.aten.convolution_backward(
            g, x, w, None, [1, 1], [pad, pad], [1, 1], False, [0, 0], 1, mask)

    return {
        "forward": (lambda: winograd.conv2d(x, w, p), lambda: F.conv2d(x, w, None, 1, pad)),
        "dx+dw": (lambda: (winograd.input_grad(g, w, p), winograd.weight_grad(x, g, k, p)),
                  native([True, True, False])),
        "dx": (lambda: winograd.input_grad(g, w, p), native([True, False, False])),
    }


def _median_ms(fns: tuple[Callable[[], object], Callable[[], object]],
               rounds: int) -> tuple[float, float]:
    for fn in fns:
        fn()  # warm-up: allocator, oneDNN primitive caches
    times: tuple[list[float], list[float]] = ([], [])
    for r in range(rounds):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for i in order:
            start = time.perf_counter()
            fns[i]()
            times[i].append(time.perf_counter() - start)
    return statistics.median(times[0]) * 1e3, statistics.median(times[1]) * 1e3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed calls of each (odd)")
    parser.add_argument("--quick", action="store_true", help="small shapes, 3 rounds")
    args = parser.parse_args(argv)
    tune_malloc()
    layers, rounds = (QUICK, 3) if args.quick else (LAYERS, args.rounds)
    print(f"{torch.get_num_threads()} threads; ms per call, Winograd / oneDNN (ratio)")
    print(f"{'layer':<28} {'plan':<20} {'forward':>20} {'dx+dw':>20} {'dx':>20}")
    gen = torch.Generator().manual_seed(0)
    for label, c_in, c_out, k, size, pad in layers:
        x = torch.randn(1, c_in, size, size, generator=gen)
        w = torch.randn(c_out, c_in, k, k, generator=gen) * 0.05
        out = size + 2 * pad - k + 1
        g = torch.randn(1, c_out, out, out, generator=gen)
        plan = conv_plan(c_in, c_out, k, out, out)
        chosen = f"{plan.forward}/{plan.wgrad}" if plan else "oneDNN"
        cells = []
        for fns in _passes(x, w, g, k, pad).values():
            ours, theirs = _median_ms(fns, rounds)
            cells.append(f"{ours:.1f}/{theirs:.1f} ({ours / theirs:.2f})")
        print(f"{label:<28} {chosen:<20} " + " ".join(f"{c:>20}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
