"""The Evaluate worker on its real thread, on a tiny real pix2pix run (checkpoints 2 and 4)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from pytestqt.qtbot import QtBot

from nectar_gui.core.evaluation.best import BestMark, read_best
from nectar_gui.core.evaluation.records import StepEvaluation, is_better, ranking_value
from nectar_gui.core.training.session import SessionOptions, TrainingSession
from nectar_gui.workers.evaluate import EvalEnd, EvalProgress, EvaluateRunner
from tests.core.test_training import run_all
from tests.tiny import tiny_config

TIMEOUT = 60_000
VAL_IMAGES = 6


def tiny_eval_run(folder: Path, paired_data: Path) -> Path:
    """A pix2pix run with checkpoints 2 and 4 whose dataset has VAL_IMAGES val pairs."""
    root = folder / "data"
    shutil.copytree(paired_data, root)
    rng = np.random.default_rng(5)
    for i in range(VAL_IMAGES - len(list((root / "val").iterdir()))):
        pair = rng.integers(0, 256, (32, 64, 3), dtype=np.uint8)
        Image.fromarray(pair).save(root / "val" / f"extra{i}.png")
    run = folder / "runs" / "tiny"
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run_all(TrainingSession(tiny_config("pix2pix", root, **{
            "logging.max_steps": 4, "logging.checkpoint_every_steps": 2}),
            SessionOptions(run_dir=run)))
    finally:
        torch.set_num_threads(before)
    return run


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, paired_data: Path) -> Path:
    return tiny_eval_run(tmp_path_factory.mktemp("eval-worker"), paired_data)


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[EvaluateRunner]:
    torch.set_num_threads(1)  # the worker thread inherits nothing; tiny nets need no more
    r = EvaluateRunner()
    yield r
    assert r.shutdown(TIMEOUT)  # the thread ends and is joined


def _wait_end(qtbot: QtBot, runner: EvaluateRunner, start: Callable[[], object]) -> EvalEnd:
    """Start a job and wait for its end, and for the runner to have seen it."""
    ends: list[EvalEnd] = []
    record = ends.append
    runner.worker.finished.connect(record)
    start()
    qtbot.waitUntil(lambda: bool(ends) and not runner.busy, timeout=TIMEOUT)
    runner.worker.finished.disconnect(record)
    assert len(ends) == 1
    return ends[0]


def test_two_checkpoints_report_progress_and_owned_results(qtbot: QtBot, run: Path,
                                                           runner: EvaluateRunner) -> None:
    results: list[StepEvaluation] = []
    progress: list[EvalProgress] = []
    runner.worker.evaluated.connect(results.append)
    runner.worker.progress.connect(progress.append)
    end = _wait_end(qtbot, runner, lambda: runner.evaluate(run, [2, 4], "val", device="cpu"))
    assert (end.kind, end.outcome, end.evaluated) == ("evaluate", "ok", 2)
    assert [r.step for r in results] == [2, 4]
    assert all(len(r.images) == VAL_IMAGES and r.kind == "paired" for r in results)
    thumb = results[0].images[0].thumbnails["G(A)"]
    assert thumb.dtype == np.uint8 and thumb.flags.c_contiguous and thumb.flags.owndata
    # per checkpoint: "loading" (0 of 0), then every image; the fraction only grows
    assert [(p.index, p.done) for p in progress if p.step == 4] == [
        (1, d) for d in range(VAL_IMAGES + 1)]
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_cancel_between_images(qtbot: QtBot, run: Path, runner: EvaluateRunner) -> None:
    # Hold the worker after its second image until Cancel was pressed: the stop always
    # lands half-way, however fast the machine is.
    reached, cancelled = threading.Event(), threading.Event()

    def hold(p: EvalProgress) -> None:  # runs on the worker's thread
        if p.done == 2:
            reached.set()
            cancelled.wait(TIMEOUT / 1000)

    results: list[StepEvaluation] = []
    runner.worker.evaluated.connect(results.append)
    runner.worker.progress.connect(hold)
    ends: list[EvalEnd] = []
    runner.worker.finished.connect(ends.append)
    runner.evaluate(run, [2, 4], "val", device="cpu")
    qtbot.waitUntil(reached.is_set, timeout=TIMEOUT)
    runner.cancel()
    cancelled.set()
    qtbot.waitUntil(lambda: bool(ends) and not runner.busy, timeout=TIMEOUT)
    assert [(e.outcome, e.evaluated) for e in ends] == [("cancelled", 0)]
    assert results == []


def test_failures_are_messages_and_the_thread_lives_on(qtbot: QtBot, run: Path,
                                                       runner: EvaluateRunner,
                                                       tmp_path: Path) -> None:
    messages: list[str] = []
    runner.worker.failed.connect(messages.append)
    end = _wait_end(qtbot, runner, lambda: runner.evaluate(run, [3], "val", device="cpu"))
    assert end.outcome == "failed" and "no checkpoint at step 3" in messages[-1]
    end = _wait_end(qtbot, runner, lambda: runner.evaluate(tmp_path, [2], "val"))
    assert end.outcome == "failed" and "not a run folder" in messages[-1]
    end = _wait_end(qtbot, runner, lambda: runner.evaluate(run, [2], "test", device="cpu"))
    assert end.outcome == "failed" and "no usable 'test' split" in messages[-1]
    end = _wait_end(qtbot, runner, lambda: runner.evaluate(run, [4], "val", limit=1,
                                                           device="cpu"))
    assert end.outcome == "ok"


def test_choose_best_writes_best(qtbot: QtBot, run: Path, runner: EvaluateRunner) -> None:
    results: list[StepEvaluation] = []
    runner.worker.evaluated.connect(results.append)
    _wait_end(qtbot, runner, lambda: runner.evaluate(run, [2, 4], "val", limit=2,
                                                     device="cpu"))
    for metric in ("l1", "ssim"):
        marks: list[BestMark] = []
        record = marks.append
        runner.worker.best_marked.connect(record)
        end = _wait_end(qtbot, runner, partial(runner.choose_best, run, results, metric))
        first, second = (ranking_value(r.mean, metric) for r in results)
        expected = 4 if is_better(metric, second, first) else 2
        mark = read_best(run / "checkpoints")
        assert end == EvalEnd(end.job, "best", "ok", 0)
        assert mark is not None and (mark.step, mark.metric, mark.by) == (expected, metric,
                                                                           "eval")
        assert [m.step for m in marks] == [expected]
        runner.worker.best_marked.disconnect(record)
