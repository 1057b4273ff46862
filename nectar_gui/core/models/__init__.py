"""Generator and discriminator networks, built by name through the registry."""

from nectar_gui.core.models.discriminators import PatchDiscriminator, PixelDiscriminator
from nectar_gui.core.models.generators import ResnetGenerator, UnetGenerator
from nectar_gui.core.models.norms import NORM_CHOICES
from nectar_gui.core.models.registry import (
    DISCRIMINATOR_CHOICES,
    GENERATOR_CHOICES,
    build_discriminator,
    build_generator,
    count_parameters,
    init_weights,
)

__all__ = [
    "DISCRIMINATOR_CHOICES",
    "GENERATOR_CHOICES",
    "NORM_CHOICES",
    "PatchDiscriminator",
    "PixelDiscriminator",
    "ResnetGenerator",
    "UnetGenerator",
    "build_discriminator",
    "build_generator",
    "count_parameters",
    "init_weights",
]
