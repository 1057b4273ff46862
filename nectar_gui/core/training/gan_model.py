"""The contract every trainer meets, and the parts pix2pix and CycleGAN share.

A trainer owns its networks, optimizers and (for CycleGAN) image pools. The training
loop only calls :meth:`GanModel.train_step`, :meth:`GanModel.sample`,
:meth:`GanModel.state_dict` and :meth:`GanModel.load_state_dict`; losses come back from
the step as detached device tensors, never looked up by name.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.data.device_preprocess import is_raw, preprocess_on
from nectar_gui.core.data.images import uint8_to_float
from nectar_gui.core.geometry import ReceptiveField
from nectar_gui.core.loss_names import loss_group as loss_group  # re-exported
from nectar_gui.core.losses import GanLoss
from nectar_gui.core.models import init_weights
from nectar_gui.core.models.fast_ops import accelerate
from nectar_gui.core.models.from_config import discriminator_for, generator_for
from nectar_gui.core.receptive_field import receptive_field
from nectar_gui.core.runtime import Runtime
from nectar_gui.core.training import d_health
from nectar_gui.core.training.cuda_graphs import Phase, PhaseGraphs, use_graphs

Batch = dict[str, Tensor]
Wrapper = Callable[[nn.Module], nn.Module]

#: Optimizer options that describe this process's kernel, not the run: a checkpoint's
#: values for them are replaced by the loading optimizer's own (a run saved on a GPU with
#: capturable Adam resumes on a CPU, and the other way round).
_IMPL_OPTIONS = ("fused", "foreach", "capturable", "differentiable")
_HEALTH = "d_health/"


@dataclass(frozen=True)
class SampleArrays:
    """One sample as owned numpy data, ready to cross a thread.

    Images are uint8 (H, W, C); patch maps float32 (h, w) raw D scores; ``map_images``
    names the image each patch map lies over.
    """

    images: dict[str, np.ndarray]
    patch_maps: dict[str, np.ndarray]
    map_images: dict[str, str]


def to_uint8_image(x: Tensor) -> np.ndarray:
    """First image of a [-1, 1] batch (B, C, H, W) as an owned uint8 (H, W, C) array.

    The conversion runs on the device, so only bytes cross to the host.
    """
    img = ((x[0].detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return np.ascontiguousarray(img.permute(1, 2, 0).cpu().numpy()).copy()  # (H, W, C)


def to_patch_map(pred: Tensor) -> np.ndarray:
    """First map of D's output (B, 1, h, w) as an owned float32 (h, w) array."""
    return np.ascontiguousarray(pred[0, 0].detach().float().cpu().numpy()).copy()


class GanModel(abc.ABC):
    """Networks + optimizers + one optimisation step.

    Args:
        config: the validated run config.
        runtime: device, precision and distribution.
        wrap: applied to each network for training forwards (DDP, torch.compile);
            identity when running alone.
    """

    #: names of the generator networks, first is the A→B generator used for translation
    generator_names: tuple[str, ...] = ()
    discriminator_names: tuple[str, ...] = ()

    def __init__(self, config: NectarConfig, runtime: Runtime, wrap: Wrapper | None = None):
        self.config = config
        self.runtime = runtime
        self.device = runtime.device
        self.gan_loss = GanLoss(config.loss.gan_mode)
        self.nets: dict[str, nn.Module] = {}
        self._fwd: dict[str, nn.Module] = {}
        self._wrap = wrap or (lambda m: m)
        self.scaler = runtime.grad_scaler()
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        #: the last step's D-health signals as 0-dim device tensors (``d_health`` module)
        self.d_health: dict[str, Tensor] = {}
        #: lines for the run's log that arise inside steps (the session passes them on)
        self.notes: list[str] = []
        graphs, why_not = use_graphs(config, self.device, runtime.dist.enabled)
        if why_not:
            self.notes.append(why_not)
        self.graphs = PhaseGraphs(graphs, log=self.notes.append)
        self._lr_factor = 1.0

    # ---- building -----------------------------------------------------------------
    def _add_generator(self, name: str, input_nc: int, output_nc: int) -> None:
        self._add(name, generator_for(self.config.model, input_nc=input_nc,
                                      output_nc=output_nc))

    def _add_discriminator(self, name: str, input_nc: int) -> None:
        self._add(name, discriminator_for(self.config.model, input_nc=input_nc))

    def _add(self, name: str, net: nn.Module) -> None:
        init_weights(net, self.config.model.init_gain)
        net.to(self.device)
        if self.runtime.cfg.channels_last:
            net.to(memory_format=torch.channels_last)
        if self.runtime.cfg.fast_ops and self.device.type == "cpu":
            accelerate(net)  # same math and weights, faster CPU layers (models/fast_ops.py)
        self.nets[name] = net

    def _finish_build(self) -> None:
        """Wrap networks for training and create the optimizers (G's and D's)."""
        self._fwd = {name: self._wrap(net) for name, net in self.nets.items()}
        o = self.config.optim
        for group, names in (("G", self.generator_names), ("D", self.discriminator_names)):
            params = [p for n in names for p in self.nets[n].parameters()]
            self.optimizers[group] = self.runtime.adam(params, lr=self._base_lr(group),
                                                       betas=(o.beta1, o.beta2),
                                                       impl=o.adam_impl,
                                                       capturable=self.graphs.enabled)

    def _base_lr(self, group: str) -> float:
        """The configured rate of an optimizer group (D's scaled by ``optim.d_lr_factor``)."""
        o = self.config.optim
        return o.lr * o.d_lr_factor if group == "D" else o.lr

    # ---- the step -------------------------------------------------------------------
    @abc.abstractmethod
    def train_step(self, batch: Batch) -> dict[str, Tensor]:
        """One optimisation step of D and G; returns detached 0-dim loss tensors.

        With CUDA graphs the returned tensors (and :attr:`d_health`) are the graph's
        buffers: the next step overwrites them, so use them before it.
        """

    def _phase(self, name: str, fn: Phase, inputs: dict[str, Tensor]) -> dict[str, Tensor]:
        """Run one phase of the step through :attr:`graphs` (eager or replayed).

        D-health signals recorded inside ``fn`` travel as extra outputs, so a replay,
        which does not run ``fn``'s Python, still updates :attr:`d_health`.
        """
        def with_health(phase_inputs: dict[str, Tensor]) -> dict[str, Tensor]:
            before = set(self.d_health)
            out = fn(phase_inputs)
            out.update({_HEALTH + k: v for k, v in self.d_health.items() if k not in before})
            return out

        out = self.graphs.run(name, with_health, inputs)
        self.d_health.update({k[len(_HEALTH):]: v for k, v in out.items()
                              if k.startswith(_HEALTH)})
        return {k: v for k, v in out.items() if not k.startswith(_HEALTH)}

    def _autocast(self) -> Any:
        """Mixed precision for the step; no cast cache inside captured graphs."""
        return self.runtime.autocast(cache=not self.graphs.enabled)

    @abc.abstractmethod
    def _sample(self, batch: Batch) -> SampleArrays:
        """Sample images and patch maps for the first item of ``batch`` (under no_grad)."""

    def sample(self, batch: Batch) -> SampleArrays:
        """Run the networks in eval mode on ``batch`` without touching training state.

        Eval mode keeps batch-norm statistics and the RNG (dropout) untouched, so taking
        samples — which happens on a timer — never changes what the run computes.
        """
        for net in self.nets.values():
            net.eval()
        try:
            with torch.no_grad(), self.runtime.autocast():
                return self._sample(self.to_device(batch))
        finally:
            for net in self.nets.values():
                net.train()

    def to_device(self, batch: Batch) -> Batch:
        """Move image tensors to the device (channels-last when configured).

        uint8 batches (the training loader's) become floats in [-1, 1] there, by the
        same formula the dataset would have used.
        """
        fmt = torch.channels_last if self.runtime.cfg.channels_last else torch.contiguous_format
        if is_raw(batch):  # whole decoded images: resize, crop and flip here
            ready = preprocess_on(batch, self.config.data, self.device)
            return {k: v.contiguous(memory_format=fmt) for k, v in ready.items()}
        out: Batch = {}
        for k in ("A", "B"):
            if k in batch:
                x = batch[k].to(self.device, non_blocking=True)
                out[k] = (uint8_to_float(x) if x.dtype == torch.uint8 else x).contiguous(
                    memory_format=fmt)
        return out

    def receptive_field(self) -> ReceptiveField:
        """Geometry of the discriminators (all share one architecture)."""
        return receptive_field(self.nets[self.discriminator_names[0]])

    # ---- optimiser plumbing -----------------------------------------------------------
    def _backward_step(self, loss: Tensor, group: str) -> None:
        opt = self.optimizers[group]
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            if d_health.ENABLED:
                # Norms of the true gradients: unscale now (step() then skips its own
                # unscale, so the update is the same).
                self.scaler.unscale_(opt)
                self._record_grad_norms(group)
            self.scaler.step(opt)
        else:
            loss.backward()
            if d_health.ENABLED:
                self._record_grad_norms(group)
            opt.step()

    def _grad_norm_sets(self, group: str) -> dict[str, list[nn.Module]]:
        """Which networks each gradient-norm signal of ``group`` covers (one per group)."""
        names = self.generator_names if group == "G" else self.discriminator_names
        return {f"grad_norm_{group}": [self.nets[n] for n in names]}

    def _record_grad_norms(self, group: str) -> None:
        for key, nets in self._grad_norm_sets(group).items():
            self.d_health[key] = d_health.grad_norm(nets)

    def _record_patch_signals(self, pred_real: Tensor, pred_fake: Tensor,
                              suffix: str = "") -> None:
        """D's accuracies and mean scores on this step's real and generated batch."""
        if d_health.ENABLED:
            self.d_health.update(d_health.patch_signals(self.config.loss.gan_mode, pred_real,
                                                        pred_fake, suffix))

    def _end_step(self) -> None:
        if self.scaler is not None:
            self.scaler.update()

    @staticmethod
    def _set_requires_grad(nets: Iterable[nn.Module], flag: bool) -> None:
        for net in nets:
            net.requires_grad_(flag)

    def set_lr(self, factor: float) -> None:
        """Scale every optimizer's learning rate to ``factor`` × the configured rate.

        A capturable optimizer holds its rate in a device tensor that captured graphs
        read: it is overwritten in place, never replaced.
        """
        self._lr_factor = factor
        for name, opt in self.optimizers.items():
            for group in opt.param_groups:
                lr = self._base_lr(name) * factor
                if isinstance(group["lr"], Tensor):
                    group["lr"].fill_(lr)
                else:
                    group["lr"] = lr

    def lrs(self) -> dict[str, float]:
        """Current learning rate per optimizer (from the host's copy: no device sync)."""
        return {f"lr_{g}": self._base_lr(g) * self._lr_factor for g in self.optimizers}

    # ---- state ------------------------------------------------------------------------
    def weights(self) -> dict[str, dict[str, Tensor]]:
        """Per-network state dicts (parameters and buffers)."""
        return {name: net.state_dict() for name, net in self.nets.items()}

    def load_weights(self, weights: dict[str, dict[str, Tensor]]) -> None:
        """Load per-network state dicts; raises ValueError naming what does not fit."""
        missing = set(self.nets) - set(weights)
        if missing:
            raise ValueError(f"checkpoint has no weights for {', '.join(sorted(missing))}")
        for name, net in self.nets.items():
            try:
                net.load_state_dict(weights[name])
            except RuntimeError as exc:
                lines = str(exc).strip().splitlines()
                why = lines[1].strip() if len(lines) > 1 else lines[0]
                raise ValueError(f"checkpoint weights for {name} do not fit this "
                                 f"architecture ({why})") from None

    def state_dict(self) -> dict[str, Any]:
        """Optimizer (and scaler) state; subclasses add their pools."""
        state: dict[str, Any] = {"optimizers": {g: _portable(o.state_dict())
                                                for g, o in self.optimizers.items()}}
        if self.scaler is not None:
            state["scaler"] = self.scaler.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        for group, opt in self.optimizers.items():
            rates = [g["lr"] for g in opt.param_groups]
            opt.load_state_dict(_adopted(state["optimizers"][group], opt))
            _keep_rate_tensors(opt, rates)
        if self.scaler is not None and "scaler" in state:
            self.scaler.load_state_dict(state["scaler"])


def _portable(state: dict[str, Any]) -> dict[str, Any]:
    """An optimizer state dict with plain-float learning rates (readable anywhere)."""
    groups = [{**g, "lr": float(g["lr"])} for g in state["param_groups"]]
    return {**state, "param_groups": groups}


def _adopted(saved: dict[str, Any], opt: torch.optim.Optimizer) -> dict[str, Any]:
    """``saved`` with ``opt``'s own kernel options (the moments and steps stay saved's)."""
    groups = [{**theirs, **{k: mine[k] for k in _IMPL_OPTIONS if k in mine}}
              for mine, theirs in zip(opt.param_groups, saved["param_groups"], strict=False)]
    return {**saved, "param_groups": groups}


def _keep_rate_tensors(opt: torch.optim.Optimizer, rates: list[Any]) -> None:
    """Put back the device-tensor rates that captured graphs read, holding loaded values.

    ``load_state_dict`` copies the saved groups, so it would replace them.
    """
    for group, rate in zip(opt.param_groups, rates, strict=True):
        if isinstance(rate, Tensor):
            rate.fill_(float(group["lr"]))
            group["lr"] = rate
