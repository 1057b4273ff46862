"""Starting the app: what it settles before PyTorch loads (a fresh process each time)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from nectar_gui.core import speed
from nectar_gui.core.presets import load_preset


def _start_app(home: Path) -> str:
    """Run ``nectar-gui --exit-when-ready`` on ``home``; its one line of output."""
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    env.update(NECTAR_GUI_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", "nectar_gui.app", "--exit-when-ready",
                           "--workspace", str(home)], env=env, capture_output=True,
                          text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(("preset", "spin"), [("cyclegan", speed.NNPACK_RUN_OMP_SPIN),
                                              ("pix2pix", speed.APP_OMP_SPIN)])
def test_openmp_spin_follows_the_restored_config(tmp_path: Path, preset: str,
                                                 spin: int) -> None:
    """A CPU CycleGAN at 256² (NNPACK-heavy) gets the CLI's spin, anything else the app's."""
    config = load_preset(preset).with_overrides({"runtime.device": "cpu"})
    assert config.data.crop_size == 256
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("config/last", config.to_json())
    settings.sync()
    assert f"(OpenMP spin {spin})" in _start_app(tmp_path)
