"""Networks as a run's config describes them: the one place a ModelSection becomes modules.

Training, "what this builds", translation and "Ask D" all rebuild the same networks;
keeping the config → constructor mapping here means a new model setting is wired once.
"""

from __future__ import annotations

from torch import nn

from nectar_gui.core.config import ModelSection
from nectar_gui.core.models.registry import build_discriminator, build_generator


def generator_for(model: ModelSection, *, input_nc: int, output_nc: int) -> nn.Module:
    """The generator ``model`` describes, mapping ``input_nc`` to ``output_nc`` channels."""
    return build_generator(arch=model.generator, input_nc=input_nc, output_nc=output_nc,
                           ngf=model.ngf, norm=model.norm, dropout=model.dropout,
                           n_blocks=model.resnet_blocks, n_downs=model.unet_downs)


def discriminator_for(model: ModelSection, *, input_nc: int) -> nn.Module:
    """The discriminator ``model`` describes, judging ``input_nc``-channel inputs."""
    return build_discriminator(arch=model.discriminator, input_nc=input_nc, ndf=model.ndf,
                               n_layers=model.d_layers, norm=model.norm)
