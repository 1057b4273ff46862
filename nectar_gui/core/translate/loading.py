"""Open any model a user may point at, and list the runs of a workspace.

``open_translator`` accepts our run folders (the checkpoint ``BEST`` names, else the
newest, or a chosen step), one checkpoint folder, a generator saved by the reference
pytorch-CycleGAN-and-pix2pix code
(``*.pth``, or the same state dict as ``.safetensors``), and ONNX files exported by
:mod:`.export`. Every failure is a :class:`TranslateError` worded for the user.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import safetensors.torch
import torch
from torch import nn

from nectar_gui.core.checkpoints import (
    Checkpoint,
    CheckpointError,
    latest_checkpoint,
    load_checkpoint,
)
from nectar_gui.core.config import ConfigError, ModelSection, NectarConfig, parse_config
from nectar_gui.core.evaluation.best import best_note, read_best
from nectar_gui.core.models import count_parameters
from nectar_gui.core.models.from_config import generator_for
from nectar_gui.core.rundir import RunPaths, RunReader, complete_checkpoints
from nectar_gui.core.runtime import DeviceError, resolve_device
from nectar_gui.core.translate.info import GeneratorInfo, RunCheckpoints, TranslateError
from nectar_gui.core.translate.reference import (
    GeneratorArch,
    infer_architecture,
    load_into,
    load_reference_generator,
)
from nectar_gui.core.translate.translator import TorchGenerator, Translator

__all__ = ["Translator", "list_workspace_runs", "open_translator", "resolve_model_path"]

# Which checkpoint network translates in which direction (G_A maps A→B in CycleGAN).
_NETWORKS = {"pix2pix": {"AtoB": "G"}, "cyclegan": {"AtoB": "G_A", "BtoA": "G_B"}}


def open_translator(path: Path, *, device: str = "auto", step: int | None = None) -> Translator:
    """Load a generator from ``path`` for translation.

    Args:
        path: a run folder, a checkpoint folder, a reference ``.pth`` (or
            ``.safetensors``) generator, or an ``.onnx`` file exported by Nectar.
        device: "auto" (CUDA, then MPS, then CPU), "cpu", "cuda" or "mps".
        step: for a run folder, the checkpoint step to load (default: the one
            ``checkpoints/BEST`` names, else the latest).

    Raises:
        TranslateError: the path, the step or the device cannot be used; the message
            says why.
    """
    path = Path(path)
    if not path.exists():
        raise TranslateError(f"{path} does not exist")
    if path.is_file() and path.suffix.lower() == ".onnx":
        from nectar_gui.core.translate.onnx_model import open_onnx

        return open_onnx(path, device=device)
    target = _device(device)
    if path.is_file():
        return _open_weights_file(path, target)
    return _open_checkpoint(resolve_model_path(path, step), target)


def resolve_model_path(path: Path, step: int | None = None) -> Path:
    """The checkpoint folder a folder stands for (a run, its checkpoints/, or itself)."""
    path = Path(path)
    if path.name == "checkpoints" and RunReader.is_run_dir(path.parent):
        path = path.parent
    if RunReader.is_run_dir(path):
        return _run_checkpoint(path, step)
    if (path / "meta.json").is_file():
        if step is not None:
            raise TranslateError(f"{path} is one checkpoint; a step can only be chosen "
                                 f"for a run folder")
        return path
    raise TranslateError(f"{path} is neither a run folder (with config.json) nor a "
                         f"checkpoint folder (with meta.json)")


def _run_checkpoint(run: Path, step: int | None) -> Path:
    folder = RunPaths(run).checkpoints
    if step is None:
        best = read_best(folder)  # the run's best checkpoint, when one was chosen
        if best is not None:
            return folder / f"{best.step:08d}"
        latest = latest_checkpoint(folder)
        if latest is None:
            raise TranslateError(f"The run {run.name} has no checkpoint yet; train it "
                                 f"until one is saved")
        return latest
    steps = {int(p.name): p for p in complete_checkpoints(folder)}
    if step not in steps:
        have = ", ".join(map(str, sorted(steps))) or "none"
        raise TranslateError(f"The run {run.name} has no checkpoint at step {step} "
                             f"(checkpoints: {have})")
    return steps[step]


def _device(choice: str) -> torch.device:
    try:
        return resolve_device(choice)
    except (DeviceError, RuntimeError, ValueError) as exc:
        raise TranslateError(str(exc).replace("runtime.device", "device")) from None


# ---- reference files -----------------------------------------------------------------------
def _open_weights_file(path: Path, device: torch.device) -> Translator:
    if path.suffix.lower() == ".safetensors":
        net, arch, params = _load_safetensors_generator(path)
    else:
        net, arch, params = load_reference_generator(path)
    info = GeneratorInfo(source="reference-pth", path=path, arch=arch.arch,
                         summary=arch.describe(), parameters=params, input_nc=arch.input_nc,
                         output_nc=arch.output_nc, directions=("AtoB",), step=None,
                         multiple=arch.multiple, norm=arch.norm, ngf=arch.ngf,
                         depth=arch.depth)
    return Translator(info, {"AtoB": TorchGenerator(net, device)})


def _load_safetensors_generator(path: Path) -> tuple[nn.Module, GeneratorArch, int]:
    try:
        state = safetensors.torch.load_file(path, device="cpu")
    except Exception as exc:  # safetensors raises its own error types
        raise TranslateError(f"{path.name} is not a readable safetensors file ({exc})") from None
    arch = infer_architecture(state, path.name)
    net = load_into(arch, state, path.name)
    return net, arch, count_parameters(net)


# ---- our checkpoints ------------------------------------------------------------------------
def _open_checkpoint(folder: Path, device: torch.device) -> Translator:
    ckpt, config = read_checkpoint(folder)
    runners = {}
    for direction, name in _NETWORKS[config.model.kind].items():
        net = load_network(generator_for_direction(config.model, direction), ckpt, name)
        runners[direction] = TorchGenerator(net, device)
    info = _checkpoint_info(folder, ckpt.step, config, runners["AtoB"].net)
    return Translator(info, dict(runners))


def read_checkpoint(folder: Path) -> tuple[Checkpoint, NectarConfig]:
    """A checkpoint folder and the config it was trained with (TranslateError if unusable).

    Translate, Evaluate and Ask D all open checkpoints this way, so they refuse the same
    files with the same words.
    """
    try:
        ckpt = load_checkpoint(folder)
    except CheckpointError as exc:
        raise TranslateError(str(exc)) from None
    return ckpt, checkpoint_config(folder, ckpt.meta)


def load_network(net: nn.Module, ckpt: Checkpoint, name: str) -> nn.Module:
    """``net`` with the checkpoint's weights for network ``name`` (strict; TranslateError)."""
    try:
        net.load_state_dict(ckpt.weights[name], strict=True)
    except (KeyError, RuntimeError) as exc:
        raise TranslateError(f"Checkpoint {ckpt.path} has no usable weights for {name} "
                             f"({str(exc).splitlines()[0][:200]})") from None
    return net


def checkpoint_config(folder: Path, meta: dict[str, Any]) -> NectarConfig:
    """The config saved in the checkpoint, else the run's config.json (TranslateError)."""
    data = meta.get("config")
    if not isinstance(data, dict):
        config_file = RunPaths(folder.parent.parent).config
        try:
            data = json.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise TranslateError(f"Checkpoint {folder} does not say which networks it "
                                 f"holds (no config in meta.json, no run config.json)") from None
    try:
        return parse_config(data)
    except ConfigError as exc:
        raise TranslateError(f"The config of checkpoint {folder} is invalid: "
                             f"{str(exc).splitlines()[0]}") from None


def generator_for_direction(m: ModelSection, direction: str) -> nn.Module:
    """The generator for "AtoB" (input_nc → output_nc) or "BtoA" (the other way)."""
    in_nc, out_nc = (m.input_nc, m.output_nc) if direction == "AtoB" else (m.output_nc,
                                                                           m.input_nc)
    return generator_for(m, input_nc=in_nc, output_nc=out_nc).eval()


def _checkpoint_info(folder: Path, step: int, config: NectarConfig, net: nn.Module
                     ) -> GeneratorInfo:
    m = config.model
    depth = m.resnet_blocks if m.generator == "resnet" else m.unet_downs
    arch = GeneratorArch(arch=m.generator, input_nc=m.input_nc, output_nc=m.output_nc,
                         ngf=m.ngf, norm=m.norm, depth=depth, dropout=m.dropout)
    kind = "CycleGAN" if m.kind == "cyclegan" else "pix2pix"
    summary = f"{kind}: {arch.describe()}"
    if m.kind == "pix2pix" and config.data.direction == "BtoA":
        summary += " (trained on its dataset's B → A)"
    summary += best_note(folder)
    run = folder.parent.parent
    return GeneratorInfo(source="nectar-checkpoint", path=folder, arch=m.generator,
                         summary=summary, parameters=count_parameters(net),
                         input_nc=m.input_nc, output_nc=m.output_nc,
                         directions=tuple(_NETWORKS[m.kind]), step=step,
                         multiple=arch.multiple,
                         run_name=run.name if RunReader.is_run_dir(run) else None,
                         norm=m.norm, ngf=m.ngf, depth=depth)


# ---- the workspace --------------------------------------------------------------------------
def list_workspace_runs(workspace: Path) -> list[RunCheckpoints]:
    """Runs under ``workspace/runs/`` that have at least one checkpoint, by name.

    Folders that are not runs, have unreadable configs or no complete checkpoint are
    skipped silently: the picker shows what can be opened.
    """
    root = Path(workspace) / "runs"
    try:
        folders = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return []
    found = []
    for folder in folders:
        run = _run_entry(folder)
        if run is not None:
            found.append(run)
    return found


def _run_entry(folder: Path) -> RunCheckpoints | None:
    try:
        config = json.loads(RunPaths(folder).config.read_text(encoding="utf-8"))
        kind = config["model"]["kind"]
        steps = tuple(int(p.name) for p in complete_checkpoints(RunPaths(folder).checkpoints))
        latest = latest_checkpoint(RunPaths(folder).checkpoints)
        best = read_best(RunPaths(folder).checkpoints)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if kind not in _NETWORKS or not steps:
        return None
    return RunCheckpoints(run_dir=folder, name=folder.name, model=kind, steps=steps,
                          latest=int(latest.name) if latest is not None else steps[-1],
                          best=best.step if best is not None else None)
