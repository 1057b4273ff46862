"""describe_config's memory estimate: exact parameter terms, plausible activations."""

from __future__ import annotations

import pytest
import torch

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.describe import (
    _build,
    describe_config,
    estimate_training_memory,
    training_memory_breakdown,
)
from nectar_gui.core.presets import load_preset

_SMALL = {"data.load_size": 36, "data.crop_size": 32, "model.ngf": 8, "model.ndf": 8}
_DEPTH = {"pix2pix": {"model.unet_downs": 5}, "cyclegan": {"model.resnet_blocks": 2}}


def _small(kind: str, **overrides: object) -> NectarConfig:
    return load_preset(kind).with_overrides({**_SMALL, **_DEPTH[kind], **overrides})


@pytest.mark.parametrize("preset", ["cyclegan", "pix2pix"])
def test_parameter_terms_are_16_bytes_per_parameter(preset: str) -> None:
    config = load_preset(preset)
    info = describe_config(config)
    parts = info["memory"]
    params = info["total_parameters"]
    assert (parts["weights"], parts["gradients"], parts["adam_state"]) == (
        4 * params, 4 * params, 8 * params)
    assert parts["total"] == sum(v for k, v in parts.items() if k != "total")
    assert estimate_training_memory(config) == parts["total"]


def test_activations_scale_with_batch_and_precision() -> None:
    base = training_memory_breakdown(_small("cyclegan"))
    batch4 = training_memory_breakdown(_small("cyclegan", **{"optim.batch_size": 4}))
    mixed = training_memory_breakdown(_small("cyclegan", **{"runtime.precision": "bf16-mixed"}))
    no_idt = training_memory_breakdown(_small("cyclegan", **{"loss.lambda_identity": 0.0}))
    assert batch4["activations"] == 4 * base["activations"]
    assert batch4["weights"] == base["weights"]
    assert 2 * mixed["activations"] == base["activations"]
    assert no_idt["activations"] < base["activations"]


def test_cyclegan_256_is_a_few_gigabytes() -> None:
    # The reference CycleGAN trains at 256 px, batch 1, on 4 GB cards.
    total = estimate_training_memory(load_preset("cyclegan"))
    assert 1.5 * 2**30 < total < 6 * 2**30


@pytest.mark.parametrize("kind", ["pix2pix", "cyclegan"])
def test_activations_match_saved_tensors_roughly(kind: str) -> None:
    """The estimate is within 2× of the tensors autograd really saves at the peak."""
    config = _small(kind)
    saved: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        saved[storage.data_ptr()] = storage.nbytes()
        return t

    torch.manual_seed(0)
    a, b = torch.randn(1, 3, 32, 32), torch.randn(1, 3, 32, 32)
    nets = {name: _build(config, role, cin, cout) for name, (role, cin, cout) in {
        "G": ("generator", 3, 3), "F": ("generator", 3, 3),
        "D": ("discriminator", 6 if kind == "pix2pix" else 3, 1),
        "E": ("discriminator", 3, 1)}.items()}
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        if kind == "pix2pix":  # peak: G's graph and D on a detached fake and a real pair
            fake = nets["G"](a)
            nets["D"](torch.cat([a, fake.detach()], 1))
            nets["D"](torch.cat([a, b], 1))
        else:  # peak: the generator step with identity loss
            fake_b, fake_a = nets["G"](a), nets["F"](b)
            nets["F"](fake_b), nets["G"](fake_a), nets["G"](b), nets["F"](a)
            nets["E"](fake_b), nets["D"](fake_a)
    weights = {p.untyped_storage().data_ptr() for n in nets.values() for p in n.parameters()}
    real = sum(n for ptr, n in saved.items() if ptr not in weights)
    estimate = training_memory_breakdown(config)["activations"]
    assert 0.5 * real < estimate < 2 * real


def test_no_memory_when_the_crop_is_too_small_for_d() -> None:
    config = load_preset("cyclegan").with_overrides(
        {"data.crop_size": 8, "data.load_size": 8})
    info = describe_config(config)
    assert info["discriminator"]["output_grid"] == [0, 0]
    assert info["memory"] is None
