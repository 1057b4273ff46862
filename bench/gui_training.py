"""Training with the window attached vs headless, and the UI's latency while it trains.

    .venv/bin/python bench/gui_training.py [--steps 300] [--rounds 2] [--preset demo-pix2pix]

Prints (a) steps per second of the same run headless and inside the main window with
live loss plots and samples, interleaved round by round so machine noise hits both, and
their ratio; (b) lateness of a 10 ms heartbeat timer in the window's event loop while
training runs: p50 / p99 / max. Both variants use the same training thread count (the
app's: all cores but one), so the ratio isolates the cost of the GUI.
"""

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

from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.data.demo import write_demo_dataset
from nectar_gui.core.presets import load_preset
from nectar_gui.core.runtime import default_threads


def bench_config(preset: str, data: Path, steps: int) -> NectarConfig:
    return load_preset(preset).with_overrides({
        "data.root": str(data), "data.num_workers": 0, "logging.max_steps": steps,
        "runtime.threads": default_threads(interactive=True),
        "logging.checkpoint_every_steps": 10**6})


def headless_rate(config: NectarConfig, run_dir: Path) -> float:
    """Steps per second from the first to the last step of a headless run."""
    from nectar_gui.core.training.control import TrainingControl
    from nectar_gui.core.training.reports import ErrorReport, LossReport
    from nectar_gui.core.training.session import SessionOptions, TrainingSession

    first: tuple[int, float] | None = None
    last: tuple[int, float] = (0, 0.0)
    session = TrainingSession(config, SessionOptions(run_dir=run_dir))
    for report in session.run(TrainingControl()):
        if isinstance(report, ErrorReport):
            raise SystemExit(report.message)
        if isinstance(report, LossReport):
            now = time.perf_counter()
            first = first or (report.step, now)
            last = (report.step, now)
    assert first is not None
    return (last[0] - first[0]) / (last[1] - first[1])


class Heartbeat:
    """A 10 ms precise timer that records how late each tick arrives."""

    def __init__(self, interval_ms: int = 10) -> None:
        self.interval = interval_ms
        self.lateness_ms: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._clock.start()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        elapsed = self._clock.nsecsElapsed() / 1e6
        self._clock.restart()
        self.lateness_ms.append(max(0.0, elapsed - self.interval))


def gui_rate(app: QApplication, config: NectarConfig, workspace: Path,
             heartbeat: Heartbeat) -> float:
    """Steps per second of the same run started from the main window."""
    from nectar_gui.ui.main_window import MainWindow

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
    worker.losses.connect(lambda r: marks.append((r.step, time.perf_counter())))
    worker.error.connect(lambda r: print("error:", r.message, file=sys.stderr))
    window.runner.running_changed.connect(lambda running: running or loop.quit())
    heartbeat.start()
    loop.exec()
    heartbeat.stop()
    window.close()
    (s0, t0), (s1, t1) = marks[0], marks[-1]
    return (s1 - s0) / (t1 - t0)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo-pix2pix")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        kind = "paired" if "pix2pix" in args.preset else "unpaired"
        data = write_demo_dataset(root / "data", kind, n_train=100)
        config = bench_config(args.preset, data, args.steps)
        heartbeat = Heartbeat()
        rows: list[tuple[float, float]] = []
        for i in range(args.rounds):
            h = headless_rate(config, root / f"headless-{i}")
            g = gui_rate(app, config, root / f"gui-{i}", heartbeat)  # type: ignore[arg-type]
            rows.append((h, g))
            print(f"round {i + 1}: headless {h:.2f} it/s · window {g:.2f} it/s · "
                  f"ratio {g / h:.3f}", flush=True)
    heads = statistics.median(h for h, _ in rows)
    guis = statistics.median(g for _, g in rows)
    late = heartbeat.lateness_ms
    print(f"\n{args.preset}, {args.steps} steps, {config.runtime.threads} training thread(s)")
    print(f"{'variant':<10} {'it/s':>8}")
    print(f"{'headless':<10} {heads:>8.2f}")
    print(f"{'window':<10} {guis:>8.2f}   ratio window/headless = {guis / heads:.3f}")
    print(f"UI heartbeat lateness over {len(late)} ticks: p50 {percentile(late, 0.5):.1f} ms · "
          f"p99 {percentile(late, 0.99):.1f} ms · max {max(late):.1f} ms")


if __name__ == "__main__":
    main()
