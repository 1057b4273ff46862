"""Screenshots for the user guide, made by driving the real app offscreen.

    .venv/bin/python docs/make_screenshots.py [--out docs/user-guide/images] [--steps 400]

A fresh workspace in a temporary folder (so your settings and runs are untouched): the
welcome page, the demo dataset, a short pix2pix run on it, the inspector over its
samples (a hovered cell, pins and the most fake patches), the Translate tab with the
run's generator on a demo image (side by side and split), and the run opened as a
folder. Every picture is 1280×800, the size the guide is written for. The script is
also the suite's end-to-end test (``--quick``: tiny networks, a few steps).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEventLoop, QPoint, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

SIZE = (1280, 800)
TIMEOUT_S = 600.0


class Shooter:
    """Drives one main window through the guide's steps and saves what it shows."""

    def __init__(self, app: QApplication, workspace: Path, out: Path, *, quick: bool,
                 steps: int) -> None:
        from nectar_gui.ui.shell.main_window import MainWindow
        from nectar_gui.workers.engine import EngineLoader

        self.app, self.out, self.quick, self.steps = app, out, quick, steps
        self.timeout_s = 150.0 if quick else TIMEOUT_S  # quick: inside pytest's limit
        settings = QSettings(str(workspace / "settings.ini"), QSettings.Format.IniFormat)
        self.window = MainWindow(workspace=workspace, settings=settings)
        self.loader = EngineLoader()
        self.window.attach_engine_loader(self.loader)
        self.loader.start()
        self.window.resize(*SIZE)
        self.window.show()
        self.saved: list[Path] = []

    # ---- plumbing -----------------------------------------------------------------------
    def wait(self, condition: Callable[[], bool], what: str) -> None:
        """Run the event loop until ``condition`` holds (SystemExit after the timeout)."""
        deadline = time.monotonic() + self.timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"Timed out waiting for {what}.")
            self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    def settle(self) -> None:
        """Let pending layouts, timers and repaints run (samples repaint from a timer)."""
        end = time.monotonic() + 0.4
        while time.monotonic() < end:
            self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    def shot(self, name: str) -> None:
        self.settle()
        path = self.out / f"{name}.png"
        if not self.window.grab().save(str(path)):
            raise SystemExit(f"Could not write {path}.")
        self.saved.append(path)
        print(f"wrote {path}", flush=True)

    # ---- the guide's steps --------------------------------------------------------------
    def welcome(self) -> None:
        self.shot("welcome")

    def dataset(self) -> None:
        w = self.window
        w.editor.apply_preset("pix2pix")
        if self.quick:
            from nectar_gui.workers.dataset import DemoOptions
            w.dataset_browser.set_demo_options(DemoOptions(n_train=8, n_test=2, size=64))
        w.use_demo_dataset()
        self.wait(lambda: w.editor.preset() == "demo-pix2pix"
                  and bool(w.editor.config() and w.editor.config().data.root),  # type: ignore[union-attr]
                  "the demo dataset")
        self.wait(lambda: not w.dataset_browser.jobs_running() and not w.build_summary.is_busy(),
                  "the dataset checks")
        browser = w.dataset_browser
        browser.grid.setCurrentIndex(browser.model.index(min(3, browser.model.rowCount() - 1)))
        self.wait(lambda: not w.dataset_browser.jobs_running(), "the preview")
        self.shot("dataset")

    def train(self) -> Path:
        w = self.window
        config = w.editor.config()
        assert config is not None
        overrides: dict[str, object] = {"logging.max_steps": self.steps,
                                        "logging.sample_interval_s": 0.2}
        if self.quick:
            overrides.update({"model.ngf": 8, "model.ndf": 8, "data.load_size": 64,
                              "data.crop_size": 64})
        w.editor.set_config(config.with_overrides(overrides))
        worker = w.start_training()
        if worker is None:
            raise SystemExit("The window refused to start training.")
        w.tabs.setCurrentWidget(w.training_view)
        self.wait(lambda: not w.runner.running, "the training run")
        self.shot("training")
        runs = sorted((w.workspace / "runs").iterdir())
        return runs[-1]

    def inspector(self) -> None:
        w = self.window
        tab = w.inspector
        w.tabs.setCurrentWidget(tab)
        tab.refresh()
        tab.show_image("fake_B")
        self.settle()
        view = tab.view
        sample = tab.current_sample()
        if sample is None:
            raise SystemExit("The run left no sample for the inspector.")
        height, width = sample.images["fake_B"].shape[:2]
        self._hover(view, 0.6 * width, 0.45 * height)
        self.shot("inspector-hover")
        for fy, fx in ((0.1, 0.1), (0.8, 0.7)):
            self._click(view, fx * width, fy * height)
        tab.controls.top_k.setValue(5)
        tab.controls.top_k_box.setChecked(True)
        self._hover(view, -50.0, -50.0)  # off the image: no hover frame
        self.shot("inspector-topk")

    def translate(self, run: Path) -> None:
        """The run's generator on a held-out label map, side by side and split."""
        from nectar_gui.ui.translate.model import ModelChoice

        w = self.window
        tab = w.translate_tab
        w.tabs.setCurrentWidget(tab)
        self.shot("translate-empty")
        tab.picker.select(ModelChoice(run))  # as if picked from the list
        tab.load_model(ModelChoice(run))
        self.wait(lambda: tab.info is not None, "the generator to load")
        tab.open_image(self._label_map(w.workspace))
        self.wait(lambda: tab.image is not None, "the image to open")
        tab.translate()
        self.wait(tab.compare.has_output, "the translation")
        self.shot("translate")
        tab.compare.set_mode("split")
        self.shot("translate-split")
        tab.compare.set_mode("side")

    def _label_map(self, workspace: Path) -> Path:
        """The A half (the label map) of a held-out demo pair, twice its size."""
        from PIL import Image

        config = self.window.editor.config()
        assert config is not None and config.data.root
        pairs = sorted((Path(config.data.root) / "val").glob("*.png"))
        if not pairs:
            raise SystemExit("The demo dataset has no val/ pairs.")
        with Image.open(pairs[0]) as pair:
            half = pair.crop((0, 0, pair.width // 2, pair.height))
            path = workspace / "facade-labels.png"
            half.resize((2 * half.width, 2 * half.height), Image.Resampling.NEAREST).save(path)
        return path

    def open_run(self, run: Path) -> None:
        w = self.window
        w.open_run(run)
        w.tabs.setCurrentWidget(w.training_view)
        plot = w.training_view.loss_plot
        self.wait(lambda: plot.point_count() > 0, "the opened run")
        self.wait(lambda: plot.readout_text().startswith("step"), "the curves to be drawn")
        self.shot("open-run")

    # ---- mouse --------------------------------------------------------------------------
    def _hover(self, view: QWidget, x: float, y: float) -> None:
        self._mouse(view, QMouseEvent.Type.MouseMove, x, y, Qt.MouseButton.NoButton)

    def _click(self, view: QWidget, x: float, y: float) -> None:
        for kind in (QMouseEvent.Type.MouseButtonPress, QMouseEvent.Type.MouseButtonRelease):
            self._mouse(view, kind, x, y, Qt.MouseButton.LeftButton)

    def _mouse(self, view: QWidget, kind: QMouseEvent.Type, x: float, y: float,
               button: Qt.MouseButton) -> None:
        point: QPoint = view.scene_to_viewport(x, y)  # type: ignore[attr-defined]
        viewport = view.viewport()  # type: ignore[attr-defined]
        buttons = button if kind == QMouseEvent.Type.MouseButtonPress else Qt.MouseButton.NoButton
        event = QMouseEvent(kind, point, viewport.mapToGlobal(point), button, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)
        self.settle()

    def close(self) -> None:
        self.window.close()
        self.loader.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent / "user-guide" / "images")
    parser.add_argument("--steps", type=int, default=400, help="training steps of the demo run")
    parser.add_argument("--quick", action="store_true",
                        help="tiny networks and data, few steps (the end-to-end test)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    with tempfile.TemporaryDirectory(prefix="nectar-shots-") as tmp:
        shooter = Shooter(app, Path(tmp), args.out,  # type: ignore[arg-type]
                          quick=args.quick, steps=12 if args.quick else args.steps)
        try:
            shooter.welcome()
            shooter.dataset()
            run = shooter.train()
            shooter.inspector()
            shooter.translate(run)
            shooter.open_run(run)
        finally:
            shooter.close()
    print(f"{len(shooter.saved)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
