"""Training speed on a CUDA GPU: ms/step, images/s and how busy the card is, every variant
in one run.

Usage (on a machine with a CUDA GPU)::

    python bench/gpu.py                              # pix2pix + CycleGAN, 256², batch 1 and 16
    python bench/gpu.py --models pix2pix --batches 16 --variants eager,graphs
    python bench/gpu.py --run-steps 80               # also whole runs (real files, loader)
    python bench/gpu.py --quick                      # 64², few steps: a smoke run

**Step** part: the real ``create_model(...).train_step(batch)`` on a batch of random
images held in pinned host memory (copied to the card each step, as the loader's are),
with the reference settings (presets, load = crop = size, U-Net with as many downs as the
size allows). Variants run one after another; each builds its model, warms up (cuDNN
autotuning, graph capture), then times ``--steps`` steps in three chunks and reports the
median chunk. ``busy`` is the union of the card's kernel and copy intervals during
``--profile-steps`` further steps (torch.profiler, CUDA activity only) divided by the
wall time of those steps: the share of the step the card was working.

**Run** part (``--run-steps N``): a whole ``TrainingSession`` — data loader with its
workers, validation off, default logging — on a synthetic aligned dataset of JPEG files
written to a temporary folder, timed between the first and the last loss report after a
warm-up, with the card's busy share over the same steps. This is where a slow data
pipeline shows.

Variants are ``+``-joined settings: ``eager`` (runtime.cuda_graphs=off), ``graphs``
(=on), ``bf16`` (bf16-mixed), ``cl`` (channels_last), ``devprep`` (resize and crop on
the card: data.device_preprocess, for the run part); ``default`` is the engine's
defaults. Printed: one table per part, and ``t/t[first]`` = ms ratio to the first variant.
Figures are not asserted anywhere.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_step import bench_overrides

from nectar_gui.core.presets import load_preset

SETTINGS = {
    "eager": {"runtime.cuda_graphs": "off"},
    "graphs": {"runtime.cuda_graphs": "on"},
    "bf16": {"runtime.precision": "bf16-mixed"},
    "cl": {"runtime.channels_last": True},
    "devprep": {"data.device_preprocess": True},
    "default": {},
}


def variant_overrides(name: str) -> dict[str, Any]:
    over: dict[str, Any] = {}
    parts = name.split("+")
    for part in parts:
        if part not in SETTINGS:
            raise SystemExit(f"unknown variant part {part!r}; choose from {', '.join(SETTINGS)}")
        over.update(SETTINGS[part])
    if "graphs" not in parts and "default" not in parts:
        over.setdefault("runtime.cuda_graphs", "off")
    return over


def config_for(model: str, size: int, batch: int, variant: str, **extra: Any) -> Any:
    over = {**bench_overrides(model, size, batch=batch), "runtime.device": "cuda",
            **variant_overrides(variant), **extra}
    return load_preset(model).with_overrides(over)


def busy_share(prof: Any, wall_s: float) -> float:
    """Union of the card's kernel/copy intervals over the profiled wall time."""
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        prof.export_chrome_trace(f.name)
        trace = json.loads(Path(f.name).read_text())
    spans = sorted((e["ts"], e["ts"] + e.get("dur", 0)) for e in trace.get("traceEvents", [])
                   if e.get("ph") == "X" and e.get("cat") in ("kernel", "gpu_memcpy",
                                                                "gpu_memset"))
    busy, end = 0.0, float("-inf")
    for start, stop in spans:
        if stop <= end:
            continue
        busy += stop - max(start, end)
        end = stop
    return busy / 1e6 / wall_s if wall_s > 0 else float("nan")


def profiled(step: Any, steps: int) -> float:
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
        wall = time.perf_counter() - t0
    return busy_share(prof, wall)


@dataclass
class Row:
    part: str
    model: str
    batch: int
    variant: str
    ms: float
    busy: float
    first_s: float
    mem_gib: float

    @property
    def images_per_s(self) -> float:
        return self.batch * 1000 / self.ms


def bench_step(model_kind: str, size: int, batch: int, variant: str, args: argparse.Namespace
               ) -> Row:
    from nectar_gui.core.runtime import Runtime
    from nectar_gui.core.training.models import create_model

    torch.manual_seed(0)
    config = config_for(model_kind, size, batch, variant)
    torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    model = create_model(config, Runtime(config.runtime))
    g = torch.Generator().manual_seed(0)
    batch_t = {k: (torch.rand(batch, 3, size, size, generator=g) * 2 - 1).pin_memory()
               for k in ("A", "B")}
    sink: list[torch.Tensor] = []

    def step() -> None:
        losses = model.train_step(batch_t)
        sink.append(torch.stack(list(losses.values())))  # what the loss meter does
        if len(sink) > 50:
            sink.clear()

    for _ in range(args.warmup):
        step()
    torch.cuda.synchronize()
    first = time.perf_counter() - t0
    chunk = max(1, args.steps // 3)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(chunk):
            step()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t) / chunk * 1000)
    busy = profiled(step, args.profile_steps)
    mem = torch.cuda.max_memory_allocated() / 2**30
    notes = [n for n in model.notes if "another shape" in n or "without" in n]
    if notes:
        print(f"  note ({model_kind} b{batch} {variant}): {notes}", flush=True)
    return Row("step", model_kind, batch, variant, statistics.median(times), busy, first, mem)


def synthetic_dataset(root: Path, n: int, size: int) -> Path:
    """``n`` aligned A|B JPEGs of size × 2·size: smooth shapes plus grain, like photos."""
    import numpy as np
    from PIL import Image

    train = root / "train"
    train.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:2 * size] / size
    for i in range(n):
        f = rng.uniform(1, 6, 3)
        img = np.stack([np.sin(xx * f[c] + yy * f[(c + 1) % 3] + i) for c in range(3)], -1)
        img = (img * 100 + 128 + rng.normal(0, 12, img.shape)).clip(0, 255).astype(np.uint8)
        Image.fromarray(img).save(train / f"{i:04d}.jpg", quality=90)
    return root


def bench_run(model_kind: str, size: int, batch: int, variant: str, data: Path,
              args: argparse.Namespace) -> Row:
    from torch.profiler import ProfilerActivity, profile

    from nectar_gui.core.training.control import TrainingControl
    from nectar_gui.core.training.reports import ErrorReport, LossReport
    from nectar_gui.core.training.session import SessionOptions, TrainingSession

    load = size + size // 8 if not args.quick else size
    config = config_for(model_kind, size, batch, variant, **{
        "data.root": str(data), "data.load_size": load, "logging.val_images": 0,
        "logging.max_steps": args.run_steps, "optim.n_epochs": 1000})
    warm = max(args.warmup, args.run_steps // 4)
    stamps: list[tuple[int, float]] = []
    prof = profile(activities=[ProfilerActivity.CUDA])
    t_start = time.perf_counter()
    first = float("nan")
    profiling = False
    for report in TrainingSession(config, SessionOptions()).run(TrainingControl()):
        if isinstance(report, ErrorReport):
            raise SystemExit(f"run failed: {report.message}\n{report.detail}")
        if isinstance(report, LossReport):
            now = time.perf_counter()
            if report.step >= warm:
                if not profiling and not stamps:
                    first = now - t_start
                    prof.start()
                    profiling = True
                stamps.append((report.step, now))
    torch.cuda.synchronize()
    if profiling:
        prof.stop()
    (s0, t0), (s1, t1) = stamps[0], stamps[-1]
    ms = (t1 - t0) / max(1, s1 - s0) * 1000
    busy = busy_share(prof, t1 - t0) if s1 > s0 else float("nan")
    gc.collect()
    torch.cuda.empty_cache()
    return Row("run", model_kind, batch, variant, ms, busy, first, float("nan"))


def print_table(rows: list[Row]) -> None:
    if not rows:
        return
    print(f"\n{'part':5} {'model':9} {'batch':>5} {'variant':16} {'ms/step':>9} {'img/s':>8} "
          f"{'busy':>6} {'t/t[first]':>10} {'first s':>8} {'peak GiB':>8}")
    firsts: dict[tuple[str, str, int], float] = {}
    for r in rows:
        base = firsts.setdefault((r.part, r.model, r.batch), r.ms)
        print(f"{r.part:5} {r.model:9} {r.batch:5d} {r.variant:16} {r.ms:9.2f} "
              f"{r.images_per_s:8.1f} {r.busy:6.0%} {r.ms / base:10.2f} {r.first_s:8.1f} "
              f"{r.mem_gib:8.2f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="pix2pix,cyclegan")
    p.add_argument("--batches", default="1,16")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--variants", default="eager,graphs,bf16,bf16+graphs,cl,default")
    p.add_argument("--steps", type=int, default=30, help="timed steps per variant")
    p.add_argument("--warmup", type=int, default=6, help="untimed steps first (≥ 4 for graphs)")
    p.add_argument("--profile-steps", type=int, default=10)
    p.add_argument("--run-steps", type=int, default=0,
                   help="also time whole runs of this many steps (0: no)")
    p.add_argument("--run-variants", default="eager,default,default+devprep")
    p.add_argument("--run-images", type=int, default=400)
    p.add_argument("--quick", action="store_true", help="64², few steps")
    p.add_argument("--json", help="also write the rows to this file")
    args = p.parse_args(argv)
    if not torch.cuda.is_available():
        print("bench/gpu.py needs a CUDA GPU (none found)")
        return 2
    if args.quick:
        args.size, args.steps, args.warmup, args.profile_steps = 64, 6, 4, 3
        args.run_images = min(args.run_images, 40)
    torch.backends.cudnn.benchmark = True
    print(f"GPU bench: {torch.cuda.get_device_name()} · torch {torch.__version__} · "
          f"{args.size}² · {args.steps} timed steps per variant", flush=True)
    rows: list[Row] = []
    for model in args.models.split(","):
        for batch in map(int, args.batches.split(",")):
            for variant in args.variants.split(","):
                try:
                    r = bench_step(model, args.size, batch, variant, args)
                except torch.OutOfMemoryError:
                    print(f"  {model} b{batch} {variant}: out of memory", flush=True)
                    gc.collect()
                    torch.cuda.empty_cache()
                    continue
                rows.append(r)
                gc.collect()  # the variant's model and buffers, before the next is built
                torch.cuda.empty_cache()
                print(f"  step {model} b{batch} {variant}: {r.ms:.2f} ms, busy {r.busy:.0%}",
                      flush=True)
    print_table(rows)
    if args.run_steps:
        run_rows: list[Row] = []
        with tempfile.TemporaryDirectory() as tmp:
            data = synthetic_dataset(Path(tmp), args.run_images, args.size)
            for model in args.models.split(","):
                if model != "pix2pix":
                    continue  # the aligned synthetic set is paired data
                for batch in map(int, args.batches.split(",")):
                    for variant in args.run_variants.split(","):
                        run_rows.append(bench_run(model, args.size, batch, variant, data, args))
                        r = run_rows[-1]
                        print(f"  run {model} b{batch} {variant}: {r.ms:.2f} ms, "
                              f"busy {r.busy:.0%}", flush=True)
        print_table(run_rows)
        rows += run_rows
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in rows], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
