"""What a config builds: networks, parameter counts, D's receptive field and grid.

Networks are built on the ``meta`` device, so describing even the 54 M-parameter
U-Net allocates no weights and takes milliseconds.
"""

from __future__ import annotations

from typing import Any

import torch

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.models import count_parameters
from nectar_gui.core.models.from_config import discriminator_for, generator_for
from nectar_gui.core.receptive_field import receptive_field


def _generator_label(config: NectarConfig) -> str:
    m = config.model
    if m.generator == "resnet":
        return f"ResNet generator, {m.resnet_blocks} blocks"
    return f"U-Net generator, {m.unet_downs} downsamplings ({2 ** m.unet_downs} px)"


def _discriminator_label(config: NectarConfig, input_nc: int) -> str:
    m = config.model
    if m.discriminator == "pixel":
        return f"PixelGAN discriminator (1×1), {input_nc} input channels"
    return f"PatchGAN discriminator, n_layers {m.d_layers}, {input_nc} input channels"


def describe_config(config: NectarConfig) -> dict[str, Any]:
    """A JSON-ready summary: each network's parameters and D's geometry at the crop size."""
    m = config.model
    if m.kind == "pix2pix":
        gens = {"G": (m.input_nc, m.output_nc)}
        discs = {"D": m.input_nc + m.output_nc}
    else:
        gens = {"G_A": (m.input_nc, m.output_nc), "G_B": (m.output_nc, m.input_nc)}
        discs = {"D_A": m.input_nc, "D_B": m.output_nc}
    networks: dict[str, Any] = {}
    rf = None
    with torch.device("meta"):
        for name, (cin, cout) in gens.items():
            g = generator_for(m, input_nc=cin, output_nc=cout)
            networks[name] = {"role": "generator", "description": _generator_label(config),
                              "parameters": count_parameters(g)}
        for name, cin in discs.items():
            d = discriminator_for(m, input_nc=cin)
            networks[name] = {"role": "discriminator",
                              "description": _discriminator_label(config, cin),
                              "parameters": count_parameters(d)}
            rf = receptive_field(d)
    assert rf is not None
    crop = config.data.crop_size
    grid = rf.output_size(crop)
    return {
        "kind": m.kind,
        "norm": m.norm,
        "networks": networks,
        "total_parameters": sum(n["parameters"] for n in networks.values()),
        "discriminator": {"receptive_field": rf.size, "jump": rf.jump, "start": rf.start,
                          "crop_size": crop, "output_grid": [grid, grid]},
        # Rough; None when the crop is too small for D to produce any output cell.
        "memory": training_memory_breakdown(config) if grid > 0 else None,
    }


def format_description(info: dict[str, Any]) -> str:
    """Human-readable lines for the terminal."""
    lines = [f"{info['kind']} (norm: {info['norm']})"]
    for name, net in info["networks"].items():
        lines.append(f"  {name:<4} {net['description']}: {net['parameters']:,} parameters")
    lines.append(f"  total: {info['total_parameters']:,} parameters")
    d = info["discriminator"]
    lines.append(f"  D receptive field {d['receptive_field']}×{d['receptive_field']} px, "
                 f"jump {d['jump']} px, {d['output_grid'][0]}×{d['output_grid'][1]} patch "
                 f"grid at {d['crop_size']}×{d['crop_size']}")
    return "\n".join(lines)


# ---- training memory (rough) ---------------------------------------------------------
# Bytes per parameter, all fp32: the weight, its gradient, Adam's exp_avg and exp_avg_sq.
_WEIGHT_BYTES, _GRADIENT_BYTES, _ADAM_BYTES = 4, 4, 8


def _network_inputs(config: NectarConfig) -> dict[str, tuple[str, int, int]]:
    """Each network's (role, input channels, output channels), named as the trainers do."""
    m = config.model
    if m.kind == "pix2pix":
        return {"G": ("generator", m.input_nc, m.output_nc),
                "D": ("discriminator", m.input_nc + m.output_nc, 1)}
    return {"G_A": ("generator", m.input_nc, m.output_nc),
            "G_B": ("generator", m.output_nc, m.input_nc),
            "D_A": ("discriminator", m.input_nc, 1),
            "D_B": ("discriminator", m.output_nc, 1)}


def _build(config: NectarConfig, role: str, cin: int, cout: int) -> torch.nn.Module:
    if role == "generator":
        return generator_for(config.model, input_nc=cin, output_nc=cout)
    return discriminator_for(config.model, input_nc=cin)


def _leaf_output_values(net: torch.nn.Module, x: torch.Tensor) -> int:
    """Values produced by the leaf layers in one forward pass (shapes only, on meta)."""
    counts: list[int] = []

    def hook(_module: torch.nn.Module, _inputs: Any, output: Any) -> None:
        if isinstance(output, torch.Tensor):
            counts.append(output.numel())

    leaves = [mod for mod in net.modules() if next(mod.children(), None) is None]
    handles = [mod.register_forward_hook(hook) for mod in leaves]
    try:
        net(x)
    finally:
        for handle in handles:
            handle.remove()
    return sum(counts)


def _peak_passes(config: NectarConfig) -> list[dict[str, int]]:
    """Forward passes whose graphs are alive together, per phase of a training step.

    Follows the trainers: pix2pix keeps G's graph through its D step (two D passes);
    CycleGAN's G step holds four generator passes (six with the identity loss) and one
    pass of each D, and its D step two passes of each D.
    """
    if config.model.kind == "pix2pix":
        return [{"G": 1, "D": 2}, {"G": 1, "D": 1}]
    g = 3 if config.loss.lambda_identity > 0 else 2
    return [{"G_A": g, "G_B": g, "D_A": 1, "D_B": 1}, {"D_A": 2, "D_B": 2}]


def training_memory_breakdown(config: NectarConfig) -> dict[str, int]:
    """Rough bytes one device needs to train ``config``, split by what holds them.

    An estimate for choosing crop and batch sizes, not a measurement (expect ±50 %).
    Assumptions:

    - Weights, gradients and both Adam moments are fp32: 16 bytes per parameter, under
      mixed precision too (the optimiser keeps fp32 master weights).
    - Every leaf layer's output is kept for the backward pass, 4 bytes per value in fp32
      and 2 under mixed precision. In-place ReLUs are counted too, so this leans high.
    - The graphs alive at the peak of a step follow the trainers (see ``_peak_passes``);
      activations scale linearly with the batch size.
    - Not counted: the CUDA context and allocator slack (a few hundred MB), cuDNN
      workspaces, autocast's weight copies, the image pools and data loading.

    Returns:
        ``weights``, ``gradients``, ``adam_state``, ``activations`` and ``total``, in bytes.
    """
    crop, batch = config.data.crop_size, config.optim.batch_size
    act_bytes = 2 if config.runtime.precision in ("bf16-mixed", "fp16-mixed") else 4
    parameters, per_pass = 0, {}
    with torch.device("meta"):
        for name, (role, cin, cout) in _network_inputs(config).items():
            net = _build(config, role, cin, cout)
            parameters += count_parameters(net)
            per_pass[name] = _leaf_output_values(net, torch.empty(1, cin, crop, crop))
    peak_values = max(sum(n * per_pass[name] for name, n in phase.items())
                      for phase in _peak_passes(config))
    parts = {"weights": _WEIGHT_BYTES * parameters, "gradients": _GRADIENT_BYTES * parameters,
             "adam_state": _ADAM_BYTES * parameters,
             "activations": peak_values * batch * act_bytes}
    return {**parts, "total": sum(parts.values())}


def estimate_training_memory(config: NectarConfig) -> int:
    """Rough bytes one device needs to train ``config``; see ``training_memory_breakdown``."""
    return training_memory_breakdown(config)["total"]
