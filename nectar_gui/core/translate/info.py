"""What a loaded generator is, and the runs a user can pick one from. No torch.

The Translate tab imports this module directly, so it must stay free of torch and Qt:
it describes a generator with plain values the UI can show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

GeneratorSource = Literal["nectar-checkpoint", "reference-pth", "onnx"]
DIRECTIONS: tuple[str, ...] = ("AtoB", "BtoA")


class TranslateError(ValueError):
    """A problem with a model or image file, worded for the user (no traceback needed)."""


class TranslationCancelled(Exception):
    """Raised between tiles when the caller's ``cancelled()`` returned True."""


@dataclass(frozen=True)
class GeneratorInfo:
    """What was loaded: enough to show the user and to prepare images for it.

    Attributes:
        source: ``"nectar-checkpoint"``, ``"reference-pth"`` or ``"onnx"``.
        path: the file or checkpoint folder that was loaded.
        arch: ``"resnet"`` or ``"unet"``.
        summary: one line for people, e.g. "ResNet generator, 9 residual blocks, ngf 64,
            instance norm".
        parameters: number of weights, when known.
        input_nc: channels of domain A: what the A→B generator takes (1 or 3, sometimes
            4). B→A swaps the two counts.
        output_nc: channels of domain B: what the A→B generator produces.
        directions: ``("AtoB",)`` for pix2pix or a single generator; ``("AtoB", "BtoA")``
            for a CycleGAN run; an ONNX file holds the one direction it was exported in.
        step: training steps, when known.
        multiple: image sides are padded to a multiple of this (U-Net ``2**downs``,
            ResNet 4).
        run_name: the run folder's name, for checkpoints of our own runs.
        norm: ``"instance"``, ``"batch"`` or ``"none"``, when known.
        ngf: generator width, when known.
        depth: residual blocks (ResNet) or downsamplings (U-Net), when known.
    """

    source: str
    path: Path
    arch: str
    summary: str
    parameters: int | None
    input_nc: int
    output_nc: int
    directions: tuple[str, ...]
    step: int | None
    multiple: int
    run_name: str | None = None
    norm: str | None = None
    ngf: int | None = None
    depth: int | None = None


@dataclass(frozen=True)
class RunCheckpoints:
    """One run folder in the workspace, for the model picker.

    Attributes:
        run_dir: the run folder (holds ``config.json`` and ``checkpoints/``).
        name: the folder's name.
        model: ``"pix2pix"`` or ``"cyclegan"``.
        steps: steps of the complete checkpoints, oldest first.
        latest: the step named by ``checkpoints/LATEST`` (or the newest), None when none.
        best: the step named by ``checkpoints/BEST`` (what opening the run loads), or None.
    """

    run_dir: Path
    name: str
    model: str
    steps: tuple[int, ...]
    latest: int | None
    best: int | None = None
