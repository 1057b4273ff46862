"""The wheel as a user gets it: built, installed in a fresh virtual environment, used.

The new environment reuses the dependencies already installed for the tests (a ``.pth``
file points at their site-packages) so nothing is downloaded and the test takes seconds,
but ``nectar_gui`` itself comes from the installed wheel: the commands run from an
empty folder and the test checks where the package was imported from. Anything the
wheel forgot (a preset, the icon, a lazily imported module) fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TINY = ("--set", "model.ngf=8", "--set", "model.ndf=8", "--set", "model.unet_downs=5",
        "--set", "data.load_size=36", "--set", "data.crop_size=32",
        "--set", "data.num_workers=0", "--set", "runtime.threads=1")
# Checks, inside the new environment, that every runtime requirement the wheel declares
# is met by what is installed (so a missing or mistyped dependency fails here).
_CHECK_REQUIREMENTS = """
import importlib.metadata as md
from packaging.requirements import Requirement
bad = []
for line in md.metadata("nectar-gui").get_all("Requires-Dist") or []:
    req = Requirement(line)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue
    try:
        version = md.version(req.name)
    except md.PackageNotFoundError:
        bad.append(f"{req} (not installed)")
        continue
    if not req.specifier.contains(version, prereleases=True):
        bad.append(f"{req} (installed {version})")
print("unmet:", bad)
raise SystemExit(1 if bad else 0)
"""


def _run(args: list[str | Path], *, cwd: Path, timeout: float = 120,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False, env=env)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


def _build_wheel(work: Path) -> Path:
    """Build from a clean copy of the sources: stale build/ leftovers can't leak in."""
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for folder in ("nectar_gui", "resources"):
        shutil.copytree(ROOT / folder, src / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
          work / "dist", src], cwd=work)
    (wheel,) = (work / "dist").glob("nectar_gui-*.whl")
    return wheel


def _venv_with_reused_deps(work: Path) -> Path:
    """A new venv (its bin/ folder returned) that sees this environment's packages."""
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=work)
    (site,) = venv.glob("lib/python*/site-packages")
    # A plain path line: the folder joins sys.path after the venv's own site-packages,
    # and its .pth files (the editable install of the source tree) are not run.
    (site / "reuse_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(wheel, venv bin folder, empty working folder) with the wheel installed."""
    work = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(work)
    bin_dir = _venv_with_reused_deps(work)
    # --ignore-installed: never touch the test environment's own (editable) nectar-gui;
    # --no-deps --no-index: the dependencies are the reused ones, checked below.
    _run([bin_dir / "python", "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
          "--ignore-installed", wheel], cwd=work)
    cwd = work / "cwd"
    cwd.mkdir()
    return wheel, bin_dir, cwd


def test_wheel_carries_the_resources(installed: tuple[Path, Path, Path]) -> None:
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for preset in ("pix2pix", "cyclegan", "demo-pix2pix", "demo-cyclegan"):
        assert f"nectar_gui/_resources/presets/{preset}.json" in names
    assert "nectar_gui/_resources/icons/nectar.svg" in names
    for linux in ("desktop", "metainfo.xml", "mime.xml"):
        assert f"nectar_gui/_resources/linux/io.github.nectar_gui.NectarGUI.{linux}" in names
    assert "nectar_gui/py.typed" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "packaging/"))]


def test_installed_wheel_runs_cli_and_gui(installed: tuple[Path, Path, Path]) -> None:
    _, bin_dir, cwd = installed
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(QT_QPA_PLATFORM="offscreen", NECTAR_GUI_HOME=str(cwd / "home"))

    where = _run([bin_dir / "python", "-c", "import nectar_gui; print(nectar_gui.__file__)"],
                 cwd=cwd, env=env).stdout.strip()
    assert Path(where).is_relative_to(bin_dir.parent), where
    _run([bin_dir / "python", "-c", _CHECK_REQUIREMENTS], cwd=cwd, env=env)

    described = _run([bin_dir / "nectar", "describe", "--preset", "cyclegan"],
                     cwd=cwd, env=env).stdout
    assert "11,378,179" in described  # the ResNet-9 generator's parameter count
    _run([bin_dir / "nectar", "demo-data", "data", "--kind", "paired", "--count", "4"],
         cwd=cwd, env=env)
    _run([bin_dir / "nectar", "train", "--preset", "demo-pix2pix", "--data", "data",
          "--run-dir", "run", "--max-steps", "2", "--quiet", *TINY], cwd=cwd, env=env)
    assert (cwd / "run" / "checkpoints" / "LATEST").is_file()

    # Given a checkpoint's weights file (as a file manager would), the window opens the
    # run holding it, loads PyTorch and quits; the run is then first in Recent runs.
    latest = (cwd / "run" / "checkpoints" / "LATEST").read_text().strip()
    weights = sorted((cwd / "run" / "checkpoints" / latest).glob("*.safetensors"))[0]
    shown = _run([bin_dir / "nectar-gui", "--exit-when-ready", "--workspace", cwd / "home",
                  weights], cwd=cwd, env=env).stdout
    assert "window shown after" in shown and "PyTorch ready after" in shown
    settings = (cwd / "home" / "settings.ini").read_text(encoding="utf-8")
    assert str(cwd / "run") in settings
