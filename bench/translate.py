"""Full-resolution translation: exact streaming vs per-tile, a 6000×4000 photo, speed.

Usage::

    .venv/bin/python bench/translate.py            # every part (the big image takes long)
    .venv/bin/python bench/translate.py --quick    # small sizes, a smoke run
    .venv/bin/python bench/translate.py --parts psnr,compare --max-memory 2GB

Parts:

``psnr``     PSNR (dB) of tiled output against whole-image output, on a procedural scene
             that fits whole, for several tile sizes. Generators are seeded with the paper
             init (normal 0.02) and instance norm, the case where tiles differ most.
             Columns: ``own stats`` = each tile normalised by its own statistics (the old
             path for images too large to go whole; ONNX models still take it);
             ``exact`` = the streamed path (``translate(tile=N)``): whole-image
             statistics, halos from complete maps, no blending; ``shrunk stats`` =
             statistics from a copy shrunk 2× (an estimate the engine does *not* use;
             shown to explain why).
``compare``  3000×2000 (fits whole on a 24 GB machine), ResNet-9 ngf 64: seconds and peak
             RSS of the whole forward, the streamed path and the per-tile path under the
             same budget, each in a child process, with PSNR of the two tiled outputs
             against the whole one and the time factor streamed / per-tile.
``big``      6000×4000, ResNet-9 ngf 64, CPU: the streamed path and the per-tile path in
             child processes (seconds, peak RSS = ``ru_maxrss`` of the child, tiles,
             spill), and the time factor.
``speed``    whole-image inference seconds (median of 3, after a warm-up) of ResNet-9 and
             U-Net-256 (ngf 64, instance norm) at 256² and 512², next to the reference
             implementation's figures on this machine class (REFERENCE.md).

Budgets: ``--max-memory`` (default: the translator's own default, half the free RAM).
Times are printed, never asserted; other work on the machine shows up in them.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from nectar_gui.core.data.demo_scenes import render_scene
from nectar_gui.core.models import init_weights
from nectar_gui.core.translate.info import GeneratorInfo
from nectar_gui.core.translate.memory import parse_size
from nectar_gui.core.translate.norm_stats import capture_stats, frozen_stats
from nectar_gui.core.translate.reference import GeneratorArch
from nectar_gui.core.translate.tiling import pad_to_multiple, translate_tiles
from nectar_gui.core.translate.translator import TorchGenerator, Translator

# Reference generator inference on a 2-core CPU, eval, batch 1 (REFERENCE.md).
REFERENCE_S = {("resnet", 256): 0.92, ("resnet", 512): 3.9, ("unet", 256): 0.20,
               ("unet", 512): 0.59}


def make_translator(arch: str, depth: int, ngf: int, norm: str = "instance") -> Translator:
    """A seeded, paper-initialised generator as the app would hold it."""
    torch.manual_seed(0)
    spec = GeneratorArch(arch=arch, input_nc=3, output_nc=3, ngf=ngf, norm=norm, depth=depth)
    net = spec.build()
    init_weights(net)
    info = GeneratorInfo(source="reference-pth", path=Path("bench"), arch=arch,
                         summary=spec.describe(), parameters=None, input_nc=3, output_nc=3,
                         directions=("AtoB",), step=None, multiple=spec.multiple, ngf=ngf,
                         norm=norm, depth=depth)
    return Translator(info, {"AtoB": TorchGenerator(net.eval(), torch.device("cpu"))})


def scene(height: int, width: int, seed: int = 1) -> np.ndarray:
    """A procedural day scene (sky, horizon, lit shapes), uint8 (H, W, 3)."""
    side = min(max(height, width), 1024)
    small = render_scene(np.random.default_rng(seed), side, "day")
    return np.asarray(Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


# ---- part 1: tiled vs whole --------------------------------------------------------------
def shrunk_stats_output(translator: Translator, image: np.ndarray, tile: int) -> np.ndarray:
    """Tiles normalised with statistics measured on a 2×-shrunk copy of the image."""
    run = translator.runners["AtoB"]
    assert isinstance(run, TorchGenerator)
    h, w = image.shape[:2]
    small = np.asarray(Image.fromarray(image).resize((w // 2, h // 2), Image.Resampling.BOX))
    chw = small.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0
    x = torch.from_numpy(pad_to_multiple(chw, translator.info.multiple)[None].copy())
    stats = capture_stats(run.net, x)
    with frozen_stats(run.net, stats):
        return translate_tiles(image, run, translator.plan(h, w, tile=tile),
                               multiple=translator.info.multiple, output_nc=3,
                               min_side=translator.min_side)


def part_psnr(quick: bool, max_memory: int | None) -> None:
    h, w = (192, 256) if quick else (512, 768)
    image = scene(h, w)
    print(f"\n== PSNR of tiled vs whole-image output ({w}×{h} scene, ngf 16, instance norm; "
          f"per-tile overlap = tile/4) ==")
    print(f"{'generator':<12} {'tile':>5} {'tiles':>5} {'own stats':>10} {'exact':>8} "
          f"{'max diff':>8} {'shrunk stats':>13}")
    cases = [("ResNet-9", "resnet", 9, (64, 128, 256) if quick else (128, 256, 384)),
             ("U-Net-256" if not quick else "U-Net-128", "unet", 7 if quick else 8,
              (128,) if quick else (256, 512))]
    for name, arch, depth, tiles in cases:
        translator = make_translator(arch, depth, ngf=16)
        whole = translator.translate(image)
        for tile in tiles:
            own = translator.translate(image, tile=tile, global_norm=False)
            exact = translator.translate(image, tile=tile)
            diff = int(np.abs(whole.astype(np.int16) - exact).max())
            shrunk = shrunk_stats_output(translator, image, tile)
            print(f"{name:<12} {tile:>5} {translator.plan(h, w, tile=tile).total:>5} "
                  f"{psnr(whole, own):>10.1f} {psnr(whole, exact):>8.1f} {diff:>8} "
                  f"{psnr(whole, shrunk):>13.1f}", flush=True)


# ---- parts 2 and 3: big photos, each path in its own child process -------------------------
def run_child(height: int, width: int, mode: str, max_memory: int | None,
              save: Path | None = None) -> dict[str, float | str]:
    """Translate a scene in a fresh process; its figures plus its peak RSS in GiB."""
    command = [sys.executable, __file__, "--child", f"{height}x{width}:{mode}"]
    if max_memory is not None:
        command += ["--max-memory", str(max_memory)]
    if save is not None:
        command += ["--save", str(save)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child {mode} failed:\n{done.stderr[-2000:]}")
    found: dict[str, float | str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def child(spec: str, max_memory: int | None, save: str | None) -> None:
    """Runs in the child: one translation, then one JSON line of figures."""
    size, mode = spec.split(":")
    height, width = map(int, size.split("x"))
    translator = make_translator("resnet", 9, ngf=64)
    image = scene(height, width)
    budget = max_memory if mode != "whole" else 1 << 50
    started = time.perf_counter()
    out = translator.translate(image, max_memory=budget, global_norm=mode != "per-tile")
    seconds = time.perf_counter() - started
    assert out.shape == image.shape
    if save:
        np.save(save, out)
    plan, stream = translator.last_plan, translator.last_stream
    assert plan is not None
    tiles = (stream.tiles if stream else
             translator.plan(height, width, max_memory=plan.budget_bytes).total)
    print(json.dumps({
        "seconds": seconds, "tiles": tiles,
        "path": "per-tile" if mode == "per-tile" and plan.path != "whole" else plan.path,
        "spill_gb": (stream.spill_bytes / 2 ** 30) if stream else 0.0,
        "on_disk": "yes" if stream and stream.spill_folder else "no",
        "budget_gb": plan.budget_bytes / 2 ** 30,
        "rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20}))


def _row(name: str, r: dict[str, float | str], extra: str = "") -> None:
    print(f"{name:<10} {r['path']:<12} {float(r['seconds']):>8.1f} {float(r['rss_gb']):>8.2f} "
          f"{r['tiles']!s:>6} {float(r['spill_gb']):>6.2f} {r['on_disk']!s:>5} {extra}",
          flush=True)


def _header(title: str) -> None:
    print(f"\n== {title}, ResNet-9 ngf 64, CPU ({torch.get_num_threads()} threads), each "
          f"path in a child process ==", flush=True)
    print(f"{'path':<10} {'ran':<12} {'seconds':>8} {'peak GiB':>8} {'tiles':>6} "
          f"{'spill':>6} {'disk':>5}")


def part_compare(quick: bool, max_memory: int | None, size: tuple[int, int] | None = None
                 ) -> None:
    height, width = size or ((400, 600) if quick else (2000, 3000))
    budget = max_memory if max_memory is not None else (
        64 << 20 if quick else 1 << 30)  # small enough that it must tile
    _header(f"{width}×{height} vs whole, budget {budget / 2 ** 30:.2f} GiB for the tiled paths")
    with tempfile.TemporaryDirectory() as folder:
        outputs = {m: Path(folder) / f"{m}.npy" for m in ("whole", "exact", "per-tile")}
        results = {m: run_child(height, width, m, budget, outputs[m]) for m in outputs}
        whole = np.load(outputs["whole"])
        for mode, r in results.items():
            out = np.load(outputs[mode])
            diff = int(np.abs(whole.astype(np.int16) - out).max())
            _row(mode, r, "" if mode == "whole" else
                 f"PSNR {psnr(whole, out):.1f} dB, max diff {diff}")
    factor = float(results["exact"]["seconds"]) / float(results["per-tile"]["seconds"])
    print(f"time streamed / per-tile: {factor:.2f}×; streamed / whole: "
          f"{float(results['exact']['seconds']) / float(results['whole']['seconds']):.2f}×")


def part_big(quick: bool, max_memory: int | None, size: tuple[int, int] | None = None
             ) -> None:
    height, width = size or ((1200, 1800) if quick else (4000, 6000))
    if quick and max_memory is None:
        max_memory = 256 << 20  # the default budget would let 1800×1200 go whole
    _header(f"{width}×{height}")
    exact = run_child(height, width, "exact", max_memory)
    _row("exact", exact)
    per_tile = run_child(height, width, "per-tile", max_memory)
    _row("per-tile", per_tile)
    print(f"time streamed / per-tile: "
          f"{float(exact['seconds']) / float(per_tile['seconds']):.2f}×", flush=True)


# ---- part 3: inference speed -------------------------------------------------------------
def part_speed(quick: bool, max_memory: int | None) -> None:
    sizes = (64, 128) if quick else (256, 512)
    print("\n== whole-image inference, ngf 64, instance norm, batch 1, CPU ==")
    print(f"{'generator':<10} {'size':>5} {'ours s':>8} {'reference s':>12} {'ref/ours':>9}")
    for name, arch, depth in (("ResNet-9", "resnet", 9), ("U-Net-256", "unet", 8)):
        translator = make_translator(arch, depth, ngf=64)
        for side in sizes:
            image = scene(side, side)
            translator.translate(image)  # warm-up
            times = []
            for _ in range(3):
                started = time.perf_counter()
                translator.translate(image)
                times.append(time.perf_counter() - started)
            ours = statistics.median(times)
            ref = REFERENCE_S.get((arch, side))
            ratio = f"{ref / ours:>9.2f}" if ref else f"{'—':>9}"
            print(f"{name:<10} {side:>5} {ours:>8.2f} {ref if ref else '—':>12} {ratio}",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--parts", default="psnr,compare,big,speed",
                        help="comma-separated: psnr, compare, big, speed")
    parser.add_argument("--max-memory", help="budget for the tiled paths, e.g. 2GB")
    parser.add_argument("--size", help="HEIGHTxWIDTH for compare and big, e.g. 1000x1500")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--save", help=argparse.SUPPRESS)
    args = parser.parse_args()
    budget = parse_size(args.max_memory) if args.max_memory else None
    if args.child:
        child(args.child, budget, args.save)
        return
    parts: dict[str, Callable[..., None]] = {
        "psnr": part_psnr, "compare": part_compare, "big": part_big, "speed": part_speed}
    chosen = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in parts]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(parts)}")
    size = tuple(map(int, args.size.split("x"))) if args.size else None
    for name in chosen:
        if name in ("compare", "big") and size is not None:
            parts[name](args.quick, budget, (size[0], size[1]))
        else:
            parts[name](args.quick, budget)


if __name__ == "__main__":
    main()
