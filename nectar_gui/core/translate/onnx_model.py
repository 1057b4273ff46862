"""ONNX files exported by Nectar, run with ONNX Runtime.

An exported file holds one generator and, in its metadata, the ``GeneratorInfo`` of the
model it came from (key ``nectar.generator_info``) and the direction it translates
(``nectar.direction``). That is what lets :func:`open_onnx` say what the file is and
prepare images for it exactly as for the PyTorch model.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from nectar_gui.core.translate.info import GeneratorInfo, TranslateError
from nectar_gui.core.translate.translator import Translator

INFO_KEY = "nectar.generator_info"
DIRECTION_KEY = "nectar.direction"
INPUT_NAME = "image"
OUTPUT_NAME = "translated"


def onnxruntime_module() -> Any:
    """Import onnxruntime, or say how to get it."""
    try:
        import onnxruntime
    except ImportError:
        raise TranslateError("ONNX support needs the onnxruntime package: "
                             "pip install onnxruntime") from None
    return onnxruntime


class OnnxGenerator:
    """An ONNX Runtime session as a ``RunTile``.

    Args:
        path: the .onnx file.
        device: "cuda" uses the CUDA provider when this onnxruntime has it; anything
            else runs on the CPU.
    """

    def __init__(self, path: Path, device: str = "cpu") -> None:
        ort = onnxruntime_module()
        providers = ["CPUExecutionProvider"]
        if device in ("auto", "cuda") and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        try:
            self.session = ort.InferenceSession(str(path), providers=providers)
        except Exception as exc:  # onnxruntime raises its own exception types
            raise TranslateError(f"{path.name} is not an ONNX model ONNX Runtime can load "
                                 f"({str(exc).strip().splitlines()[0][:200]})") from None
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """(1, C_in, h, w) float32 in [-1, 1] → (1, C_out, h, w) float32."""
        feed = {self.input_name: np.ascontiguousarray(batch, dtype=np.float32)}
        return np.asarray(self.session.run(None, feed)[0], dtype=np.float32)

    def metadata(self) -> dict[str, str]:
        """The file's custom metadata (empty when it has none)."""
        return dict(self.session.get_modelmeta().custom_metadata_map)


def info_to_metadata(info: GeneratorInfo, direction: str) -> dict[str, str]:
    """What :func:`open_onnx` needs to rebuild the info, as ONNX metadata strings."""
    fields = dataclasses.asdict(info)
    fields["path"] = str(info.path)
    fields["directions"] = list(info.directions)
    return {INFO_KEY: json.dumps(fields), DIRECTION_KEY: direction}


def open_onnx(path: Path, *, device: str = "auto") -> Translator:
    """Open an ONNX file exported by Nectar.

    Raises:
        TranslateError: onnxruntime is missing, the file does not load, or it carries no
            Nectar metadata (so its channels and size rules are unknown).
    """
    runner = OnnxGenerator(path, device)
    meta = runner.metadata()
    direction = meta.get(DIRECTION_KEY, "AtoB")
    try:
        fields = json.loads(meta[INFO_KEY])
        source = GeneratorInfo(**{**fields, "path": Path(fields["path"]),
                                  "directions": tuple(fields["directions"])})
    except (KeyError, TypeError, ValueError):
        raise TranslateError(f"{path.name} was not exported by Nectar (its metadata does not "
                             f"say what the model expects); export it with `nectar export`"
                             ) from None
    origin = source.run_name or source.path.name
    info = dataclasses.replace(
        source, source="onnx", path=path, directions=(direction,),
        summary=f"{source.summary} (ONNX, {direction}, exported from {origin})")
    return Translator(info, {direction: runner})
