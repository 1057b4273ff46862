"""PatchGAN geometries for tests that must not import torch (UI tests).

``tests/core/test_patch_flagging.py`` checks that these equal the fields walked from the
real discriminators, which ``tests/core/test_receptive_field.py`` checks against gradients.
"""

from __future__ import annotations

from nectar_gui.core.geometry import ReceptiveField


def patchgan_layers(n_layers: int) -> list[tuple[int, int, int]]:
    """(kernel, stride, padding) of the PatchGAN's convs: n_layers with stride 2, then 2."""
    return [(4, 2, 1)] * n_layers + [(4, 1, 1)] * 2


def patchgan_field(n_layers: int) -> ReceptiveField:
    """The receptive field of a PatchGAN with ``n_layers`` stride-2 convs."""
    return ReceptiveField.from_layers(patchgan_layers(n_layers))
