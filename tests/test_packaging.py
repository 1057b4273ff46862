"""Desktop integration files, the icon pipeline and command-line opening of runs.

The Linux files are checked for what the desktop reads from them (well-formed XML, the
same application id everywhere, the MIME type the entry claims exists); the platform
validators run too where they are installed.
"""

from __future__ import annotations

import configparser
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication

import nectar_gui
from nectar_gui.app import parse_args, run_folder_for
from nectar_gui.ui.shell.app_icon import APP_ID, ICON_SIZES, app_icon, render_icon

ROOT = Path(__file__).resolve().parents[1]
LINUX = ROOT / "resources" / "linux"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(LINUX / f"{APP_ID}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def _list(value: str) -> list[str]:
    return [part for part in value.split(";") if part]


def _validator(name: str) -> str | None:
    return shutil.which(name)


# ---- Linux desktop files -------------------------------------------------------------------
def test_desktop_entry_launches_the_app_with_a_file() -> None:
    entry = _desktop_entry()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["gui-scripts"]
    command, *args = entry["Exec"].split()
    assert command in scripts and args in (["%f"], ["%F"])
    assert entry["Type"] == "Application" and entry["Icon"] == APP_ID
    assert {"Graphics", "Science"} <= set(_list(entry["Categories"]))
    assert entry["Terminal"] == "false"


def test_desktop_entry_passes_the_validator() -> None:
    validator = _validator("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate is not installed (package desktop-file-utils)")
    done = subprocess.run([validator, LINUX / f"{APP_ID}.desktop"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mime_types_are_defined_and_claimed() -> None:
    root = ET.parse(LINUX / f"{APP_ID}.mime.xml").getroot()
    assert root.tag == f"{MIME_NS}mime-info"
    defined = {t.get("type"): [g.get("pattern") for g in t.iter(f"{MIME_NS}glob")]
               for t in root.iter(f"{MIME_NS}mime-type")}
    assert defined["application/x-safetensors"] == ["*.safetensors"]
    assert set(_list(_desktop_entry()["MimeType"])) <= set(defined)


def test_appstream_metainfo_matches_the_app() -> None:
    root = ET.parse(LINUX / f"{APP_ID}.metainfo.xml").getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == f"{APP_ID}.desktop"
    assert root.findtext("name") == "Nectar GUI"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    binaries = {b.text for b in root.iter("binary")}
    assert binaries == set(project["scripts"]) | set(project["gui-scripts"])
    releases = [r.get("version") for r in root.iter("release")]
    assert releases[0] == nectar_gui.__version__ == project["version"]
    assert {m.text for m in root.iter("mediatype")} <= set(
        _list(_desktop_entry()["MimeType"]))


def test_appstream_metainfo_passes_the_validator() -> None:
    validator = _validator("appstreamcli")
    if validator is None:
        pytest.skip("appstreamcli is not installed (package appstream)")
    done = subprocess.run([validator, "validate", "--no-net",
                           LINUX / f"{APP_ID}.metainfo.xml"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_bundle_spec_uses_the_same_id_and_version() -> None:
    spec = (ROOT / "packaging" / "nectar_gui.spec").read_text(encoding="utf-8")
    assert re.search(r'^APP_ID = "([^"]+)"', spec, re.M).group(1) == APP_ID  # type: ignore[union-attr]
    assert re.search(r'^VERSION = "([^"]+)"', spec, re.M).group(1) == (  # type: ignore[union-attr]
        nectar_gui.__version__)


# ---- icon ----------------------------------------------------------------------------------
def test_icon_is_drawn_at_every_size(qapp: QApplication) -> None:
    icon = app_icon()
    assert not icon.isNull()
    assert sorted(s.width() for s in icon.availableSizes()) == sorted(ICON_SIZES)
    small = render_icon(16)
    corner, centre = small.pixelColor(0, 0), small.pixelColor(8, 9)
    assert corner.alpha() < 16  # rounded corners stay (almost) transparent
    assert centre.alpha() == 255 and centre.red() > 200  # the amber drop fills the middle


def test_make_icons_writes_png_ico_and_icns(qapp: QApplication, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_icons",
                                                  ROOT / "packaging" / "make_icons.py")
    assert spec is not None and spec.loader is not None
    make_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icons)

    written = make_icons.make_icons(tmp_path)

    assert all(path.is_file() for path in written)
    with Image.open(tmp_path / "nectar.ico") as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    with Image.open(tmp_path / "nectar.icns") as icns:
        assert icns.format == "ICNS" and (512, 512, 2) in icns.info["sizes"]
    with Image.open(tmp_path / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png") as png:
        assert png.size == (48, 48) and png.mode == "RGBA"
    assert (tmp_path / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()


# ---- opening what the desktop hands us -----------------------------------------------------
def test_a_bare_path_is_the_thing_to_open(tmp_path: Path) -> None:
    assert parse_args([str(tmp_path)]).path == tmp_path
    assert parse_args([]).path is None
    with pytest.raises(SystemExit):
        parse_args([str(tmp_path), "second"])  # one window, one run


def test_checkpoint_files_open_their_run(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "demo"
    weights = run / "checkpoints" / "00000002" / "G.safetensors"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"")
    (run / "config.json").write_text("{}")

    assert run_folder_for(run) == run.resolve()
    assert run_folder_for(weights) == run.resolve()
    assert run_folder_for(weights.parent) == run.resolve()
    assert run_folder_for(tmp_path / "runs") is None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell scripts")
def test_shell_scripts_parse() -> None:
    for script in (ROOT / "packaging" / "smoke",
                   ROOT / "packaging" / "linux" / "install-desktop-entry"):
        assert script.stat().st_mode & 0o111, f"{script} is not executable"
        done = subprocess.run(["bash", "-n", script], capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stderr
