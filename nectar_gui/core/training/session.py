"""The training loop: a plain iterator of reports, shared by the app, the CLI and torchrun.

``TrainingSession.run(control)`` builds everything, then steps until the schedule ends,
``max_steps`` is reached or the control asks to stop. Between steps it checks the
control's flags, and on a time interval it fetches losses (one host transfer) and takes
samples. Rank 0 alone writes the run directory.

Under ``torchrun`` every rank runs this loop on its own share of each epoch. Ranks agree
on stopping and average their losses every ``logging.dist_sync_every_steps`` steps (pause
and save-now requests are app features and are ignored there). Rank 0's samples and
checkpoints use the unwrapped networks, so it never enters a collective alone. When one
rank fails, the others' next collective fails too (gloo) or torchrun stops them.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from nectar_gui.core.checkpoints import CheckpointError, latest_checkpoint, load_checkpoint
from nectar_gui.core.config import ConfigError, NectarConfig
from nectar_gui.core.data.datasets import EpochSampler, build_dataset
from nectar_gui.core.data.errors import DatasetError
from nectar_gui.core.data.layouts import detect_layout
from nectar_gui.core.data.scan import has_readable_images, scan_dataset
from nectar_gui.core.data.scan_report import problem_line, shown_problem_lines
from nectar_gui.core.rundir import RunDirError, RunReader, RunWriter, check_run_folder
from nectar_gui.core.runtime import DeviceError, Runtime, rng_state, seed_everything, set_rng_state
from nectar_gui.core.training.control import TrainingControl
from nectar_gui.core.training.gan_model import Batch, GanModel
from nectar_gui.core.training.loader import TrainLoader
from nectar_gui.core.training.models import create_model, wrapper_for
from nectar_gui.core.training.reports import (
    CheckpointReport,
    ErrorReport,
    FinishedReport,
    HistoryReport,
    LogReport,
    LossReport,
    PausedReport,
    ProgressReport,
    Report,
    ResumedReport,
    SampleReport,
    StartedReport,
)
from nectar_gui.core.training.schedule import LossMeter, TimeGate, lr_factor
from nectar_gui.core.training.state import (
    Counters,
    checkpoint_meta,
    resume_mismatch_message,
    save_training_checkpoint,
)
from nectar_gui.core.training.validation import (
    Validator,
    describe_validation,
    slow_validation_hint,
)


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite (headless runs stop; the app pauses instead)."""


#: Errors whose message is already written for the user: shown as they are.
USER_ERRORS = (ConfigError, DatasetError, CheckpointError, RunDirError, DeviceError,
               NonFiniteLossError)

#: Largest share of training time spent on live samples (they space out to keep it).
LIVE_SAMPLE_BUDGET = 0.03

NONFINITE_HELP = ("Common causes: a learning rate that is too high, fp16 overflow (try "
                  "bf16-mixed or fp32), or broken images. Lower optim.lr or resume from the "
                  "last checkpoint.")


@dataclass(frozen=True)
class SessionOptions:
    """How a session behaves around the loop (not part of the run's config).

    Attributes:
        run_dir: where to write the run (None: write nothing, e.g. a quick test).
        resume: continue from the newest checkpoint in ``run_dir``.
        interactive: inside the app: pause on NaN instead of stopping.
        live_samples: send SampleReports on ``logging.sample_interval_s``.
    """

    run_dir: Path | None = None
    resume: bool = False
    interactive: bool = False
    live_samples: bool = False


class TrainingSession:
    """One training run as an iterator of :mod:`reports`.

    Args:
        config: validated config; ``config.data.root`` must name a dataset.
        options: run directory, resume and front-end behaviour.
    """

    def __init__(self, config: NectarConfig, options: SessionOptions = SessionOptions()) -> None:
        self.config = config
        self.options = options
        self.runtime: Runtime | None = None
        self.model: GanModel | None = None
        self.writer: RunWriter | None = None
        self.validator: Validator | None = None
        self.counters = Counters()
        self._dataset: Any = None
        self._train_loader: TrainLoader | None = None
        self._scan_log: list[str] = []
        self._elapsed_before = 0.0
        self._t0 = time.monotonic()
        self._validated_at = self._t0  # when the previous validation ended
        self._slow_validation_said = False  # the hint is given once per session

    # ---- public -----------------------------------------------------------------------
    def run(self, control: TrainingControl) -> Iterator[Report]:
        """Set up, then train until done or stopped; never raises, errors become reports."""
        try:
            yield from self._setup()
            yield from self._train(control)
        except Exception as exc:  # every failure becomes a report
            report = self._error_report(exc)
            if self.writer is not None and self.counters.step == 0 and not self.options.resume:
                self.writer.discard()  # a new run that never took a step leaves nothing behind
                self.writer = None
            yield report
        finally:
            self._close()

    # ---- set-up -----------------------------------------------------------------------
    def _setup(self) -> Iterator[Report]:
        cfg, opts = self.config, self.options
        if cfg.data.root is None:
            raise DatasetError("No dataset chosen: set data.root (or use --data DIR)")
        self.runtime = Runtime(cfg.runtime)
        run_dir = opts.run_dir if self.runtime.dist.is_main else None
        if run_dir is not None:  # before the scan, which can take minutes on a large dataset
            check_run_folder(run_dir, resume=opts.resume)
        seed_everything(cfg.runtime.seed + self.runtime.dist.rank)
        yield from self._prepare_data()
        self.model = create_model(cfg, self.runtime, wrapper_for(self.runtime))
        # Restore before writing anything: a failed resume must leave config.json as it was.
        resumed_from = self._load_resume_point() if opts.resume else None
        if run_dir is not None:
            self.writer = RunWriter.create(run_dir, cfg.to_json(), resume=opts.resume)
            for line in self._scan_log:
                self.writer.log(f"dataset check: {line}")
            self.writer.write_plan(total_steps=self.total_steps,
                                   steps_per_epoch=self.steps_per_epoch)
        if opts.resume:
            yield from self._restore(resumed_from)
        if self.writer is not None and cfg.logging.val_images > 0:
            self.validator = Validator(cfg, self.writer.paths.root, self.model,
                                       self.counters.step)
            for note in self.validator.prepare():
                yield self._log(note.message, note.level)
        yield StartedReport(step=self.counters.step, epoch=self.counters.epoch,
                            total_steps=self.total_steps, steps_per_epoch=self.steps_per_epoch,
                            device=self.runtime.describe(), resumed=opts.resume,
                            run_dir=str(opts.run_dir) if opts.run_dir else None)
        yield self._log(f"Training {cfg.model.kind} on {self.runtime.describe()}: "
                        f"{self.steps_per_epoch} steps per epoch, {self.total_steps} steps")
        yield from self._model_notes()
        # One loader for the run; its worker processes start with the first batch.
        self._train_loader = TrainLoader(self._dataset, cfg.data, self._sampler(0),
                                         batch_size=cfg.optim.batch_size,
                                         device=self.runtime.device)
        if self._train_loader.note:
            yield self._log(self._train_loader.note)

    def _prepare_data(self) -> Iterator[Report]:
        cfg = self.config
        layout = detect_layout(Path(cfg.data.root or ""), split=cfg.data.split,
                               layout=cfg.data.layout)
        if cfg.model.kind == "pix2pix" and layout.kind == "unaligned":
            raise DatasetError(f"pix2pix needs paired images, but {layout.root} holds "
                               f"unpaired folders ({cfg.data.split}A/, {cfg.data.split}B/); "
                               f"train CycleGAN on it instead")
        scan = scan_dataset(layout, channels_a=cfg.model.input_nc,
                            channels_b=cfg.model.output_nc, min_size=8)
        usable = has_readable_images(scan.layout_ok)
        lines = [problem_line(p, skipped=usable) for p in scan.problems if p.path or usable]
        self._scan_log = lines  # all of them go to log.txt once the run folder exists
        for line in shown_problem_lines(lines, usable=usable):
            yield LogReport(line, level="warning")
        if not usable:
            raise DatasetError(f"No readable images to train on in {layout.root} "
                               f"({layout.kind} layout, split {layout.split!r}): "
                               f"{scan.counts['unreadable']:,} of {scan.counts['files']:,} "
                               "image files could not be decoded — fix or replace them")
        self._dataset = build_dataset(cfg.data, input_nc=cfg.model.input_nc,
                                      output_nc=cfg.model.output_nc, layout=scan.layout_ok)

    def _load_resume_point(self) -> Path | None:
        """Load the newest checkpoint into the model and counters; None if there is none."""
        assert self.options.run_dir is not None and self.model is not None
        path = latest_checkpoint(self.options.run_dir / "checkpoints")
        if path is None:
            return None
        ckpt = load_checkpoint(path)
        try:
            self.model.load_weights(ckpt.weights)
        except ValueError as exc:
            raise CheckpointError(resume_mismatch_message(path, ckpt.meta, self.config,
                                                          exc)) from None
        self.model.load_state_dict(ckpt.state["model"])
        self.counters = Counters.from_dict(ckpt.state["counters"])
        self._elapsed_before = float(ckpt.state.get("elapsed", 0.0))
        if self.runtime is not None and self.runtime.dist.is_main:
            set_rng_state(ckpt.state["rng"])
        elif self.runtime is not None:  # only rank 0's RNG is saved; don't replay step 0's
            seed_everything(hash((self.config.runtime.seed, self.runtime.dist.rank,
                                  self.counters.step)) % 2**63)
        return path

    def _restore(self, path: Path | None) -> Iterator[Report]:
        """Cut the run's history back to the checkpoint resumed from, and say so."""
        if path is None:
            yield self._log("No checkpoint to resume from yet: starting at step 0")
            return
        if self.writer is not None:
            self.writer.truncate_after(self.counters.step)
            reader = RunReader(self.writer.paths.root)
            yield HistoryReport(metrics=reader.all_metrics(), sample_steps=reader.sample_steps(),
                                run_dir=str(self.writer.paths.root))
        yield self._log(f"Resumed from checkpoint {path.name} at step {self.counters.step}")

    # ---- sizes ------------------------------------------------------------------------
    def _sampler(self, epoch: int, start: int = 0) -> EpochSampler:
        assert self.runtime is not None
        d = self.runtime.dist
        return EpochSampler(len(self._dataset), seed=self.config.runtime.seed, epoch=epoch,
                            shuffle=True, rank=d.rank, world_size=d.world_size, start=start)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self._sampler(0)) / self.config.optim.batch_size)

    @property
    def n_epochs(self) -> int:
        return self.config.optim.n_epochs + self.config.optim.n_epochs_decay

    @property
    def total_steps(self) -> int:
        total = self.n_epochs * self.steps_per_epoch
        max_steps = self.config.logging.max_steps
        return min(total, max_steps) if max_steps else total

    # ---- the loop ---------------------------------------------------------------------
    def _train(self, control: TrainingControl) -> Iterator[Report]:
        assert self.model is not None and self.runtime is not None
        assert self._train_loader is not None
        loop = _LoopState(self, control)
        while self.counters.step < self.total_steps:
            c = self.counters
            self.model.set_lr(lr_factor(c.epoch, self.config.optim.n_epochs,
                                        self.config.optim.n_epochs_decay))
            start = c.epoch_step * self.config.optim.batch_size
            for batch in self._train_loader.epoch(c.epoch, start):
                yield from loop.before_step()
                if loop.stopping:
                    break
                loop.meter.add(self.model.train_step(batch), self.model.d_health)
                if self.model.notes:
                    yield from self._model_notes()
                c.step += 1
                c.epoch_step += 1
                yield from loop.after_step(batch)
                if loop.stopping or c.step >= self.total_steps:
                    break
            if loop.stopping:
                break
            if c.epoch_step >= self.steps_per_epoch:
                c.epoch += 1
                c.epoch_step = 0
        yield from loop.flush_losses()
        yield from self._save_checkpoint()
        yield from self._validate()  # at the end, whatever the interval
        self.runtime.barrier()  # rank 0 saved alone: nobody leaves the group before that
        reason: Literal["completed", "stopped"] = "stopped" if loop.stopping else "completed"
        yield self._log(f"Training {reason} at step {self.counters.step}")
        yield FinishedReport(step=self.counters.step, reason=reason)

    def _save_checkpoint(self) -> Iterator[Report]:
        if self.writer is None or self.model is None:
            return
        path = save_training_checkpoint(
            self.writer.paths.checkpoints, model=self.model, counters=self.counters,
            rng=rng_state(), elapsed=self._elapsed_before + self._elapsed(),
            meta=checkpoint_meta(self.config, self.counters),
            keep=self.config.logging.keep_checkpoints)
        self.writer.log(f"Saved checkpoint {path.name}")
        yield CheckpointReport(step=self.counters.step, path=str(path))
        if self.config.logging.validate_every_steps == 0:
            yield from self._validate()

    def _validate(self) -> Iterator[Report]:
        """Validate at this step (rank 0, once per step); draws no random numbers."""
        started = time.monotonic()
        result = self.validator.run(self.counters.step, self.counters.epoch) if (
            self.validator is not None) else None
        if isinstance(result, LogReport):  # validation failed: a warning, training goes on
            yield self._log(result.message, result.level)
        elif result is not None:
            yield self._log(describe_validation(result))
            yield result
            hint = slow_validation_hint(result, started - self._validated_at)
            if hint and not self._slow_validation_said and self.counters.step < self.total_steps:
                self._slow_validation_said = True
                yield self._log(hint, "warning")
        self._validated_at = time.monotonic()

    def _model_notes(self) -> Iterator[Report]:
        """Pass on what the model noted (CUDA graphs captured or not) to the log."""
        if self.model is not None:
            notes = list(self.model.notes)
            self.model.notes.clear()  # in place: the model's graph runner appends to it
            for note in notes:
                yield self._log(note)

    def _elapsed(self) -> float:
        return time.monotonic() - self._t0

    # ---- reports ------------------------------------------------------------------------
    def _log(self, message: str, level: str = "info") -> LogReport:
        if self.writer is not None:
            self.writer.log(message)
        return LogReport(message, level="warning" if level == "warning" else "info")

    def _error_report(self, exc: BaseException) -> ErrorReport:
        detail = traceback.format_exc()
        if isinstance(exc, USER_ERRORS):
            message = str(exc)
        elif isinstance(exc, torch.OutOfMemoryError):
            message = ("Out of memory on the training device. Lower optim.batch_size or "
                       "data.crop_size, or use mixed precision")
        else:
            message = f"Training failed: {type(exc).__name__}: {exc}"
        if self.runtime is not None and self.runtime.dist.enabled:
            # Every rank prints its own error; when one fails the others' messages are
            # about the lost connection, so say which process is speaking.
            message = f"[rank {self.runtime.dist.rank}] {message}"
        if self.writer is not None:
            self.writer.log(f"ERROR {message}\n{detail}")
        return ErrorReport(message=message, detail=detail, step=self.counters.step)

    def _close(self) -> None:
        self._train_loader = None  # ends its worker processes
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.runtime is not None:
            self.runtime.close()


def _any_rank(flag: bool, device: torch.device) -> bool:
    """True on every rank when ``flag`` is True on any (one small all-reduce)."""
    import torch.distributed as dist

    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


class _LoopState:
    """Gates, meters and control handling around each step (keeps ``_train`` short)."""

    def __init__(self, session: TrainingSession, control: TrainingControl) -> None:
        self.s = session
        self.control = control
        log = session.config.logging
        self.meter = LossMeter()
        self.metrics_gate = TimeGate(log.metrics_interval_s, open_first=False)
        self.sample_gate = TimeGate(log.sample_interval_s)
        self.save_sample_gate = TimeGate(log.save_sample_every_s)
        self.stopping = False
        self.pause_reason: str | None = None  # set when the loop pauses itself
        self.distributed = session.runtime is not None and session.runtime.dist.enabled
        self._t_last = time.monotonic()
        self._step_last = session.counters.step
        session._t0 = time.monotonic()
        self.rate = 0.0

    def before_step(self) -> Iterator[Report]:
        if self.distributed:
            return  # ranks agree on stopping at sync points, in after_step
        if self.control.stop_requested:
            self.stopping = True
            return
        if self.control.paused:
            yield from self.flush_losses()
            yield PausedReport(step=self.s.counters.step, reason=self.pause_reason)
            self.pause_reason = None
            self.control.wait_while_paused()
            self._t_last, self._step_last = time.monotonic(), self.s.counters.step
            if self.control.stop_requested:
                self.stopping = True
                return
            yield ResumedReport(step=self.s.counters.step)
        if self.control.take_checkpoint_request():
            yield from self.s._save_checkpoint()

    def after_step(self, batch: Batch) -> Iterator[Report]:
        s, c = self.s, self.s.counters
        last = c.step >= s.total_steps
        if self.distributed:
            if c.step % s.config.logging.dist_sync_every_steps == 0 or last:
                assert s.runtime is not None
                self.stopping = _any_rank(self.control.stop_requested, s.runtime.device)
                yield from self.flush_losses()
        elif self.metrics_gate.ready() or last:
            yield from self.flush_losses()
        if s.runtime is not None and s.runtime.dist.is_main:
            yield from self._maybe_sample(batch, force=last)
        if c.step % s.config.logging.checkpoint_every_steps == 0 and not last:
            yield from s._save_checkpoint()
        every = s.config.logging.validate_every_steps
        if every and c.step % every == 0 and not last:
            yield from s._validate()

    def flush_losses(self) -> Iterator[Report]:
        s, c = self.s, self.s.counters
        losses, d_health = self.meter.take_values(reduce=self.distributed)
        if not losses or s.model is None:
            return
        now = time.monotonic()
        if c.step > self._step_last:
            self.rate = (c.step - self._step_last) / max(now - self._t_last, 1e-9)
        self._t_last, self._step_last = now, c.step
        report = LossReport(step=c.step, epoch=c.epoch, wall_time=time.time(), losses=losses,
                            lrs=s.model.lrs(), d_health=d_health)
        if s.writer is not None:
            s.writer.write_metrics(report)
        yield report
        eta = (s.total_steps - c.step) / self.rate if self.rate > 0 else None
        yield ProgressReport(step=c.step, epoch=c.epoch, total_steps=s.total_steps,
                             steps_per_epoch=s.steps_per_epoch, it_per_s=self.rate, eta_s=eta)
        bad = sorted(k for k, v in losses.items() if not math.isfinite(v))
        if bad:
            yield from self._nonfinite(bad)

    def _nonfinite(self, names: list[str]) -> Iterator[Report]:
        step = self.s.counters.step
        reason = f"Loss {', '.join(names)} became NaN or infinite at step {step}. {NONFINITE_HELP}"
        if self.s.options.interactive:
            yield self.s._log(reason, "warning")
            self.pause_reason = reason
            self.control.pause()
        else:
            raise NonFiniteLossError(reason)

    def _maybe_sample(self, batch: Batch, force: bool) -> Iterator[Report]:
        s = self.s
        live = s.options.live_samples and self.sample_gate.ready()
        save = s.writer is not None and (self.save_sample_gate.ready() or force)
        if not (live or save or (force and s.options.live_samples)) or s.model is None:
            return
        started = time.monotonic()
        arrays = s.model.sample(batch)
        # Live samples may take at most LIVE_SAMPLE_BUDGET of the training time.
        self.sample_gate.hold((time.monotonic() - started) / LIVE_SAMPLE_BUDGET)
        report = SampleReport(step=s.counters.step, epoch=s.counters.epoch,
                              images=arrays.images, patch_maps=arrays.patch_maps,
                              patch_map_images=arrays.map_images,
                              receptive_field=s.model.receptive_field(),
                              gan_mode=s.config.loss.gan_mode)
        if save and s.writer is not None:
            s.writer.write_sample(report)
        if s.options.live_samples:
            yield report
