"""Process-wide speed settings: safe to call, idempotent, respectful of user settings."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nectar_gui.core import speed


def _run(code: str, env: dict[str, str] | None = None) -> str:
    import os

    full = {**os.environ, **(env or {})}
    for key in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"):
        if env is None or key not in env:
            full.pop(key, None)
    out = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True,
                         text=True, timeout=120, check=True)
    return out.stdout.strip()


def test_tune_malloc_is_idempotent_and_reports_state() -> None:
    # A fresh process, so this test run's allocator is left alone.
    code = ("from nectar_gui.core import speed; a = speed.tune_malloc(); "
            "print(a, speed.tune_malloc() == a, speed.malloc_tuned() == a)")
    first, again, state = _run(code).split()
    assert again == state == "True"
    if sys.platform.startswith("linux"):
        assert first in ("True", "False")  # False on a non-glibc Linux
    else:
        assert first == "False"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_tune_malloc_leaves_user_allocator_settings_alone() -> None:
    code = "from nectar_gui.core import speed; print(speed.tune_malloc())"
    assert _run(code, {"MALLOC_TRIM_THRESHOLD_": "1000000"}) == "False"


def test_runtime_opt_out_does_not_tune() -> None:
    code = ("from nectar_gui.core.config import RuntimeSection; "
            "from nectar_gui.core.runtime import Runtime; from nectar_gui.core import speed; "
            "Runtime(RuntimeSection(device='cpu', tune_malloc=False)); "
            "print(speed.malloc_tuned())")
    assert _run(code) == "False"


def test_module_constants_fit_mallopt() -> None:
    assert 0 < speed.MMAP_THRESHOLD <= 2**31 - 1
    assert 0 < speed.TRIM_THRESHOLD <= 2**31 - 1
    assert 0 < speed.TOP_PAD <= 2**31 - 1
