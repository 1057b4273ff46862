"""Training in the app vs ``nectar train``, each with its default settings, and the UI's latency.

    .venv/bin/python bench/gui_training.py [--preset pix2pix] [--size 128] [--steps 40]
                                           [--rounds 3] [--also-app-threads 1]

Both variants train the same config with ``runtime.threads`` left at 0, so each uses its
own default thread count — the comparison is what a user gets:

- ``cli``: ``python -m nectar_gui.cli train --config … --quiet`` in its own process, as a
  user runs it from a terminal;
- ``app``: the same config started from the main window (Training tab in front, loss plots
  and live samples painting), in this process.

Steps per second come from the run folder's ``metrics.jsonl`` in both (wall time of the
first logged step to the last, so start-up, the import of torch and the final checkpoint
are not counted). Each round runs every variant, in alternating order so drift over time
favours none, after an uncounted warm-up round; the app/cli ratio is the median of the
per-round ratios, with its smallest and largest value to show how noisy the machine was.
A 10 ms heartbeat timer in the window's event loop measures the UI's lateness
(p50 / p99 / max) while the app trains — and, as a baseline for the machine's own noise,
while the CLI trains in its other process (the window idle). ``--also-app-threads N``
adds an app variant pinned to N threads (1 = the old default on a 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from bench.heartbeat import Heartbeat, percentile
from nectar_gui.core.config import NectarConfig
from nectar_gui.core.data.demo import write_demo_dataset
from nectar_gui.core.presets import load_preset
from nectar_gui.core.speed import APP_OMP_SPIN, shorten_omp_spin

ROOT = Path(__file__).resolve().parents[1]


def bench_config(preset: str, data: Path, steps: int, size: int) -> NectarConfig:
    """The preset at ``size``² with default runtime settings (threads 0: each side's own)."""
    overrides: dict[str, object] = {
        "data.root": str(data), "logging.max_steps": steps,
        "data.crop_size": size, "data.load_size": size * 286 // 256,
        # Neither is counted (the run ends first), and both would only lengthen the bench.
        "logging.checkpoint_every_steps": 10**6, "logging.val_images": 0}
    config = load_preset(preset)
    if config.model.generator == "unet":  # a U-Net needs 2**downs <= size
        overrides["model.unet_downs"] = min(config.model.unet_downs, int(math.log2(size)))
    return config.with_overrides(overrides)


def metrics_rate(run_dir: Path) -> float:
    """Steps per second between the first and the last line of ``metrics.jsonl``."""
    lines = [json.loads(ln) for ln in (run_dir / "metrics.jsonl").read_text().splitlines()
             if ln.strip()]
    if len(lines) < 2:
        raise SystemExit(f"{run_dir}: fewer than two metrics lines; use more --steps")
    first, last = lines[0], lines[-1]
    return (last["step"] - first["step"]) / (last["time"] - first["time"])


def cli_rate(app: QApplication, config: NectarConfig, folder: Path, heartbeat: Heartbeat,
             env: dict[str, str]) -> float:
    """``nectar train`` in its own process; the idle window's heartbeat runs meanwhile."""
    folder.mkdir(parents=True)
    config_file = folder / "config.json"
    config_file.write_text(config.to_json())
    run_dir = folder / "run"
    proc = subprocess.Popen([sys.executable, "-m", "nectar_gui.cli", "train", "--config",
                             str(config_file), "--run-dir", str(run_dir), "--quiet"],
                            cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: proc.poll() is None or loop.quit())
    poll.start(50)
    heartbeat.start()
    loop.exec()
    heartbeat.stop()
    poll.stop()
    out = proc.stdout.read() if proc.stdout else ""
    if proc.wait() != 0:
        raise SystemExit(f"nectar train failed:\n{out}")
    return metrics_rate(run_dir)


def app_rate(app: QApplication, config: NectarConfig, workspace: Path,
             heartbeat: Heartbeat) -> float:
    """The same run started from the main window, watched on the Training tab."""
    from nectar_gui.ui.shell.main_window import MainWindow

    settings = QSettings(str(workspace / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(workspace=workspace, settings=settings)
    window.resize(1280, 800)
    window.show()
    window.editor.set_config(config)
    # Start as a user would: after the window has settled (summary and data checks done).
    while window.build_summary.is_busy() or window.dataset_browser.jobs_running():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    problem = window.start_problem()
    if problem:  # start_training would show it in a modal box and wait for a click
        raise SystemExit(f"the window cannot start: {problem}")
    loop = QEventLoop()
    worker = window.start_training()
    assert worker is not None, "the window refused to start"
    run_dir = worker.run_dir
    window.tabs.setCurrentWidget(window.training_view)
    errors: list[str] = []
    worker.error.connect(lambda r: errors.append(r.message))
    window.runner.running_changed.connect(lambda running: running or loop.quit())
    heartbeat.start()
    loop.exec()
    heartbeat.stop()
    window.close()
    if errors:
        raise SystemExit(f"the app's run failed: {errors[0]}")
    return metrics_rate(run_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="pix2pix")
    parser.add_argument("--size", type=int, default=128, help="crop size (square)")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup-rounds", type=int, default=1,
                        help="rounds run first and not counted (start-up effects)")
    parser.add_argument("--also-app-threads", type=int, action="append", default=[],
                        metavar="N", help="add an app variant with runtime.threads=N")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    variants = ["cli", "app", *(f"app {n}t" for n in args.also_app_threads)]
    rows: list[dict[str, float]] = []
    late: dict[str, list[float]] = {name: [] for name in variants}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        kind = "unpaired" if "cyclegan" in args.preset else "paired"
        data = write_demo_dataset(root / "data", kind, n_train=100, size=args.size)
        config = bench_config(args.preset, data, args.steps, args.size)
        cli_env = dict(os.environ)  # the CLI chooses its own spin from its config
        # As app.main does with the config it restores, before torch loads in this process.
        shorten_omp_spin(config, otherwise=APP_OMP_SPIN)
        for i in range(args.warmup_rounds + args.rounds):
            counted = i >= args.warmup_rounds
            order = variants if i % 2 == 0 else list(reversed(variants))
            rates: dict[str, float] = {}
            for name in order:
                folder = root / f"round-{i}" / name.replace(" ", "-")
                heartbeat = Heartbeat()
                if name == "cli":
                    rates[name] = cli_rate(app, config, folder, heartbeat, cli_env)
                else:
                    threads = int(name.split()[1][:-1]) if " " in name else 0
                    pinned = config.with_overrides({"runtime.threads": threads})
                    rates[name] = app_rate(app, pinned, folder, heartbeat)
                if counted:
                    late[name].extend(heartbeat.lateness_ms)
            if counted:
                rows.append(rates)
            print(f"round {i + 1}{'' if counted else ' (warm-up)'}: "
                  + " · ".join(f"{k} {rates[k]:.3f} it/s" for k in variants)
                  + f" · app/cli {rates['app'] / rates['cli']:.3f}", flush=True)
    load_after = os.getloadavg()
    print(f"\n{args.preset} at {args.size}², {args.steps} steps per run, {args.rounds} counted "
          f"rounds, {os.cpu_count()} cores; load average before {load_before[0]:.2f}, "
          f"after {load_after[0]:.2f} (1 min); app's OpenMP spin "
          f"{os.environ.get('GOMP_SPINCOUNT', 'default')}")
    print(f"{'variant':<12} {'median it/s':>12} {'ratio to cli: median (min–max)':>32} "
          f"{'heartbeat late p50 / p99 / max ms':>36}")
    for name in variants:
        rate = statistics.median(r[name] for r in rows)
        ratios = [r[name] / r["cli"] for r in rows]
        ticks = late[name]
        beat = (f"{percentile(ticks, 0.5):.1f} / {percentile(ticks, 0.99):.1f} / "
                f"{max(ticks):.1f}" if ticks else "-")
        where = " (window idle)" if name == "cli" else ""
        print(f"{name:<12} {rate:>12.3f} {statistics.median(ratios):>14.3f} "
              f"({min(ratios):.3f}–{max(ratios):.3f}){'':>5} {beat:>22}{where}")


if __name__ == "__main__":
    main()
