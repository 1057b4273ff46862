"""Process-wide speed settings: safe to call, idempotent, respectful of user settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nectar_gui.core import speed
from nectar_gui.core.config import NectarConfig
from nectar_gui.core.presets import load_preset
from tests.tiny import tiny_config


def _run(code: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> str:
    """``python -c code`` in a fresh process; ``drop``: variables removed from its env."""
    full = {**os.environ, **(env or {})}
    for key in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES",
                *drop):
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


def _config(**overrides: object) -> NectarConfig:
    return load_preset("cyclegan").with_overrides(
        {"runtime.device": "cpu", "data.crop_size": 256, **overrides})


def test_nnpack_heavy_runs_are_cpu_resnets_with_big_residual_maps() -> None:
    assert speed.nnpack_heavy(_config())
    assert speed.nnpack_heavy(_config(**{"runtime.device": "auto"}))
    assert not speed.nnpack_heavy(_config(**{"runtime.device": "cuda"}))
    assert not speed.nnpack_heavy(_config(**{"data.crop_size": 128, "data.load_size": 143}))
    assert not speed.nnpack_heavy(_config(**{"model.ngf": 16}))  # 64-channel blocks
    assert not speed.nnpack_heavy(_config(**{"runtime.fast_ops": False}))
    assert not speed.nnpack_heavy(load_preset("pix2pix"))


def test_nnpack_heavy_follows_the_residual_blocks_conv_plan() -> None:
    """speed.py is torch-free, so it restates fast_ops' rule: the two must agree."""
    from nectar_gui.core.models.fast_ops import conv_plan, nnpack_ready

    if not nnpack_ready():
        pytest.skip("this torch has no NNPACK")
    for crop, ngf in ((256, 64), (256, 32), (256, 16), (128, 64), (512, 64)):
        config = _config(**{"data.crop_size": crop, "data.load_size": crop, "model.ngf": ngf})
        blocks = 4 * ngf
        plan = conv_plan(blocks, blocks, 3, crop // 4, crop // 4)
        assert speed.nnpack_heavy(config) == (plan is not None
                                                and plan.forward == "nnpack"), (crop, ngf)


def test_omp_spin_is_shortened_only_before_torch_and_never_over_the_user() -> None:
    # Fresh processes: the variable matters only before torch loads OpenMP.
    code = ("import os; from nectar_gui.core import speed; from nectar_gui.core.presets "
            "import load_preset; c = load_preset('{}').with_overrides({{'runtime.device': "
            "'cpu', 'data.crop_size': 256}}); {}print(speed.shorten_omp_spin(c), "
            "os.environ.get('GOMP_SPINCOUNT'))")
    clean = ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")
    assert _run(code.format("cyclegan", ""), drop=clean) == "True 10000"
    assert _run(code.format("pix2pix", ""), drop=clean) == "False None"
    assert _run(code.format("cyclegan", "import torch; "), drop=clean) == "False None"
    assert _run(code.format("cyclegan", ""), env={"GOMP_SPINCOUNT": "5"}) == "False 5"
    assert _run(code.format("cyclegan", ""),
                env={"OMP_WAIT_POLICY": "ACTIVE"}, drop=("GOMP_SPINCOUNT",)) == "False None"


def test_nectar_train_logs_the_spin_it_set(tmp_path: Path, unpaired_data: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(tiny_config("cyclegan", unpaired_data, **{
        "data.load_size": 256, "data.crop_size": 256, "model.ngf": 32,
        "model.resnet_blocks": 1, "logging.max_steps": 1, "logging.val_images": 0,
    }).to_json())
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    done = subprocess.run([sys.executable, "-m", "nectar_gui.cli", "train", "--config",
                           str(config), "--run-dir", str(tmp_path / "run"), "--quiet"],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "OpenMP spin 10000" in (tmp_path / "run" / "log.txt").read_text()
