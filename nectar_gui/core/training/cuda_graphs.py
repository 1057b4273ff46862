"""Replay fixed-shape parts of the training step as captured CUDA graphs.

At batch 1 a GAN step launches hundreds of small kernels, and on a fast card the host
cannot launch them as fast as the GPU runs them: the card idles for much of the step.
A CUDA graph records the kernels of one step once and replays them with one launch.

A trainer splits its step into *phases* — functions from a dict of device tensors to a
dict of device tensors — with host-side work between them (CycleGAN's image pools draw
on the host). :class:`PhaseGraphs` runs each phase:

- eagerly, when graphs are off;
- eagerly on a side stream for the first ``warmup`` calls (cuDNN picks its algorithms,
  the optimizers create their state);
- then captures it once and from then on copies the inputs into the captured buffers
  and replays. The outputs are the captured buffers: they are overwritten by the next
  replay, so callers use them (or copy them) before the next step.

Only the first input shapes seen by a phase are captured. A call with other shapes (the
short last batch of an epoch, images of their own size with ``preprocess: none``) runs
eagerly, and the log says so once. Eager and replayed steps update the same parameters
and optimizer state in place, so they mix freely.

What a graph cannot hold is kept out by :func:`graphs_blocker`: fp16's loss scaler reads
its overflow flag on the host every step; DDP's gradient hooks and torch.compile need
their own capture schemes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from nectar_gui.core.config import NectarConfig

Phase = Callable[[dict[str, Tensor]], dict[str, Tensor]]
Signature = tuple[tuple[str, tuple[int, ...], torch.dtype], ...]

#: Eager calls per phase before it is captured (cuDNN autotuning, optimizer state).
WARMUP_CALLS = 3


def graphs_blocker(config: NectarConfig, device: torch.device, distributed: bool) -> str | None:
    """Why this run cannot replay its steps as CUDA graphs, or None when it can."""
    rt = config.runtime
    if device.type != "cuda":
        return "they need a CUDA GPU"
    if rt.precision == "fp16-mixed":  # auto never picks fp16
        return ("fp16-mixed checks its loss scale on the host every step; bf16-mixed or fp32 "
                "can use them")
    if distributed:
        return "they are not used under torchrun"
    if rt.compile:
        return "runtime.compile is on"
    return None


def use_graphs(config: NectarConfig, device: torch.device, distributed: bool
               ) -> tuple[bool, str | None]:
    """Whether to capture steps, and a log line when the setting asked for more.

    ``auto`` turns graphs on wherever they can work and stays quiet otherwise; ``on``
    says why it could not be honoured.
    """
    mode = config.runtime.cuda_graphs
    if mode == "off":
        return False, None
    blocker = graphs_blocker(config, device, distributed)
    if blocker is None:
        return True, None
    if mode == "on":
        return False, f"runtime.cuda_graphs is on, but {blocker}: training without CUDA graphs"
    return False, None


@dataclass
class _Captured:
    graph: torch.cuda.CUDAGraph
    inputs: dict[str, Tensor]
    outputs: dict[str, Tensor]


def signature(inputs: dict[str, Tensor]) -> Signature:
    """What a capture depends on: names, shapes and dtypes (values are copied in)."""
    return tuple((k, tuple(v.shape), v.dtype) for k, v in inputs.items())


class PhaseGraphs:
    """Runs named phases eagerly or as replayed CUDA graphs (see the module docstring).

    Args:
        enabled: capture at all (False: every call runs the phase directly).
        log: receives one line when a phase is captured or meets new shapes.
        warmup: eager calls before capture.
    """

    def __init__(self, enabled: bool, log: Callable[[str], None] = lambda _m: None,
                 warmup: int = WARMUP_CALLS) -> None:
        self.enabled = enabled
        self._log = log
        self._warmup = warmup
        self._calls: dict[str, int] = {}
        self._shapes: dict[str, Signature] = {}
        self._captured: dict[str, _Captured] = {}
        self._told_varied: set[str] = set()
        self._side: torch.cuda.Stream | None = None

    @property
    def captured(self) -> tuple[str, ...]:
        """Names of the phases replayed as graphs so far."""
        return tuple(self._captured)

    def run(self, name: str, fn: Phase, inputs: dict[str, Tensor]) -> dict[str, Tensor]:
        """``fn(inputs)``, or a replay of its capture (outputs valid until the next call)."""
        if not self.enabled:
            return fn(inputs)
        sig = signature(inputs)
        first = self._shapes.setdefault(name, sig)
        if sig != first:
            self._say_varied(name, sig)
            return fn(inputs)
        captured = self._captured.get(name)
        if captured is None:
            calls = self._calls.get(name, 0)
            if calls < self._warmup:
                self._calls[name] = calls + 1
                return self._on_side_stream(fn, inputs)
            captured = self._capture(name, fn, inputs)
        for key, buffer in captured.inputs.items():
            buffer.copy_(inputs[key], non_blocking=True)
        captured.graph.replay()
        return captured.outputs

    def _on_side_stream(self, fn: Phase, inputs: dict[str, Tensor]) -> dict[str, Tensor]:
        """Warm-up calls run on a side stream, as capture will (PyTorch's advice)."""
        if self._side is None:
            self._side = torch.cuda.Stream()
        current = torch.cuda.current_stream()
        self._side.wait_stream(current)
        with torch.cuda.stream(self._side):
            out = fn(inputs)
        current.wait_stream(self._side)
        return out

    def _capture(self, name: str, fn: Phase, inputs: dict[str, Tensor]) -> _Captured:
        static_inputs = {k: v.clone() for k, v in inputs.items()}
        graph = torch.cuda.CUDAGraph()
        # thread_local: the loader's pin-memory thread keeps calling CUDA meanwhile, which
        # would invalidate a capture in the default (global) mode.
        with torch.cuda.graph(graph, capture_error_mode="thread_local"):
            outputs = fn(static_inputs)
        captured = _Captured(graph, static_inputs, outputs)
        self._captured[name] = captured
        shapes = ", ".join(f"{k} {'×'.join(map(str, v.shape))}" for k, v in inputs.items())
        self._log(f"CUDA graphs: captured the {name} phase of the step ({shapes})")
        return captured

    def _say_varied(self, name: str, sig: Signature) -> None:
        if name in self._told_varied:
            return
        self._told_varied.add(name)
        shapes = ", ".join(f"{k} {'×'.join(map(str, s))}" for k, s, _ in sig)
        self._log(f"CUDA graphs: a batch of another shape ({shapes}); steps of that shape "
                  f"run without a graph")
