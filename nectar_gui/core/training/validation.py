"""Validation during training: metrics on fixed images, probe translations, BEST.

Runs on rank 0 only (where the run folder is written), with the session's own networks
through the evaluation engine: eval mode, ``inference_mode``, no random numbers, no
batch-norm updates — so a run with validation computes exactly what it computes
without, and kill + resume stays exact (tests/core/test_validation.py).

Each validation appends a line to ``val.jsonl`` (format in
:mod:`nectar_gui.core.evaluation.records`), writes the probes' translations and, when
the step has a checkpoint that beats every earlier validated checkpoint on the ranking
metric, points ``checkpoints/BEST`` at it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.evaluation.best import best_name, clear_best, read_best, write_best
from nectar_gui.core.evaluation.engine import EvalNets, eval_mode, evaluate_set, translator_for
from nectar_gui.core.evaluation.items import (
    EvalSet,
    eval_set,
    load_item,
    spread,
    validation_split,
)
from nectar_gui.core.evaluation.probes import (
    PROBE_COUNT,
    read_probe_set,
    truncate_probes,
    write_probe_outputs,
    write_probe_set,
)
from nectar_gui.core.evaluation.records import (
    RANKING_METRICS,
    DataKind,
    EvaluationError,
    ValidationRecord,
    default_ranking_metric,
    is_better,
    parse_validation_line,
    ranking_value,
)
from nectar_gui.core.rundir import VAL_LOG, RunPaths, checkpoint_networks
from nectar_gui.core.training.gan_model import GanModel
from nectar_gui.core.training.reports import LogReport, ValidationReport


class Validator:
    """Validates a training run's networks; created by the session once a run folder exists.

    Args:
        config: the run's config (``logging.val_images`` > 0).
        run_dir: the run folder being written.
        model: the trainer whose networks are measured.
        step: the step training starts (or resumes) at; later history is dropped.
    """

    def __init__(self, config: NectarConfig, run_dir: Path, model: GanModel, step: int) -> None:
        self.config = config
        self.paths = RunPaths(Path(run_dir))
        self.model = model
        self.start_step = step
        self.images: EvalSet | None = None
        self.probes: EvalSet | None = None
        self.metric = default_ranking_metric("paired")
        self.best_value: float | None = None
        self.last_step: int | None = None

    @property
    def log_path(self) -> Path:
        return self.paths.root / VAL_LOG

    def prepare(self) -> Iterator[LogReport]:
        """Cut history after the start step, choose (or re-read) the images, restore BEST."""
        self._truncate()
        cfg = self.config
        split = validation_split(cfg)
        try:
            self.images = eval_set(cfg, split, cfg.logging.val_images)
        except EvaluationError as exc:
            yield LogReport(f"Validation is off for this run: {exc}", level="warning")
            return
        yield from self._choose_metric(self.images.kind)
        self.probes = self._probe_set(self.images)
        self._restore_best()
        if split == cfg.data.split:
            yield LogReport(f"No val/ or test/ split: validating on {len(self.images.items)} "
                            f"training images (this measures fit, not generalisation)",
                            level="warning")
        else:
            yield LogReport(f"Validating on {len(self.images.items)} {split} images; "
                            f"best checkpoint by {self.metric}")

    def run(self, step: int, epoch: int) -> ValidationReport | LogReport | None:
        """Validate now (once per step); None when validation is off.

        A failure (an unreadable image, memory) turns validation off for the rest of the
        run and comes back as a warning: measuring must never end a long training run.
        """
        if self.images is None or self.last_step == step:
            return None
        self.last_step = step
        try:
            return self._validate(step, epoch)
        except Exception as exc:  # reported as a warning, and validation stops
            self.images = None
            return LogReport(f"Validation failed at step {step} and is off for the rest of "
                             f"this run: {type(exc).__name__}: {exc}", level="warning")

    def _validate(self, step: int, epoch: int) -> ValidationReport:
        images = self.images
        assert images is not None
        started = time.monotonic()
        nets = self._nets(step)
        result = evaluate_set(nets, images)
        probe_step = self._write_probes(nets) if self.probes else None
        seconds = time.monotonic() - started
        record = ValidationRecord(step=step, epoch=epoch, time=time.time(),
                                  split=images.split, images=len(result.images),
                                  seconds=seconds, metrics=result.mean,
                                  unavailable=dict(result.unavailable))
        with self.log_path.open("ab") as handle:
            handle.write(record.to_line().encode("utf-8"))
        is_best = self._update_best(step, ranking_value(result.mean, self.metric))
        mark = read_best(self.paths.checkpoints)
        return ValidationReport(step=step, epoch=epoch, split=record.split,
                                images=record.images, metrics=dict(result.mean),
                                unavailable=record.unavailable, seconds=seconds,
                                best_metric=self.metric, is_best=is_best,
                                best_step=mark.step if mark else None, probe_step=probe_step)

    # ---- helpers ------------------------------------------------------------------------
    def _nets(self, step: int) -> EvalNets:
        nets, m = self.model.nets, self.config.model
        if m.kind == "pix2pix":
            generators, discriminators = {"AtoB": nets["G"]}, {}
        else:
            generators = {"AtoB": nets["G_A"], "BtoA": nets["G_B"]}
            discriminators = {"D_A": nets["D_A"], "D_B": nets["D_B"]}
        return EvalNets(config=self.config, generators=generators,
                        discriminators=discriminators, device=self.model.device, step=step)

    def _probe_set(self, images: EvalSet) -> EvalSet:
        recorded = read_probe_set(self.paths.root)
        if recorded is not None:
            return EvalSet(kind=recorded.kind, split=recorded.split, root=images.root,
                           items=recorded.items)
        probes = EvalSet(kind=images.kind, split=images.split, root=images.root,
                         items=tuple(spread(list(images.items), PROBE_COUNT)))
        m = self.config.model
        inputs = [load_item(item, m.input_nc, m.output_nc) for item in probes.items]
        write_probe_set(self.paths.root, probes, inputs)
        return probes

    def _write_probes(self, nets: EvalNets) -> int:
        assert self.probes is not None
        m = self.config.model
        outputs = []
        with eval_mode([*nets.generators.values()]):
            translator = translator_for(nets)
            for item in self.probes.items:
                a, b = load_item(item, m.input_nc, m.output_nc)
                images = {"AtoB": translator.translate(a, direction="AtoB")}
                if "BtoA" in nets.generators:
                    images["BtoA"] = translator.translate(b, direction="BtoA")
                outputs.append(images)
        write_probe_outputs(self.paths.root, nets.step, outputs)
        return nets.step

    def _choose_metric(self, kind: DataKind) -> Iterator[LogReport]:
        """The configured ranking metric, or the kind's default when it does not apply."""
        wanted = self.config.logging.best_metric
        self.metric = default_ranking_metric(kind)
        if wanted == "auto":
            return
        if wanted in RANKING_METRICS[kind]:
            self.metric = wanted
            return
        yield LogReport(f"logging.best_metric {wanted!r} needs {'un' if kind == 'paired' else ''}"
                        f"paired validation images; ranking checkpoints by {self.metric}",
                        level="warning")

    def _update_best(self, step: int, value: float) -> bool:
        """Point BEST at ``step`` when it has a checkpoint and beats the best so far."""
        if checkpoint_networks(self.paths.checkpoints / f"{step:08d}") is None:
            return False
        if not is_better(self.metric, value, self.best_value):
            return False
        write_best(self.paths.checkpoints, step, metric=self.metric, value=value,
                   by="validation")
        self.best_value = value
        return True

    def _truncate(self) -> None:
        """Drop validation lines and probe outputs after the start step (resume)."""
        truncate_probes(self.paths.root, self.start_step)
        try:
            lines = self.log_path.read_bytes().splitlines(keepends=True)
        except FileNotFoundError:
            return
        kept = [ln for ln in lines if ln.endswith(b"\n") and (
            (r := parse_validation_line(ln)) is not None and r.step <= self.start_step)]
        if kept != lines:
            tmp = self.log_path.with_name(f".tmp-{VAL_LOG}")
            tmp.write_bytes(b"".join(kept))
            tmp.replace(self.log_path)

    def _restore_best(self) -> None:
        """Best value so far from the kept history; BEST re-pointed if it names a later step."""
        best_step = None
        for line in _read_lines(self.log_path):
            record = parse_validation_line(line)
            if record is None or checkpoint_networks(
                    self.paths.checkpoints / f"{record.step:08d}") is None:
                continue
            value = ranking_value(record.metrics, self.metric)
            if is_better(self.metric, value, self.best_value):
                self.best_value, best_step = value, record.step
        named = best_name(self.paths.checkpoints)
        if named is not None and int(named) > self.start_step:
            if best_step is None:
                clear_best(self.paths.checkpoints)
            else:
                write_best(self.paths.checkpoints, best_step, metric=self.metric,
                           value=self.best_value, by="validation")


#: A validation taking more than this share of the time since the previous one (or the
#: start) is worth a hint: with frequent checkpoints it can slow training down a lot.
SLOW_VALIDATION_SHARE = 0.25


def slow_validation_hint(report: ValidationReport, training_s: float) -> str | None:
    """A one-line hint when ``report`` took a large share of the time, else None.

    ``training_s``: seconds spent since the previous validation ended (or the run began).
    """
    share = report.seconds / max(report.seconds + training_s, 1e-9)
    if share <= SLOW_VALIDATION_SHARE:
        return None
    return (f"Validation took {report.seconds:.1f} s, {share:.0%} of the time since the "
            f"previous one. To train faster, validate less often "
            f"(logging.validate_every_steps) or on fewer images (logging.val_images, now "
            f"{report.images}).")


def describe_validation(report: ValidationReport) -> str:
    """One log line, e.g. "Validation at step 400 on 50 val images: psnr 21.3, …"."""
    values = ", ".join(f"{k} {v:.4g}" for k, v in report.metrics.items())
    best = f"; best: step {report.best_step}" if report.best_step is not None else ""
    return (f"Validation at step {report.step} on {report.images} {report.split} images "
            f"({report.seconds:.1f} s): {values}{best}")


def _read_lines(path: Path) -> list[bytes]:
    try:
        return [ln for ln in path.read_bytes().splitlines() if ln.strip()]
    except FileNotFoundError:
        return []
