"""Reference generators load without flags and translate exactly like the module itself;
images of any size and mode come back at their own size."""

from __future__ import annotations

import pickle
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from nectar_gui.core.data.images import to_uint8
from nectar_gui.core.models import build_discriminator, build_generator
from nectar_gui.core.translate.info import TranslateError
from nectar_gui.core.translate.loading import open_translator

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


# ---- helpers -------------------------------------------------------------------------------
def random_generator(seed: int = 0, **kwargs: Any) -> nn.Module:
    """A generator with random weights and batch-norm statistics, as a trained one has."""
    torch.manual_seed(seed)
    net = build_generator(**{"dropout": False, **kwargs})
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0.0, 0.1)
        for name, buf in net.named_buffers():
            if name.endswith("running_mean"):
                buf.normal_(0.0, 0.2)
            elif name.endswith("running_var"):
                buf.uniform_(0.5, 1.5)
    return net.eval()


def save_reference(net: nn.Module, path: Path, *, state: dict[str, torch.Tensor] | None = None
                   ) -> Path:
    """Save as the reference code does: ``torch.save(net.state_dict(), path)``."""
    torch.save(net.state_dict() if state is None else state, path)
    return path


def direct_output(net: nn.Module, image: np.ndarray) -> np.ndarray:
    """The module's own eval output on a uint8 HWC image, as uint8 HWC."""
    x = torch.from_numpy(image.transpose(2, 0, 1).copy()).float()[None] / 127.5 - 1.0
    with torch.no_grad():
        return to_uint8(net(x)[0])


def noise_image(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels), np.uint8)


# ---- reference layouts -----------------------------------------------------------------------
LAYOUTS = [
    (dict(arch="resnet", n_blocks=6, ngf=8, norm="instance", input_nc=3, output_nc=3), 6, 32),
    (dict(arch="resnet", n_blocks=9, ngf=4, norm="batch", input_nc=3, output_nc=3), 9, 32),
    (dict(arch="resnet", n_blocks=9, ngf=6, norm="instance", input_nc=1, output_nc=3), 9, 32),
    (dict(arch="unet", n_downs=7, ngf=8, norm="batch", input_nc=3, output_nc=3), 7, 128),
    (dict(arch="unet", n_downs=7, ngf=4, norm="instance", input_nc=3, output_nc=1), 7, 128),
    (dict(arch="unet", n_downs=8, ngf=4, norm="batch", input_nc=3, output_nc=3), 8, 256),
    (dict(arch="unet", n_downs=8, ngf=2, norm="instance", input_nc=3, output_nc=3), 8, 256),
]


@pytest.mark.parametrize(("kwargs", "depth", "side"), LAYOUTS,
                         ids=lambda v: "-".join(map(str, v.values())) if isinstance(v, dict)
                         else str(v))
def test_reference_generator_loads_without_flags_and_matches_the_module(
        tmp_path: Path, kwargs: dict[str, Any], depth: int, side: int) -> None:
    net = random_generator(**kwargs)
    path = save_reference(net, tmp_path / "latest_net_G.pth")

    translator = open_translator(path, device="cpu")

    info = translator.info
    assert (info.source, info.arch, info.depth, info.ngf, info.norm) == (
        "reference-pth", kwargs["arch"], depth, kwargs["ngf"], kwargs["norm"])
    assert (info.input_nc, info.output_nc, info.directions) == (
        kwargs["input_nc"], kwargs["output_nc"], ("AtoB",))
    assert info.parameters == sum(p.numel() for p in net.parameters())
    assert info.multiple == (2 ** depth if kwargs["arch"] == "unet" else 4)
    image = noise_image(side, side * 2 if kwargs["arch"] == "resnet" else side,
                        kwargs["input_nc"])
    expected = direct_output(net, image)
    got = translator.translate(image)
    assert got.shape == expected.shape
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1  # float rounding only
    assert np.mean(got == expected) > 0.99


def test_old_instance_norm_statistics_are_dropped(tmp_path: Path) -> None:
    net = random_generator(arch="resnet", n_blocks=2, ngf=8, norm="instance", input_nc=3,
                           output_nc=3)
    state = OrderedDict(net.state_dict())
    for index in (2, 5, 8):  # the stem and downsampling norms, as PyTorch 0.3 saved them
        state[f"model.{index}.running_mean"] = torch.zeros(8 * 2 ** (index // 3))
        state[f"model.{index}.running_var"] = torch.ones(8 * 2 ** (index // 3))
    path = save_reference(net, tmp_path / "old_net_G_A.pth", state=state)

    translator = open_translator(path, device="cpu")

    assert translator.info.norm == "instance"
    image = noise_image(32, 40)
    assert np.array_equal(translator.translate(image), direct_output(net, image))


def test_data_parallel_prefix_is_accepted(tmp_path: Path) -> None:
    net = random_generator(arch="unet", n_downs=5, ngf=4, norm="batch", input_nc=3, output_nc=3)
    state = {f"module.{k}": v for k, v in net.state_dict().items()}
    path = save_reference(net, tmp_path / "net_G.pth", state=state)

    translator = open_translator(path, device="cpu")

    image = noise_image(64, 96)
    assert translator.info.depth == 5
    assert np.array_equal(translator.translate(image), direct_output(net, image))


def test_reference_without_norm_has_no_conv_biases_and_still_loads(tmp_path: Path) -> None:
    # The reference's norm "none" drops biases on every conv but the output one.
    net = random_generator(arch="resnet", n_blocks=2, ngf=4, norm="none", input_nc=3,
                           output_nc=3)
    last = "model.19.bias"
    state = {k: v for k, v in net.state_dict().items() if not k.endswith(".bias") or k == last}
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith(".bias") and name != last:
                p.zero_()
    path = save_reference(net, tmp_path / "net_G.pth", state=state)

    translator = open_translator(path, device="cpu")

    image = noise_image(32, 32)
    assert translator.info.norm == "none"
    assert np.array_equal(translator.translate(image), direct_output(net, image))


# ---- files that are not generators -----------------------------------------------------------
class Pickled:
    """A class that torch.load(weights_only=True) must refuse to build."""


def _write(path: Path, content: object) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, nn.Module):
        torch.save(content.state_dict(), path)
    elif isinstance(content, Pickled):
        path.write_bytes(pickle.dumps(content, protocol=2))
    else:
        torch.save(content, path)
    return path


@pytest.mark.parametrize(("content", "message"), [
    (build_discriminator(arch="patch", input_nc=3, ndf=8, n_layers=3, norm="batch"),
     "looks like a PatchGAN discriminator, not a generator"),
    (build_discriminator(arch="pixel", input_nc=6, ndf=8, n_layers=1, norm="instance"),
     "looks like a PixelGAN (1×1) discriminator"),
    (Pickled(), "holds a tests.core.test_translate.Pickled object, which is never loaded"),
    ({"epoch": 3, "lr": 0.1}, "holds no weights (its entries are: epoch, lr)"),
    ([torch.zeros(3)], "holds a list, not a generator's weights"),
    (b"model.1.weight = 3\n", "is not a PyTorch weights file"),
    (b"\x89PNG\r\n\x1a\n....", "(it is a PNG image)"),
    (b"", "(the file is empty)"),
])
def test_files_that_are_not_generators_say_what_they_are(tmp_path: Path, content: object,
                                                         message: str) -> None:
    path = _write(tmp_path / "latest_net_G.pth", content)
    with pytest.raises(TranslateError, match=None) as caught:
        open_translator(path, device="cpu")
    assert message in str(caught.value)
    assert "latest_net_G.pth" in str(caught.value)


def test_truncated_file(tmp_path: Path) -> None:
    net = random_generator(arch="resnet", n_blocks=2, ngf=4, norm="instance", input_nc=3,
                           output_nc=3)
    whole = save_reference(net, tmp_path / "whole.pth").read_bytes()
    path = tmp_path / "cut.pth"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(TranslateError, match=r"cut.pth .*truncated or damaged"):
        open_translator(path, device="cpu")


def test_generator_with_damaged_shapes(tmp_path: Path) -> None:
    net = random_generator(arch="resnet", n_blocks=2, ngf=4, norm="instance", input_nc=3,
                           output_nc=3)
    state = dict(net.state_dict())
    state["model.10.conv_block.1.weight"] = torch.zeros(16, 16, 1, 1)
    path = save_reference(net, tmp_path / "net_G.pth", state=state)
    with pytest.raises(TranslateError, match=r"looks like a ResNet generator, 2 residual blocks"
                                             r".* do not fit that network"):
        open_translator(path, device="cpu")


def test_missing_path_and_folder_that_is_no_model(tmp_path: Path) -> None:
    with pytest.raises(TranslateError, match="does not exist"):
        open_translator(tmp_path / "nope.pth")
    with pytest.raises(TranslateError, match=r"neither a run folder .* nor a checkpoint"):
        open_translator(tmp_path)
