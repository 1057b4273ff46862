"""``nectar translate`` and ``nectar export``: the Translate tab's engine, headless.

Unreadable images are listed at the end instead of stopping the batch, and the exit
status is 1 when any input failed (2 for a usage or model error); outputs never
replace an input, and existing outputs are kept unless ``--overwrite`` is given. Every
output is written under a temporary name and renamed, so an interrupted run leaves no
half-written image. torch is imported only once a command runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from nectar_gui.core.data.errors import ImageReadError
from nectar_gui.core.data.images import list_images, load_image_any
from nectar_gui.core.translate.info import DIRECTIONS, TranslateError

if TYPE_CHECKING:
    from nectar_gui.core.translate.translator import Translator

FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}
_DEVICES = ("auto", "cpu", "cuda", "mps")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``translate`` and ``export`` on the ``nectar`` command."""
    t = sub.add_parser("translate", help="translate images with a trained generator")
    _add_model_args(t)
    t.add_argument("--input", nargs="+", required=True, type=Path, metavar="FILE_OR_DIR",
                   help="image files and/or folders of images (not searched recursively)")
    t.add_argument("--output", required=True, type=Path, metavar="DIR",
                   help="folder for the translated images (created if missing)")
    t.add_argument("--tile", type=int, metavar="N", help="translate in N×N tiles (default: "
                   "whole images, tiles only when an image does not fit --max-memory)")
    t.add_argument("--max-memory", metavar="SIZE", help="memory the translation may use, "
                   "e.g. 300MB or 4GB; larger images are streamed in tiles with the same "
                   "result (default: half the free RAM, or of the GPU's free memory)")
    t.add_argument("--device", choices=_DEVICES, default="auto",
                   help="auto picks CUDA, then Apple MPS, then the CPU")
    t.add_argument("--format", choices=tuple(FORMATS), default="png", help="output format")
    t.add_argument("--overwrite", action="store_true",
                   help="replace existing outputs (inputs are never replaced)")
    t.set_defaults(func=cmd_translate)

    e = sub.add_parser("export", help="export a generator to ONNX and check it")
    _add_model_args(e)
    e.add_argument("--onnx", required=True, type=Path, metavar="OUT", help="file to write")
    e.set_defaults(func=cmd_export)


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, type=Path, metavar="PATH",
                   help="run folder, checkpoint folder, reference *_net_G*.pth, or .onnx")
    p.add_argument("--step", type=int, help="for a run folder: the checkpoint step "
                   "(default: the latest)")
    p.add_argument("--direction", choices=DIRECTIONS,
                   help="AtoB or BtoA (CycleGAN); default: the model's first direction")


@dataclass
class _Tally:
    written: list[Path] = field(default_factory=list)
    existing: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


# ---- translate ------------------------------------------------------------------------------
def cmd_translate(args: argparse.Namespace) -> int:
    """Translate every input image into ``--output``; returns the exit status."""
    if args.tile is not None and args.tile < 1:
        raise TranslateError("--tile must be at least 1")
    args.max_memory = _max_memory(args.max_memory)
    tally = _Tally()
    files = _input_files(args.input, tally)
    if not files and not tally.failed:
        raise TranslateError("no images found in --input (looked for "
                             ".png .jpg .jpeg .bmp .tif .tiff .webp .ppm .pgm)")
    from nectar_gui.core.translate.loading import open_translator

    translator = open_translator(args.model, device=args.device, step=args.step)
    args.direction = args.direction or translator.info.directions[0]
    if args.direction not in translator.info.directions:
        raise TranslateError(f"this model translates {' or '.join(translator.info.directions)}"
                             f", not {args.direction}")
    print(_loaded_line(translator, args.direction), flush=True)
    args.output.mkdir(parents=True, exist_ok=True)
    targets = _output_names(files, args.output, args.format)
    inputs = {p.resolve() for p in files}
    for index, (source, target) in enumerate(targets, 1):
        prefix = f"[{index}/{len(targets)}] {source.name}"
        _translate_one(translator, source, target, prefix, args, inputs, tally)
    _print_summary(tally, args.output)
    return 1 if tally.failed else 0


def _max_memory(text: str | None) -> int | None:
    """``--max-memory`` in bytes (None: the default budget)."""
    if text is None:
        return None
    from nectar_gui.core.translate.memory import parse_size

    try:
        return parse_size(text)
    except TranslateError as exc:
        raise TranslateError(f"--max-memory: {exc}") from None


def _input_files(inputs: list[Path], tally: _Tally) -> list[Path]:
    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            files += list_images(item)
        elif item.is_file():
            files.append(item)
        else:
            tally.failed.append((item, "no such file or folder"))
    return list(dict.fromkeys(files))  # a file named twice is translated once


def _output_names(files: list[Path], folder: Path, fmt: str) -> list[tuple[Path, Path]]:
    """``<stem>.<fmt>``; inputs sharing a stem keep their own suffix in the name too."""
    stems: dict[str, int] = {}
    for path in files:
        stems[path.stem] = stems.get(path.stem, 0) + 1
    return [(p, folder / (f"{p.stem}-{p.suffix.lstrip('.')}.{fmt}" if stems[p.stem] > 1
                          else f"{p.stem}.{fmt}")) for p in files]


def _loaded_line(translator: Translator, direction: str) -> str:
    info = translator.info
    params = f", {info.parameters:,} parameters" if info.parameters else ""
    step = f", step {info.step}" if info.step is not None else ""
    return f"Loaded {info.path}: {info.summary}{params}{step}; translating {direction}"


def _translate_one(translator: Translator, source: Path, target: Path, prefix: str,
                   args: argparse.Namespace, inputs: set[Path], tally: _Tally) -> None:
    if target.resolve() in inputs:
        tally.failed.append((source, f"its output {target} would replace an input image"))
        print(f"{prefix}: not translated (the output would replace an input)", flush=True)
        return
    if target.exists() and not args.overwrite:
        tally.existing.append(target)
        print(f"{prefix}: skipped, {target.name} exists (use --overwrite)", flush=True)
        return
    started = time.monotonic()
    try:
        image = load_image_any(source)
        out = translator.translate(image, direction=args.direction, tile=args.tile,
                                   max_memory=args.max_memory,
                                   progress=_tile_progress(prefix))
        _save(out, target, FORMATS[args.format])
    except (ImageReadError, TranslateError, OSError) as exc:
        tally.failed.append((source, getattr(exc, "reason", None) or str(exc)))
        print(f"{prefix}: failed ({tally.failed[-1][1]})", flush=True)
        return
    tally.written.append(target)
    print(f"{prefix} → {target} ({_how(translator)}, "
          f"{time.monotonic() - started:.1f} s)", flush=True)


def _how(translator: Translator) -> str:
    """"6000×4000, tiled-exact: <reason>" — the path that ran, and why when not whole."""
    plan = translator.last_plan
    if plan is None:
        return "translated"
    if plan.path == "whole":
        return plan.reason.split(" ", 1)[0]
    return f"{plan.path}: {plan.reason}"


def _tile_progress(prefix: str) -> Callable[[int, int], None] | None:
    """On a terminal, a self-overwriting "tile 3/40" line while an image goes in tiles."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, of: int) -> None:
        if of < 2:
            return
        end = "\n" if done == of else ""
        print(f"\r{prefix}: tile {done}/{of} ({100 * done // of}%)", end=end,
              file=sys.stderr, flush=True)

    return show


def _save(hwc: np.ndarray, target: Path, fmt: str) -> None:
    """Write atomically; JPEG has no alpha, so transparency is flattened onto white."""
    img = Image.fromarray(hwc[:, :, 0] if hwc.shape[2] == 1 else hwc)
    if fmt == "JPEG" and img.mode == "RGBA":
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img).convert("RGB")
    tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
    try:
        img.save(tmp, format=fmt, **({} if fmt == "PNG" else {"quality": 95}))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _print_summary(tally: _Tally, folder: Path) -> None:
    print(f"Wrote {len(tally.written)} image(s) to {folder}.")
    if tally.existing:
        print(f"Kept {len(tally.existing)} existing output(s); --overwrite replaces them.")
    if tally.failed:
        total = len(tally.failed) + len(tally.written) + len(tally.existing)
        print(f"Could not translate {len(tally.failed)} file(s) of {total}:", file=sys.stderr)
        for path, reason in tally.failed:
            print(f"  {path}: {reason}", file=sys.stderr)


# ---- export ---------------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    """Export one generator to ONNX and print how closely ONNX Runtime matches PyTorch."""
    from nectar_gui.core.translate.export import export_onnx
    from nectar_gui.core.translate.loading import open_translator

    if args.onnx.suffix.lower() != ".onnx":
        raise TranslateError(f"--onnx {args.onnx}: the file name must end in .onnx")
    translator = open_translator(args.model, device="cpu", step=args.step)
    direction = args.direction or translator.info.directions[0]
    result = export_onnx(translator, args.onnx, direction=direction)
    h, w = result.check_size
    print(f"Exported {translator.info.summary} ({direction}) to {result.path}")
    print(f"ONNX Runtime vs PyTorch on a random {w}×{h} image: max abs difference "
          f"{result.max_abs_diff:.2e} (outputs range over [-1, 1])")
    return 0
