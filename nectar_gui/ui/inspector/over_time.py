"""The Inspector over time: one fixed image, judged by the run's D at every checkpoint.

Live samples come from whatever batch was training, so scrubbing through them shows a
different picture at every step. To watch D's opinion of the *same* image change, this
takes the run's first probe image (``probes/inputs``, chosen once per run by
validation; for runs from before validation, the input of the first saved sample), and
for each checkpoint loads its G and D on a judge thread of its own and
asks D about G's translation of that image. The answers fill the inspector's scrubber;
for a pinned cell a small plot shows its score over the steps.

Answers are kept for the session, keyed by checkpoint folder and image (path and
modification time): showing the probe again, or after a live run saved one more
checkpoint, judges only the checkpoints not seen yet.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PIL import Image
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QPushButton, QWidget

from nectar_gui.core.evaluation.probes import probes_dir
from nectar_gui.core.patch_scores import reading
from nectar_gui.core.rundir import RunDirError, RunPaths, RunReader, complete_checkpoints
from nectar_gui.core.sample_grid import SampleRecord
from nectar_gui.ui.widgets.scrubber import SampleLoader, SampleScrubber
from nectar_gui.workers.inspect_d import JudgeFiles, JudgeRunner

MAP = "D(fake_B)"  # G's translation of the probe, judged by the D of domain B
#: Answers kept (each a few small images); the oldest go first.
CACHE_SIZE = 500

Stamp = tuple[str, int]  # a path and its modification time (ns)


def _stamp(path: Path) -> Stamp | None:
    """Identifies ``path``'s current contents; None when it cannot be read."""
    try:
        return str(path.resolve()), path.stat().st_mtime_ns
    except OSError:
        return None


def probe_input(run_dir: Path) -> Path | None:
    """The run's first probe image (None for runs from before validation)."""
    path = probes_dir(run_dir) / "inputs" / "00_A.png"
    return path if path.is_file() else None


def first_sample_input(run_dir: Path) -> np.ndarray | None:
    """The input (``real_A``) of the run's earliest sample that kept it, else None.

    Only the NPZ samples keep their images apart; a PNG-only sample is one grid and has
    no input to translate, so it is skipped.
    """
    reader = RunReader(run_dir)
    for step in reader.sample_steps():
        try:
            image = reader.load_sample(step).images.get("real_A")
        except RunDirError:
            continue
        if image is not None:
            return image
    return None


class ProbeOverTime(QObject):
    """Judges the probe at each checkpoint in turn; ``ready`` carries every answer."""

    progress = Signal(int, int)  # checkpoints done, of how many
    ready = Signal(object)  # dict[int, SampleRecord], by step
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = JudgeRunner(self)
        self.runner.loaded.connect(self._on_runner_loaded)
        self.runner.judged.connect(self._on_runner_judged)
        self.runner.failed.connect(self._on_runner_failed)
        self._queue: list[Path] = []
        self._image: Path | None = None
        self._image_stamp: Stamp | None = None
        self._records: dict[int, SampleRecord] = {}
        self._total = 0
        self._cache: OrderedDict[tuple[Stamp, Stamp], SampleRecord] = OrderedDict()
        self._scratch: tempfile.TemporaryDirectory[str] | None = None  # made when needed
        self.source = ""  # what is being followed, in words

    def start(self, run_dir: Path) -> str | None:
        """Begin (in the background); a reason instead when the run cannot be followed."""
        folders = complete_checkpoints(RunPaths(run_dir).checkpoints)
        if not folders:
            return "This run has no checkpoint yet."
        image, self.source = probe_input(run_dir), "the probe image"
        if image is None:
            image, self.source = self._first_sample_file(run_dir), "the first sample's input"
        if image is None:
            return ("This run has neither a probe image nor a saved sample input to follow: "
                    "use Ask D with an image of yours instead.")
        self._image, self._queue, self._records = image, [], {}
        self._image_stamp = _stamp(image)  # once: the image does not change meanwhile
        for folder in folders:
            key = self._key(folder)
            known = self._cache.get(key) if key is not None else None
            if known is None:
                self._queue.append(folder)
            else:
                self._records[int(folder.name)] = known
        self._total = len(folders)
        if self._queue:
            self.runner.load(self._queue[0])
        else:  # all seen before: answer once the caller has returned
            QTimer.singleShot(0, lambda: self.ready.emit(dict(self._records)))
        return None

    def _key(self, folder: Path) -> tuple[Stamp, Stamp] | None:
        checkpoint = _stamp(folder)
        return (checkpoint, self._image_stamp) if checkpoint and self._image_stamp else None

    def busy(self) -> bool:
        return bool(self._queue)

    def _first_sample_file(self, run_dir: Path) -> Path | None:
        """The first sample's input as a PNG in this object's scratch folder (the judge
        thread reads files)."""
        image = first_sample_input(run_dir)
        if image is None:
            return None
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="nectar-probe-")
        name = hashlib.sha1(str(run_dir.resolve()).encode()).hexdigest()[:12]
        path = Path(self._scratch.name) / f"first_sample_A-{name}.png"
        if not path.exists():  # written once per run, so its stamp (and the cache) holds
            Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image).save(path)
        return path

    def stop(self) -> None:
        """Forget the checkpoints still to judge (the one in progress is ignored)."""
        self._queue = []

    def shutdown(self) -> None:
        """Stop after the job in progress and join the judge thread."""
        self._queue = []
        self.runner.shutdown()
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def _on_runner_loaded(self, _info: object) -> None:
        if self._queue and self._image is not None:
            self.runner.judge(JudgeFiles(self._image, "B", translate=True))

    def _on_runner_judged(self, record: SampleRecord) -> None:
        if not self._queue:
            return
        folder = self._queue.pop(0)
        self._records[int(folder.name)] = record
        key = self._key(folder)
        if key is not None:
            self._cache[key] = record
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        self.progress.emit(self._total - len(self._queue), self._total)
        if self._queue:
            self.runner.load(self._queue[0])
        else:
            self.ready.emit(dict(self._records))

    def _on_runner_failed(self, message: str) -> None:
        self._queue = []
        self.failed.emit(message)


def cell_history(records: dict[int, SampleRecord], cell: tuple[int, int]
                 ) -> tuple[list[int], list[float]]:
    """One cell's reading (in D's own terms) at every step that has it."""
    steps, values = [], []
    for step in sorted(records):
        record = records[step]
        patch = record.patch_maps.get(MAP)
        if patch is None or record.gan_mode is None:
            continue
        grid = np.asarray(patch)
        grid = grid.reshape(grid.shape[-2:]) if grid.ndim > 2 else grid
        row, col = cell
        if row < grid.shape[0] and col < grid.shape[1]:
            steps.append(step)
            values.append(float(reading(grid[row:row + 1, col:col + 1], record.gan_mode)[0, 0]))
    return steps, values


class CellHistory(pg.PlotWidget):
    """A pinned cell's score over the checkpoints (shown while following the probe)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(90)
        self.setMaximumHeight(140)
        self.setMenuEnabled(False)
        self.showGrid(x=True, y=True, alpha=0.15)
        self.setLabel("bottom", "checkpoint step")
        for side in ("left", "bottom"):  # scores and steps read best as plain numbers
            self.getAxis(side).enableAutoSIPrefix(False)
        self.curve = self.plot([], [], symbol="o", symbolSize=5)

    def show_cell(self, records: dict[int, SampleRecord], cell: tuple[int, int] | None
                  ) -> None:
        """Plot ``cell``'s score across ``records`` (None: nothing pinned)."""
        steps, values = cell_history(records, cell) if cell is not None else ([], [])
        self.curve.setData(steps, values)
        self.setLabel("left", f"cell {cell}" if cell is not None else "pin a cell")


class OverTimeMode(QObject):
    """Joins the "Probe over time" button, the judge sequence, the scrubber and the plot.

    Args:
        button: starts the sequence for the run set with ``set_run``.
        scrubber: takes the answers as its steps (and leaves live mode).
        say: shows a one-line message in the tab (progress, problems).
    """

    def __init__(self, parent: QObject, *, button: QPushButton, scrubber: SampleScrubber,
                 history: CellHistory, say: Callable[[str], None]) -> None:
        super().__init__(parent)
        self.button, self.scrubber, self.history, self._say = button, scrubber, history, say
        self.probe = ProbeOverTime(self)
        self.run: Path | None = None
        self.records: dict[int, SampleRecord] = {}
        self._samples: tuple[list[int], SampleLoader] | None = None  # to go back to
        button.setCheckable(True)
        button.toggled.connect(self._on_button_toggled)
        self.probe.progress.connect(
            lambda done, total: say(f"Judging {self.probe.source} with checkpoint {done} of "
                                    f"{total}…"))
        self.probe.ready.connect(self._on_probe_ready)
        self.probe.failed.connect(say)
        self.set_run(None)

    def set_run(self, run_dir: Path | None) -> None:
        """The run whose checkpoints the button follows (None: no run)."""
        self.run = run_dir
        self.button.setChecked(False)
        self.button.setEnabled(run_dir is not None)

    def set_sample_steps(self, steps: list[int], loader: SampleLoader) -> None:
        """The run's saved samples: to the scrubber now, or once the probe is put away."""
        self._samples = (steps, loader)
        if not (self.records or self.probe.busy()):
            self.scrubber.set_steps(steps, loader)

    def _on_button_toggled(self, on: bool) -> None:
        if on and self.run is not None and not self.probe.busy():
            problem = self.probe.start(self.run)
            self._say(problem or "Loading the first checkpoint…")
            if problem:
                self.button.setChecked(False)
        elif not on:  # back to the training samples
            self.probe.stop()
            self.records = {}
            self.history.hide()
            if self._samples is not None:
                self.scrubber.set_steps(*self._samples)

    def pins_changed(self, pins: list[tuple[int, int]]) -> None:
        """Follow the first pinned cell in the plot."""
        if self.records:
            self.history.show_cell(self.records, pins[0] if pins else None)

    def shutdown(self) -> None:
        self.probe.shutdown()

    def _on_probe_ready(self, records: dict[int, SampleRecord]) -> None:
        if not self.button.isChecked():
            return  # switched back to the samples meanwhile
        self.records = records
        steps = sorted(records)
        self.scrubber.set_steps(steps, records.__getitem__)
        self.scrubber.show_step(steps[-1])
        self.history.show()
        self.history.show_cell(records, None)
        self._say(f"{self.probe.source.capitalize()} at {len(steps)} checkpoints: drag the "
                  "scrubber; pin a cell to follow its score.")
