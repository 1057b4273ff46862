"""Training with the window attached vs headless, and the UI's latency while it trains.

    .venv/bin/python bench/gui_training.py [--steps 600] [--rounds 4] [--preset demo-pix2pix]

Prints (a) steps per second of the same run three ways: headless; headless but also
producing the live samples the window would get (their cost, without showing them); and
inside the main window with live loss plots and samples — each round runs all three,
in alternating order so drift over time favours none, after an uncounted warm-up round;
ratios are medians of the per-round ratios. (b) Lateness of a 10 ms heartbeat timer in
the window's event loop while training runs: p50 / p99 / max. All variants use the same
training thread count (the app's: all cores but one), so the ratio isolates the GUI.
Other work on the machine shows up as noise: run it on an idle machine."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEventLoop, QSettings
from PySide6.QtWidgets import QApplication

from bench.heartbeat import Heartbeat, percentile
from nectar_gui.core.config import NectarConfig
from nectar_gui.core.data.demo import write_demo_dataset
from nectar_gui.core.presets import load_preset
from nectar_gui.core.runtime import default_threads


def bench_config(preset: str, data: Path, steps: int) -> NectarConfig:
    return load_preset(preset).with_overrides({
        "data.root": str(data), "data.num_workers": 0, "logging.max_steps": steps,
        "runtime.threads": default_threads(interactive=True),
        "logging.checkpoint_every_steps": 10**6})


def headless_rate(config: NectarConfig, run_dir: Path, *, live_samples: bool = False) -> float:
    """Steps per second from the first to the last step of a headless run.

    ``live_samples`` makes the session produce the window's live samples too (and drop
    them), which separates their cost from the cost of showing them.
    """
    from nectar_gui.core.training.control import TrainingControl
    from nectar_gui.core.training.reports import ErrorReport, LossReport
    from nectar_gui.core.training.session import SessionOptions, TrainingSession

    first: tuple[int, float] | None = None
    last: tuple[int, float] = (0, 0.0)
    session = TrainingSession(config, SessionOptions(run_dir=run_dir, live_samples=live_samples,
                                                     interactive=live_samples))
    for report in session.run(TrainingControl()):
        if isinstance(report, ErrorReport):
            raise SystemExit(report.message)
        if isinstance(report, LossReport):
            now = time.perf_counter()
            first = first or (report.step, now)
            last = (report.step, now)
    assert first is not None
    return (last[0] - first[0]) / (last[1] - first[1])


def gui_rate(app: QApplication, config: NectarConfig, workspace: Path,
             heartbeat: Heartbeat) -> float:
    """Steps per second of the same run started from the main window."""
    from nectar_gui.ui.shell.main_window import MainWindow

    settings = QSettings(str(workspace / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(workspace=workspace, settings=settings)
    window.resize(1280, 800)
    window.show()
    window.editor.set_config(config)
    # Start as a user would: after the window has settled (summary and data checks done).
    while window.build_summary.is_busy() or window.dataset_browser.jobs_running():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    marks: list[tuple[int, float]] = []
    loop = QEventLoop()
    worker = window.start_training()
    assert worker is not None, "the window refused to start"
    # Watched as a user would: the Training tab in front, plots and samples painting.
    window.tabs.setCurrentWidget(window.training_view)
    worker.losses.connect(lambda r: marks.append((r.step, time.perf_counter())))
    worker.error.connect(lambda r: print("error:", r.message, file=sys.stderr))
    window.runner.running_changed.connect(lambda running: running or loop.quit())
    heartbeat.start()
    loop.exec()
    heartbeat.stop()
    window.close()
    (s0, t0), (s1, t1) = marks[0], marks[-1]
    return (s1 - s0) / (t1 - t0)


VARIANTS = ("headless", "headless + live samples", "window")


def run_round(app: QApplication, config: NectarConfig, root: Path, heartbeat: Heartbeat,
              order: tuple[str, ...]) -> dict[str, float]:
    """One run of each variant, in ``order``; steps per second by variant."""
    rates: dict[str, float] = {}
    for name in order:
        folder = root / f"{name.replace(' ', '')}"
        if name == "window":
            rates[name] = gui_rate(app, config, folder, heartbeat)
        else:
            rates[name] = headless_rate(config, folder, live_samples="samples" in name)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo-pix2pix")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup-rounds", type=int, default=1,
                        help="rounds run first and not counted (start-up effects)")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    rows: list[dict[str, float]] = []
    late: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        kind = "paired" if "pix2pix" in args.preset else "unpaired"
        data = write_demo_dataset(root / "data", kind, n_train=100)
        config = bench_config(args.preset, data, args.steps)
        for i in range(args.warmup_rounds + args.rounds):
            counted = i >= args.warmup_rounds
            heartbeat = Heartbeat()
            # Alternate the order so drift over time favours no variant.
            order = VARIANTS if i % 2 == 0 else tuple(reversed(VARIANTS))
            rates = run_round(app, config, root / f"round-{i}", heartbeat, order)
            if counted:
                rows.append(rates)
                late.extend(heartbeat.lateness_ms)
            print(f"round {i + 1}{'' if counted else ' (warm-up)'}: "
                  + " · ".join(f"{k} {rates[k]:.2f} it/s" for k in VARIANTS)
                  + f" · window/headless {rates['window'] / rates['headless']:.3f}", flush=True)
    print(f"\n{args.preset}, {args.steps} steps, {config.runtime.threads} training thread(s), "
          f"{args.rounds} counted rounds")
    print(f"{'variant':<24} {'median it/s':>12} {'median ratio to headless':>26}")
    for name in VARIANTS:
        rate = statistics.median(r[name] for r in rows)
        ratio = statistics.median(r[name] / r["headless"] for r in rows)
        print(f"{name:<24} {rate:>12.2f} {ratio:>26.3f}")
    print(f"UI heartbeat lateness over {len(late)} ticks while the window trained: "
          f"p50 {percentile(late, 0.5):.1f} ms · p99 {percentile(late, 0.99):.1f} ms · "
          f"max {max(late):.1f} ms")


if __name__ == "__main__":
    main()
