"""Export one generator to ONNX, and check ONNX Runtime computes what PyTorch does.

torch 2.x has two exporters. The TorchScript-based one (``dynamo=False``) needs nothing
beyond ``onnx`` and handles our generators with dynamic height and width; the newer
``dynamo=True`` one needs ``onnxscript`` as well, so it is not used. Instance norm is
exported as ONNX ``InstanceNormalization`` (always per-image statistics, which is what
the network does in eval mode too; the exporter's "train=True" warning is expected).

The file gets the model's ``GeneratorInfo`` in its metadata so ``open_translator``
shows what it is, and the check runs at a size other than the one traced, which
proves the height and width really are free.
"""

from __future__ import annotations

import copy
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from nectar_gui.core.translate.info import GeneratorInfo, TranslateError
from nectar_gui.core.translate.loading import open_translator
from nectar_gui.core.translate.onnx_model import (
    INPUT_NAME,
    OUTPUT_NAME,
    OnnxGenerator,
    info_to_metadata,
)
from nectar_gui.core.translate.translator import TorchGenerator, Translator

OPSET = 17
_CHECK_SEED = 0


@dataclass(frozen=True)
class ExportResult:
    """What an export produced.

    Attributes:
        path: the .onnx file written.
        direction: the direction of the exported generator.
        max_abs_diff: largest |ONNX Runtime − PyTorch| on the check input (outputs in
            [-1, 1]).
        check_size: (height, width) of the seeded random check input.
        info: the source model's info.
        opset: ONNX opset version.
    """

    path: Path
    direction: str
    max_abs_diff: float
    check_size: tuple[int, int]
    info: GeneratorInfo
    opset: int = OPSET


def export_onnx(translator_or_path: Translator | Path, out: Path, *,
                direction: str = "AtoB") -> ExportResult:
    """Write the ``direction`` generator to ``out`` as ONNX and compare the runtimes.

    Args:
        translator_or_path: a loaded PyTorch translator, or any path
            ``open_translator`` accepts (loaded on the CPU).
        out: the .onnx file to write (replaced atomically; parents created).
        direction: which generator of a CycleGAN model.

    Raises:
        TranslateError: the model is already ONNX, the direction is unknown, or the
            export or its check failed.
    """
    translator = (translator_or_path if isinstance(translator_or_path, Translator)
                  else open_translator(Path(translator_or_path), device="cpu"))
    info = translator.info
    runner = translator.runners.get(direction)
    if direction not in info.directions or runner is None:
        raise TranslateError(f"this model translates {' or '.join(info.directions)}, "
                             f"not {direction}")
    if not isinstance(runner, TorchGenerator):
        raise TranslateError(f"{info.path.name} is already an ONNX model; export from the "
                             f"run, checkpoint or .pth it came from")
    net = runner.net if runner.device.type == "cpu" else copy.deepcopy(runner.net).cpu()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    in_nc = info.input_nc if direction == "AtoB" else info.output_nc
    _write_onnx(net.eval(), out, in_nc, info.multiple, info_to_metadata(info, direction))
    size = _check_size(info.multiple)
    diff = _compare(net, out, in_nc, size)
    return ExportResult(path=out, direction=direction, max_abs_diff=diff, check_size=size,
                        info=info)


def _write_onnx(net: torch.nn.Module, out: Path, in_nc: int, multiple: int,
                metadata: dict[str, str]) -> None:
    import onnx

    side = max(multiple, 64 // multiple * multiple)
    example = torch.zeros(1, in_nc, side, side)
    axes = {0: "batch", 2: "height", 3: "width"}
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".onnx", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(net, (example,), str(tmp), dynamo=False, opset_version=OPSET,
                              input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                              dynamic_axes={INPUT_NAME: axes, OUTPUT_NAME: axes})
        model = onnx.load(str(tmp))
        for key, value in metadata.items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(model, str(tmp))
        os.replace(tmp, out)
    except Exception as exc:
        raise TranslateError(f"ONNX export to {out} failed: "
                             f"{str(exc).strip().splitlines()[0][:300]}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _check_size(multiple: int) -> tuple[int, int]:
    """A small non-square size, different from the traced one in width."""
    side = max(multiple, 64 // multiple * multiple)
    return side, side + multiple


def _compare(net: torch.nn.Module, out: Path, in_nc: int, size: tuple[int, int]) -> float:
    gen = torch.Generator().manual_seed(_CHECK_SEED)
    x = torch.rand(1, in_nc, *size, generator=gen) * 2 - 1  # (1, C, H, W) in [-1, 1)
    with torch.inference_mode():
        expected = net(x).float().numpy()
    got = OnnxGenerator(out, "cpu")(x.numpy())
    if got.shape != expected.shape:
        raise TranslateError(f"ONNX Runtime returned shape {got.shape}, PyTorch "
                             f"{expected.shape}; the export is not usable")
    return float(np.abs(got - expected).max())
