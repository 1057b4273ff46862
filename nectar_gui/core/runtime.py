"""Device, precision, seeding, threads and distributed set-up, in one small object.

Everything that differs between a laptop CPU, one GPU and a ``torchrun`` job lives here,
so trainers stay the same code in all three.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from nectar_gui.core.config import RuntimeSection
from nectar_gui.core.speed import tune_malloc


class DeviceError(RuntimeError):
    """A device or precision request this machine cannot meet."""


@dataclass(frozen=True)
class DistInfo:
    """This process's place in a distributed job (world_size 1 when alone)."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    local_world_size: int = 1  # processes on this machine

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def dist_info_from_env() -> DistInfo:
    """Read RANK / LOCAL_RANK / WORLD_SIZE / LOCAL_WORLD_SIZE as set by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    return DistInfo(rank=int(os.environ["RANK"]), local_rank=int(os.environ.get("LOCAL_RANK", 0)),
                    world_size=world,
                    local_world_size=int(os.environ.get("LOCAL_WORLD_SIZE", world)))


def resolve_device(choice: str, dist_info: DistInfo = DistInfo()) -> torch.device:
    """Turn a config choice into a device; auto prefers CUDA, then MPS, then the CPU.

    Raises:
        DeviceError: the device is not there, or torchrun started more processes on this
            machine than it has CUDA GPUs (each process needs one of its own).
    """
    cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if choice == "auto":
        choice = "cuda" if cuda else "mps" if mps else "cpu"
    if choice == "cuda":
        if not cuda:
            raise DeviceError("runtime.device is 'cuda' but no CUDA GPU is available; "
                                "use 'auto' or 'cpu'")
        gpus = torch.cuda.device_count()
        check_one_gpu_per_process(dist_info, gpus)
        return torch.device("cuda", dist_info.local_rank % gpus)
    if choice == "mps" and not mps:
        raise DeviceError("runtime.device is 'mps' but Apple MPS is not available; "
                            "use 'auto' or 'cpu'")
    return torch.device(choice)


def check_one_gpu_per_process(dist_info: DistInfo, gpus: int) -> None:
    """Refuse more processes on this machine than it has CUDA GPUs, before NCCL starts.

    Two processes on one GPU would otherwise get NCCL's "Duplicate GPU detected" error at
    their first collective, after the models are built, in words that do not say what to
    do. torchrun gives every process on a machine the same visible GPUs, so this count is
    the one that matters; the message is one line because the CLI prints it as it is.
    """
    if dist_info.local_world_size <= gpus:
        return
    n = dist_info.local_world_size
    at_most = f"--nproc_per_node={gpus}" + (" or fewer" if gpus > 1 else "")
    raise DeviceError(f"torchrun started {n} processes on this machine but it has {gpus} "
                      f"CUDA GPU{'s' if gpus != 1 else ''}, and each process needs its own: "
                      f"run torchrun with {at_most}, or train on the CPU with "
                      f"--set runtime.device=cpu")


def resolve_precision(choice: str, device: torch.device) -> str:
    """The precision a run uses: ``auto`` is bf16-mixed on CUDA cards with bf16, else fp32.

    On an H200, bf16-mixed with CUDA graphs ran pix2pix and CycleGAN steps 1.1–1.5× as
    fast as fp32 (bench/gpu.py); on CPUs and Apple GPUs it was not measured faster.
    """
    if choice != "auto":
        return choice
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return "bf16-mixed"
    return "fp32"


def default_threads() -> int:
    """Every core, in the app as in ``nectar train``.

    The app used to leave one core for the window, which on a 2-core machine made it train
    at 0.6x the CLI's speed. The window needs little CPU and the training thread releases
    the GIL inside each torch operation, so with every core the app trains at the CLI's
    speed and the UI still answers in time (``bench/gui_training.py``).
    """
    return os.cpu_count() or 1


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class Runtime:
    """Owns device, precision, threads, seeding and the process group.

    Args:
        cfg: the runtime section of the config.
    """

    def __init__(self, cfg: RuntimeSection) -> None:
        self.cfg = cfg
        self.dist = dist_info_from_env()
        self.device = resolve_device(cfg.device, self.dist)
        self.precision = resolve_precision(cfg.precision, self.device)
        if self.device.type == "cpu" and cfg.precision == "fp16-mixed":
            raise DeviceError("runtime.precision 'fp16-mixed' needs a GPU; on the CPU use "
                                "'bf16-mixed' or 'fp32'")
        # Processes on one machine share its cores (torchrun on a CPU runs several).
        torch.set_num_threads(cfg.threads or max(
            1, default_threads() // self.dist.local_world_size))
        if self.device.type == "cpu" and cfg.tune_malloc:
            tune_malloc()  # reuse big step buffers instead of page-faulting them (speed.py)
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
            torch.backends.cudnn.benchmark = True
        self._owns_group = False
        self._init_process_group()

    def _init_process_group(self) -> None:
        """Join torchrun's job: NCCL between GPUs, gloo on the CPU.

        If a rank fails, gloo ends the others' pending collectives with "Connection closed
        by peer" and torchrun stops the rest; NCCL ranks may wait in a collective until
        torchrun kills them (after its shutdown timeout, 30 s by default).
        """
        if self.dist.enabled and not dist.is_initialized():
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            dist.init_process_group(backend=backend)
            self._owns_group = True

    @property
    def amp_dtype(self) -> torch.dtype | None:
        return {"bf16-mixed": torch.bfloat16, "fp16-mixed": torch.float16}.get(
            self.precision)

    def autocast(self, cache: bool = True) -> contextlib.AbstractContextManager[Any]:
        """Autocast for the configured mixed precision, or a no-op for fp32.

        ``cache=False`` re-casts weights at each use; CUDA graph capture needs that.
        """
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype, cache_enabled=cache)

    def grad_scaler(self) -> torch.amp.GradScaler | None:
        """A loss scaler for fp16 (bf16 and fp32 need none)."""
        if self.precision != "fp16-mixed":
            return None
        return torch.amp.GradScaler(self.device.type)

    def adam(self, params: Iterator[torch.nn.Parameter] | list[torch.nn.Parameter], *,
             lr: float, betas: tuple[float, float], impl: str,
             capturable: bool = False) -> torch.optim.Adam:
        """Adam with the fastest kernel this device has (fused, else foreach).

        ``capturable`` (CUDA graphs) keeps the step count and the learning rate in
        device tensors, so a replayed graph reads the current rate.
        """
        params = list(params)
        if capturable:
            rate = torch.tensor(lr, device=self.device)
            fused = impl in ("auto", "fused")
            return torch.optim.Adam(params, lr=rate, betas=betas, capturable=True,
                                    fused=fused, foreach=None if fused else impl != "for-loop")
        if impl in ("auto", "fused"):
            try:
                return torch.optim.Adam(params, lr=lr, betas=betas, fused=True)
            except (RuntimeError, TypeError, ValueError):
                if impl == "fused":
                    raise DeviceError(f"fused Adam is not available on {self.device}; "
                                        f"set optim.adam_impl to 'auto'") from None
        foreach = impl != "for-loop"
        return torch.optim.Adam(params, lr=lr, betas=betas, foreach=foreach)

    def describe(self) -> str:
        """One line for logs and the status bar, e.g. 'cpu (4 threads), fp32'."""
        where = str(self.device)
        if self.device.type == "cuda":
            where += f" ({torch.cuda.get_device_name(self.device)})"
        else:
            spin = os.environ.get("GOMP_SPINCOUNT")  # speed.shorten_omp_spin, or the user
            where += f" ({torch.get_num_threads()} threads"
            where += f", OpenMP spin {spin})" if spin else ")"
        if self.dist.enabled:
            where += f", rank {self.dist.rank}/{self.dist.world_size}"
        return f"{where}, {self.precision}"

    def barrier(self) -> None:
        """Wait for every rank (no-op alone)."""
        if self.dist.enabled:
            if self.device.type == "cuda":
                dist.barrier(device_ids=[self.device.index])
            else:
                dist.barrier()

    def close(self) -> None:
        """Leave the process group if this runtime created it."""
        if self._owns_group and dist.is_initialized():
            dist.destroy_process_group()
        self._owns_group = False


def rng_state() -> dict[str, Any]:
    """All RNG states as weights_only-loadable data (tensors, ints, strings, lists)."""
    np_state: tuple[Any, ...] = tuple(np.random.get_state())
    py_state = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {"keys": torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
                  "pos": int(np_state[2]), "has_gauss": int(np_state[3]),
                  "gauss": float(np_state[4])},
        "python": {"version": py_state[0], "state": list(py_state[1]), "gauss": py_state[2]},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` captured."""
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"],
                         n["has_gauss"], n["gauss"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["state"]), p["gauss"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
