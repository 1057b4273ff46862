"""The probe set: a few fixed images translated at every validation. No torch.

Chosen once per run (evenly spaced over the validation images), recorded in the run
folder and never chosen again, so a resumed run, and the app opening it elsewhere,
show the same images. Layout::

    probes/probes.json              {"version": 1, "split": "val", "kind": "paired",
                                     "images": [{"name", "a_path", "b_path",
                                                 "aligned", "swap"}, ...]}
    probes/inputs/<i:02d>_A.png     probe i's input, as the generator sees it
    probes/inputs/<i:02d>_B.png     its target (paired) or its B image (unpaired)
    probes/<step:08d>/<i:02d>.png   G(A) at that validation, at the input's size
    probes/<step:08d>/<i:02d>_BtoA.png   CycleGAN only: G_B(B)

A step folder is written under a temporary name and renamed, so a reader never sees
half of one. The inputs are copied because the dataset may not be where the run is read.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from nectar_gui.core.evaluation.items import EvalItem, EvalSet
from nectar_gui.core.evaluation.records import DataKind
from nectar_gui.core.rundir import TMP_PREFIX, replace_atomically

PROBES = "probes"
PROBE_COUNT = 4
_VERSION = 1


@dataclass(frozen=True)
class ProbeSet:
    """The recorded probe images of a run."""

    split: str
    kind: DataKind
    items: tuple[EvalItem, ...]


def probes_dir(run_dir: Path) -> Path:
    return Path(run_dir) / PROBES


def write_probe_set(run_dir: Path, probes: EvalSet, inputs: list[tuple[np.ndarray, np.ndarray]]
                    ) -> None:
    """Record the probe set and copies of its (A, B) images; probes.json goes last."""
    folder = probes_dir(run_dir)
    (folder / "inputs").mkdir(parents=True, exist_ok=True)
    for i, (a, b) in enumerate(inputs):
        _write_png(folder / "inputs" / f"{i:02d}_A.png", a)
        _write_png(folder / "inputs" / f"{i:02d}_B.png", b)
    doc = {"version": _VERSION, "split": probes.split, "kind": probes.kind,
           "images": [{"name": it.name, "a_path": str(it.a_path), "b_path": str(it.b_path),
                       "aligned": it.aligned, "swap": it.swap} for it in probes.items]}
    replace_atomically(folder / "probes.json", json.dumps(doc, indent=2).encode("utf-8"))


def read_probe_set(run_dir: Path) -> ProbeSet | None:
    """The recorded probe set, or None when the run has none (or it is unreadable)."""
    try:
        doc: dict[str, Any] = json.loads((probes_dir(run_dir) / "probes.json").read_text(
            encoding="utf-8"))
        items = tuple(EvalItem(str(e["name"]), Path(e["a_path"]), Path(e["b_path"]),
                               bool(e.get("aligned")), bool(e.get("swap")))
                      for e in doc["images"])
        kind: DataKind = "unpaired" if doc.get("kind") == "unpaired" else "paired"
        return ProbeSet(split=str(doc["split"]), kind=kind, items=items)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_probe_outputs(run_dir: Path, step: int, outputs: list[dict[str, np.ndarray]]) -> Path:
    """Write one validation's probe translations (``{"AtoB": ..., "BtoA": ...}`` each)."""
    folder = probes_dir(run_dir)
    final = folder / f"{step:08d}"
    tmp = folder / f"{TMP_PREFIX}{step}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for i, images in enumerate(outputs):
        for direction, image in images.items():
            suffix = "" if direction == "AtoB" else "_BtoA"
            _write_png(tmp / f"{i:02d}{suffix}.png", image)
    shutil.rmtree(final, ignore_errors=True)  # a rerun of the same step (after a resume)
    os.replace(tmp, final)
    return final


def probe_steps(run_dir: Path) -> list[int]:
    """Steps with probe translations, ascending."""
    folder = probes_dir(run_dir)
    if not folder.is_dir():
        return []
    return sorted(int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit())


def load_probe_inputs(run_dir: Path) -> list[dict[str, np.ndarray]]:
    """Each probe's ``{"A": ..., "B": ...}`` as owned uint8 (H, W, C) arrays."""
    folder = probes_dir(run_dir) / "inputs"
    probes = read_probe_set(run_dir)
    count = len(probes.items) if probes is not None else 0
    return [{side: _read_png(folder / f"{i:02d}_{side}.png") for side in ("A", "B")}
            for i in range(count)]


def load_probe_outputs(run_dir: Path, step: int) -> list[dict[str, np.ndarray]]:
    """Each probe's translations at ``step``: ``{"AtoB": ...}`` (+ ``"BtoA"``)."""
    folder = probes_dir(run_dir) / f"{step:08d}"
    if not folder.is_dir():
        raise FileNotFoundError(f"No probe translations for step {step} in {folder.parent}")
    found: dict[int, dict[str, np.ndarray]] = {}
    for path in sorted(folder.glob("*.png")):
        index, _, rest = path.stem.partition("_")
        if index.isdigit():
            found.setdefault(int(index), {})["BtoA" if rest == "BtoA" else "AtoB"] = (
                _read_png(path))
    return [found[i] for i in sorted(found)]


def truncate_probes(run_dir: Path, step: int) -> None:
    """Drop probe translations above ``step`` (a resumed run's abandoned history)."""
    for s in probe_steps(run_dir):
        if s > step:
            shutil.rmtree(probes_dir(run_dir) / f"{s:08d}", ignore_errors=True)


def _write_png(path: Path, image: np.ndarray) -> None:
    buffer = io.BytesIO()
    Image.fromarray(image[:, :, 0] if image.shape[2] == 1 else image).save(buffer, "PNG")
    replace_atomically(path, buffer.getvalue())


def _read_png(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        arr = np.array(img, dtype=np.uint8)
    return arr[:, :, None] if arr.ndim == 2 else arr
