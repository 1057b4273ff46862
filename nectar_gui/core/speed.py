"""Process-wide speed settings for CPU training that do not change any result.

:func:`tune_malloc` keeps the C allocator from handing large buffers back to the kernel.
A training step allocates and frees the same set of large activation and gradient
buffers every time. With glibc's defaults, buffers above the mmap threshold (128 KiB,
raised dynamically up to 32 MiB) are ``mmap``-ed and ``munmap``-ed every step, and a
freed heap top above the trim threshold is returned with ``brk``; each fresh page then
costs a page fault plus the kernel zeroing it on first touch. On a 2-core CPU that was
50–100 thousand page faults and 0.15–0.35 s of system time per pix2pix step at 256²
(about 10% of the step). With high thresholds and a top pad the buffers stay in the
heap and are reused: a few hundred faults per step, in the main thread and in a
training thread alike.

The cost: the process keeps its peak memory (it is reused by the next step anyway).
It is a no-op outside Linux/glibc, when the user already tunes glibc's allocator through
the environment, or when turned off (``runtime.tune_malloc = false``).

:func:`shorten_omp_spin` is for runs whose convolutions go through NNPACK (the ResNet
generator's residual blocks at 256², see ``models/fast_ops.py``). NNPACK runs on a
thread pool of its own, while every other op runs on OpenMP's; after each OpenMP op
GNU OpenMP's idle threads keep spinning (300,000 rounds by default), and on a 2-core CPU
they take the cores NNPACK's threads need: one NNPACK convolution took 16.9 ms right
after a oneDNN one against 10.9 ms with the spinning off. With ``GOMP_SPINCOUNT=10000``
a CycleGAN step at 256² went from 8.19 to 6.28 s; a pix2pix step (no NNPACK) got 4–10 %
slower, so only NNPACK-heavy runs get it. OpenMP reads the variable when torch loads:
set too late it does nothing, and the user's own OpenMP settings win.

The app loads torch at start, before it knows which run comes next, so it decides from
the config the window restores, and for any other config takes :data:`APP_OMP_SPIN`, a
middle value that costs other runs nothing measurable and gives a CycleGAN started later
in the session most of the gain (one run of ``bench/train_step.py --variant
env:GOMP_SPINCOUNT=N``: CycleGAN 256² 8.35 s with OpenMP's default, 6.95 s at 100,000,
6.30 s at 10,000; pix2pix 256² 0.635 s with the default, 0.628 s at 100,000).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

from nectar_gui.core.config import NectarConfig

# glibc <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3

#: Allocations up to this size come from the heap (mallopt takes a C int).
MMAP_THRESHOLD = 1 << 30
#: Free memory at the top of the heap is only returned above this size.
TRIM_THRESHOLD = 2**31 - 1
#: Slack kept at the top of every heap. Threads other than the main one allocate from
#: 64 MiB heaps that glibc unmaps as soon as one is entirely free, whatever the trim
#: threshold; a top pad of a whole heap keeps them (training runs in a thread in the app).
TOP_PAD = 64 << 20

_USER_ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
             "MALLOC_MMAP_MAX_")

_tuned = False

#: GNU OpenMP spin rounds for NNPACK-heavy runs (``bench/train_step.py --variant
#: env:GOMP_SPINCOUNT=N``: 10,000 measured fastest of 10k / 30k / 100k / passive).
NNPACK_RUN_OMP_SPIN = 10_000
#: The app's spin when the restored config is not NNPACK-heavy (see the module docs).
APP_OMP_SPIN = 100_000
_OMP_USER_ENV = ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")


def malloc_tuned() -> bool:
    """Whether :func:`tune_malloc` has changed the allocator in this process."""
    return _tuned


def tune_malloc() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (idempotent).

    Returns:
        True when the allocator is tuned (now or earlier), False when this platform or
        the user's environment leaves it alone.
    """
    global _tuned
    if _tuned:
        return True
    if not sys.platform.startswith("linux"):
        return False
    if any(k in os.environ for k in _USER_ENV) or "malloc" in os.environ.get(
            "GLIBC_TUNABLES", ""):
        return False  # the user's own allocator settings win
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 - glibc only (musl's mallopt is a stub)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    ok = mallopt(_M_TOP_PAD, TOP_PAD) == 1 and ok
    _tuned = ok
    return ok


def nnpack_heavy(config: NectarConfig) -> bool:
    """Whether most of a CPU run's convolution time goes through NNPACK.

    Mirrors ``fast_ops.conv_plan``: the residual blocks (4·ngf channels at a quarter of
    the crop) use NNPACK from 64² maps and 128 channels on; runs on a GPU do not.
    """
    rt, model = config.runtime, config.model
    return (rt.fast_ops and not rt.device.startswith(("cuda", "mps"))
            and model.generator == "resnet" and config.data.crop_size // 4 >= 64
            and 4 * model.ngf >= 128)


def shorten_omp_spin(config: NectarConfig | None, *, otherwise: int | None = None) -> bool:
    """Set ``GOMP_SPINCOUNT`` for an NNPACK-heavy run, if it can still take effect.

    Args:
        config: the run's config (None: not known, e.g. the app restored none).
        otherwise: the spin for any other config; None leaves OpenMP's default.

    Returns True when set now. Does nothing once torch is imported (OpenMP has read its
    settings), or when the user set OpenMP's spinning.
    """
    if "torch" in sys.modules or any(k in os.environ for k in _OMP_USER_ENV):
        return False
    spin = NNPACK_RUN_OMP_SPIN if config is not None and nnpack_heavy(config) else otherwise
    if spin is None:
        return False
    os.environ["GOMP_SPINCOUNT"] = str(spin)
    return True
