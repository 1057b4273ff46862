"""Generators saved by the reference pytorch-CycleGAN-and-pix2pix code, loaded without flags.

Artists have ``latest_net_G.pth`` files: plain state dicts, with no record of the
options they were trained with. Everything needed to rebuild the network can be read off
the key names and tensor shapes (REFERENCE.md, "Reference checkpoints artists already
have"):

- ResNet: ``model.1.weight`` is the 7×7 stem conv ``(ngf, input_nc, 7, 7)``; residual
  blocks are the indices holding ``conv_block.*`` keys; the output conv sits at index
  ``n_blocks + 17``. Dropout moves a block's second conv from ``conv_block.5`` to ``.6``.
- U-Net: levels nest as ``model.model.1.model.3.model…``; the depth of the nesting is the
  number of downsamplings. ``model.model.0.weight`` is ``(ngf, input_nc, 4, 4)`` and the
  output transposed conv ``model.model.3.weight`` is ``(2·ngf, output_nc, 4, 4)``.
- Norm: batch norm leaves ``weight``/``bias``/``running_*`` on the norm layers and no bias
  on the convs before them; instance norm leaves nothing (old files carry
  ``running_mean``/``running_var``, dropped here). The reference's ``none`` has neither
  norm parameters nor conv biases; those biases are loaded as zeros, which is the same
  network.

Our modules use the reference's key names, so after inference the state dict loads with
``strict=True`` into :func:`nectar_gui.core.models.build_generator`'s network.
"""

from __future__ import annotations

import errno
import pickle
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from nectar_gui.core.checkpoints import unsafe_global
from nectar_gui.core.models import build_generator, count_parameters
from nectar_gui.core.translate.info import TranslateError

StateDict = dict[str, Tensor]

_UNET_ROOT = "model.model."
_RESNET_BLOCK = re.compile(r"^model\.(\d+)\.conv_block\.")
_INSTANCE_STATS = ("running_mean", "running_var")
_WRAPPER_KEYS = ("state_dict", "model_state_dict", "netG", "generator", "G")
_MAGIC = {b"\x89PNG": "it is a PNG image", b"\xff\xd8\xff": "it is a JPEG image",
          b"GIF8": "it is a GIF image", b"RIFF": "it is a RIFF (WebP/WAV) file",
          b"{": "it is a JSON or text file", b"%PDF": "it is a PDF document"}


@dataclass(frozen=True)
class GeneratorArch:
    """A generator's architecture as read from its weights.

    Attributes:
        arch: ``"resnet"`` or ``"unet"``.
        input_nc: channels in.
        output_nc: channels out.
        ngf: width of the first conv.
        norm: ``"instance"``, ``"batch"`` or ``"none"``.
        depth: residual blocks (ResNet) or downsamplings (U-Net).
        dropout: whether the ResNet blocks hold dropout (it shifts key indices).
    """

    arch: str
    input_nc: int
    output_nc: int
    ngf: int
    norm: str
    depth: int
    dropout: bool = False

    @property
    def multiple(self) -> int:
        """Image sides must be a multiple of this: U-Net halves ``depth`` times."""
        return 2 ** self.depth if self.arch == "unet" else 4

    def describe(self) -> str:
        """One line for people, e.g. "ResNet generator, 9 residual blocks, ngf 64, …"."""
        if self.arch == "resnet":
            shape = f"ResNet generator, {self.depth} residual blocks"
        else:
            shape = f"U-Net generator, {self.depth} downsamplings ({self.multiple} px)"
        norm = "no norm" if self.norm == "none" else f"{self.norm} norm"
        return f"{shape}, ngf {self.ngf}, {norm}, {self.input_nc}→{self.output_nc} channels"

    def build(self) -> nn.Module:
        """Our equivalent module, in eval mode, on the CPU."""
        net = build_generator(arch=self.arch, input_nc=self.input_nc, output_nc=self.output_nc,
                              ngf=self.ngf, norm=self.norm, dropout=self.dropout,
                              n_blocks=self.depth if self.arch == "resnet" else 9,
                              n_downs=self.depth if self.arch == "unet" else 8)
        return net.eval()


# ---- reading the file --------------------------------------------------------------------
def read_state_dict(path: Path) -> StateDict:
    """Load a ``.pth`` state dict without running code from it.

    Accepts a plain state dict, one wrapped in a dict under a usual key
    (``state_dict``, ``netG``, …), and DataParallel's ``module.`` prefix.

    Raises:
        TranslateError: the file is missing, damaged, not a PyTorch file, holds objects
            that are never unpickled, or holds no tensors.
    """
    path = Path(path)
    if not path.is_file():
        raise TranslateError(f"{path} does not exist")
    kind = _file_kind(path)
    if kind is not None:
        raise TranslateError(f"{path.name} is not a PyTorch weights file ({kind}); open a "
                             f"generator such as latest_net_G.pth")
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols it may not read
            warnings.simplefilter("ignore")
            data = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError,
            OSError, AttributeError, TypeError, KeyError) as exc:
        raise TranslateError(f"{path.name} is not a readable PyTorch weights file "
                             f"({_load_problem(exc)})") from None
    return _tensor_dict(data, path)


def _file_kind(path: Path) -> str | None:
    """What the file is when it plainly is not a PyTorch save (zip or pickle), else None."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK") or head.startswith(b"\x80"):
        return None  # torch.save's zip format, or the legacy pickle format
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    if not head:
        return "the file is empty"
    return "it is neither a zip-format nor a pickle-format PyTorch save"


def _load_problem(exc: BaseException) -> str:
    text = str(exc)
    foreign = unsafe_global(exc)
    if foreign:
        return (f"it holds a {foreign} object, which is never loaded because "
                f"loading it could run code")
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if "PytorchStreamReader" in text or isinstance(exc, EOFError | OSError):
        return "the file is truncated or damaged"
    if "Unsupported operand" in text:
        return "it is a Python pickle of something other than PyTorch weights"
    detail = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", text)
    if detail:
        return detail.group(1)
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0][:200] if lines else type(exc).__name__


def _tensor_dict(data: object, path: Path) -> StateDict:
    if isinstance(data, dict) and not any(isinstance(v, Tensor) for v in data.values()):
        for key in _WRAPPER_KEYS:
            if isinstance(data.get(key), dict):
                data = data[key]
                break
    if not isinstance(data, dict) or not data:
        kind = type(data).__name__
        raise TranslateError(f"{path.name} holds a {kind}, not a generator's weights "
                             f"(expected a state dict such as latest_net_G.pth)")
    tensors = {str(k): v for k, v in data.items() if isinstance(v, Tensor)}
    if not tensors:
        shown = ", ".join(sorted(map(str, data))[:5])
        raise TranslateError(f"{path.name} holds no weights (its entries are: {shown})")
    if all(k.startswith("module.") for k in tensors):  # saved from nn.DataParallel
        tensors = {k.removeprefix("module."): v for k, v in tensors.items()}
    return tensors


# ---- inferring the architecture -----------------------------------------------------------
def infer_architecture(state: StateDict, name: str = "the file") -> GeneratorArch:
    """Read the architecture off key names and shapes.

    Raises:
        TranslateError: the weights are not those of a ResNet or U-Net generator; the
            message says what they look like instead when it can tell.
    """
    if f"{_UNET_ROOT}0.weight" in state:
        return _infer_unet(state, name)
    if "model.1.weight" in state and any(_RESNET_BLOCK.match(k) for k in state):
        return _infer_resnet(state, name)
    raise TranslateError(_not_a_generator(state, name))


def _not_a_generator(state: StateDict, name: str) -> str:
    first = state.get("model.0.weight")
    if first is not None and first.ndim == 4 and first.shape[-1] == 4:
        return (f"{name} looks like a PatchGAN discriminator, not a generator (model.0 is "
                f"a 4×4 conv); open the *_net_G*.pth file of the same run")
    if "net.0.weight" in state and state["net.0.weight"].ndim == 4:
        return (f"{name} looks like a PixelGAN (1×1) discriminator, not a generator; open "
                f"the *_net_G*.pth file of the same run")
    shown = ", ".join(sorted(state)[:3])
    return (f"{name} is not a generator: its weights ({len(state)} tensors, e.g. {shown}) "
            f"match neither a ResNet nor a U-Net generator of the pix2pix / CycleGAN code")


def _infer_resnet(state: StateDict, name: str) -> GeneratorArch:
    stem = _shape(state, "model.1.weight", 4, name)
    blocks = sorted({int(m.group(1)) for k in state if (m := _RESNET_BLOCK.match(k))})
    if blocks != list(range(10, 10 + len(blocks))):
        raise TranslateError(f"{name}: residual blocks are not numbered like a ResNet "
                             f"generator's (found model.{blocks[0]} … model.{blocks[-1]})")
    out = _shape(state, f"model.{len(blocks) + 17}.weight", 4, name)
    norm = _norm_of(state, "model.2", "model.1.bias")
    # Dropout shifts the second conv to index 6, where a batch norm's 1-D weight would be.
    sixth = state.get("model.10.conv_block.6.weight")
    return GeneratorArch(arch="resnet", input_nc=stem[1], output_nc=out[0], ngf=stem[0],
                         norm=norm, depth=len(blocks),
                         dropout=sixth is not None and sixth.ndim == 4)


def _infer_unet(state: StateDict, name: str) -> GeneratorArch:
    first = _shape(state, f"{_UNET_ROOT}0.weight", 4, name)
    out = _shape(state, f"{_UNET_ROOT}3.weight", 4, name)  # ConvTranspose: (in, out, k, k)
    level, depth = "model.model.1.model.", 2
    while any(k.startswith(f"{level}3.model.") for k in state):
        level, depth = f"{level}3.model.", depth + 1
    if depth < 5:
        raise TranslateError(f"{name}: a U-Net with {depth} levels is shallower than the "
                             f"pix2pix / CycleGAN code builds (5 or more)")
    norm = _norm_of(state, "model.model.1.model.2", "model.model.1.model.1.bias")
    return GeneratorArch(arch="unet", input_nc=first[1], output_nc=out[1], ngf=first[0],
                         norm=norm, depth=depth)


def _shape(state: StateDict, key: str, ndim: int, name: str) -> tuple[int, ...]:
    tensor = state.get(key)
    if tensor is None or tensor.ndim != ndim:
        raise TranslateError(f"{name} looks like a generator but {key} is missing or "
                             f"misshapen; the file may be damaged or from another project")
    return tuple(tensor.shape)


def _norm_of(state: StateDict, norm_layer: str, conv_bias: str) -> str:
    if f"{norm_layer}.weight" in state:
        return "batch"
    # Instance norm and the reference's "none" both leave no norm parameters; only the
    # latter drops conv biases.
    return "instance" if conv_bias in state else "none"


# ---- loading -----------------------------------------------------------------------------
def load_into(arch: GeneratorArch, state: StateDict, name: str = "the file") -> nn.Module:
    """Build our module for ``arch`` and load ``state`` into it strictly.

    Old instance-norm running statistics are dropped; biases missing from the
    reference's no-norm convs are zero-filled; batch-norm counters missing from files
    older than PyTorch 0.4.1 are zero-filled.

    Raises:
        TranslateError: the weights do not fit the inferred architecture.
    """
    net = arch.build()
    expected = net.state_dict()
    fixed = {k: v for k, v in state.items()
             if not (k.endswith(_INSTANCE_STATS) and k not in expected)}
    filled = {"none": ".bias", "batch": ".num_batches_tracked"}.get(arch.norm)
    for key, value in expected.items():
        if filled and key not in fixed and key.endswith(filled):
            fixed[key] = torch.zeros_like(value)
    try:
        net.load_state_dict(fixed, strict=True)
    except RuntimeError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        why = lines[1] if len(lines) > 1 else lines[0]
        raise TranslateError(f"{name} looks like a {arch.describe()}, but its weights do "
                             f"not fit that network ({why[:300]})") from None
    return net


def load_reference_generator(path: Path) -> tuple[nn.Module, GeneratorArch, int]:
    """Load a reference ``*_net_G*.pth``: the module (eval, CPU), its architecture and
    its parameter count.

    Raises:
        TranslateError: the file is unreadable or not a generator.
    """
    state = read_state_dict(path)
    arch = infer_architecture(state, Path(path).name)
    net = load_into(arch, state, Path(path).name)
    return net, arch, count_parameters(net)
