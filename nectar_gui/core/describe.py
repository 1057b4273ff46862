"""What a config builds: networks, parameter counts, D's receptive field and grid.

Networks are built on the ``meta`` device, so describing even the 54 M-parameter
U-Net allocates no weights and takes milliseconds.
"""

from __future__ import annotations

from typing import Any

import torch

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.models import build_discriminator, build_generator, count_parameters
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
            g = build_generator(arch=m.generator, input_nc=cin, output_nc=cout, ngf=m.ngf,
                                norm=m.norm, dropout=m.dropout, n_blocks=m.resnet_blocks,
                                n_downs=m.unet_downs)
            networks[name] = {"role": "generator", "description": _generator_label(config),
                              "parameters": count_parameters(g)}
        for name, cin in discs.items():
            d = build_discriminator(arch=m.discriminator, input_nc=cin, ndf=m.ndf,
                                    n_layers=m.d_layers, norm=m.norm)
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
