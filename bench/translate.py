"""Full-resolution translation: tiled vs whole quality, a 6000×4000 photo, inference speed.

Usage::

    .venv/bin/python bench/translate.py            # all three parts (the big image takes minutes)
    .venv/bin/python bench/translate.py --quick    # small sizes, a smoke run
    .venv/bin/python bench/translate.py --parts psnr,speed

Parts:

``psnr``   PSNR (dB) of tiled output against whole-image output, on a procedural scene
           that fits whole, for several tile sizes. Generators are seeded with the paper
           init (normal 0.02) and instance norm, the case where tiles differ most.
           Columns: ``own stats`` = each tile normalised by its own statistics (what
           images too large to go whole get); ``image stats`` = tiles normalised with the
           whole image's exact statistics (what ``translate(tile=N)`` does when the image
           fits); ``shrunk stats`` = statistics from a copy shrunk 2× (an estimate the
           engine does *not* use; shown to explain why).
``big``    seconds and peak RSS (``ru_maxrss`` of a child process) to translate a
           6000×4000 image with a ResNet-9, ngf 64 generator (random weights) on the CPU,
           through the same ``Translator`` the app and ``nectar translate`` use.
``speed``  whole-image inference seconds (median of 3, after a warm-up) of ResNet-9 and
           U-Net-256 (ngf 64, instance norm) at 256² and 512², next to the reference
           implementation's figures on this machine class (REFERENCE.md).

Times are printed, never asserted; other work on the machine shows up in them.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from nectar_gui.core.data.demo_scenes import render_scene
from nectar_gui.core.models import init_weights
from nectar_gui.core.translate.info import GeneratorInfo
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


def part_psnr(quick: bool) -> None:
    h, w = (192, 256) if quick else (512, 768)
    image = scene(h, w)
    print(f"\n== PSNR of tiled vs whole-image output ({w}×{h} scene, ngf 16, instance norm, "
          f"overlap = tile/4) ==")
    print(f"{'generator':<12} {'tile':>5} {'tiles':>5} {'own stats':>10} {'image stats':>12} "
          f"{'shrunk stats':>13}")
    cases = [("ResNet-9", "resnet", 9, (64, 128, 256) if quick else (128, 256, 384)),
             ("U-Net-256" if not quick else "U-Net-128", "unet", 7 if quick else 8,
              (128,) if quick else (256, 512))]
    for name, arch, depth, tiles in cases:
        translator = make_translator(arch, depth, ngf=16)
        whole = translator.translate(image)
        for tile in tiles:
            own = translator.translate(image, tile=tile, global_norm=False)
            exact = translator.translate(image, tile=tile)
            shrunk = shrunk_stats_output(translator, image, tile)
            print(f"{name:<12} {tile:>5} {translator.plan(h, w, tile=tile).total:>5} "
                  f"{psnr(whole, own):>10.1f} {psnr(whole, exact):>12.1f} "
                  f"{psnr(whole, shrunk):>13.1f}", flush=True)


# ---- part 2: a big photo in a child process ----------------------------------------------
def big_child(height: int, width: int) -> None:
    """Runs in the child: translate one big image and print seconds and tiles."""
    translator = make_translator("resnet", 9, ngf=64)
    image = scene(height, width)
    plan = translator.plan(height, width)
    started = time.perf_counter()
    out = translator.translate(image)
    seconds = time.perf_counter() - started
    assert out.shape == image.shape
    print(f"{seconds:.1f} {plan.total} {plan.tile}")


def part_big(quick: bool) -> None:
    height, width = (1200, 1800) if quick else (4000, 6000)
    print(f"\n== {width}×{height} image, ResNet-9 ngf 64, CPU ({torch.get_num_threads()} "
          f"threads), child process ==", flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run([sys.executable, __file__, "--big-child", f"{height}x{width}"],
                          capture_output=True, text=True, check=True)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    seconds, tiles, tile = done.stdout.split()
    peak = peak_kib if peak_kib > before else float("nan")
    print(f"{seconds} s, {tiles} tiles of {tile}² (overlap {int(tile) // 4}), "
          f"peak RSS {peak / 1024 ** 2:.2f} GiB")


# ---- part 3: inference speed -------------------------------------------------------------
def part_speed(quick: bool) -> None:
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
    parser.add_argument("--parts", default="psnr,big,speed",
                        help="comma-separated: psnr, big, speed")
    parser.add_argument("--big-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.big_child:
        height, width = map(int, args.big_child.split("x"))
        big_child(height, width)
        return
    parts = {"psnr": part_psnr, "big": part_big, "speed": part_speed}
    chosen = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in parts]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(parts)}")
    for name in chosen:
        parts[name](args.quick)


if __name__ == "__main__":
    main()
