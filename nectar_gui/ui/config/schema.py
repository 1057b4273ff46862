"""The config schema as the editor sees it: one ``FieldSpec`` per field, read from pydantic.

Everything here is derived from ``NectarConfig.model_fields`` (annotations, descriptions,
``ge``/``le``/``gt``/``lt`` metadata, ``Literal`` choices). The small tables below only add
presentation: plain-word labels, friendlier choice names and which fields are advanced.
A field missing from them still gets a widget, labelled from its name.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from nectar_gui.core.config import NectarConfig

FieldKind = Literal["int", "optional_int", "float", "bool", "choice", "text", "folder",
                    "readonly"]

SECTION_TITLES = {"": "Run", "model": "Model", "data": "Data", "data.augment": "Augmentation",
                  "loss": "Losses", "optim": "Optimiser", "runtime": "Runtime",
                  "logging": "Logging"}

LABELS = {
    "name": "Run name", "schema_version": "Config format",
    "model.kind": "Model type", "model.generator": "Generator",
    "model.resnet_blocks": "Residual blocks", "model.unet_downs": "U-Net downsamplings",
    "model.discriminator": "Discriminator", "model.d_layers": "PatchGAN layers",
    "model.ngf": "G filters (ngf)", "model.ndf": "D filters (ndf)",
    "model.norm": "Normalisation", "model.dropout": "Dropout in G",
    "model.input_nc": "Channels, domain A", "model.output_nc": "Channels, domain B",
    "model.init_gain": "Weight init std",
    "data.root": "Dataset folder", "data.layout": "Folder layout", "data.split": "Split",
    "data.direction": "Direction", "data.preprocess": "Preprocessing",
    "data.load_size": "Load size (px)", "data.crop_size": "Crop size (px)",
    "data.flip": "Random flips", "data.num_workers": "Loader workers",
    "data.cache_mb": "Image cache (MiB)", "data.device_preprocess": "Resize on the device",
    "data.augment.vflip": "Vertical flips", "data.augment.rot90": "90° turns",
    "data.augment.brightness": "Brightness ±", "data.augment.contrast": "Contrast ±",
    "data.augment.saturation": "Saturation ±", "data.augment.hue": "Hue ±",
    "data.augment.gamma": "Gamma range", "data.augment.grayscale_p": "Grey (chance)",
    "data.augment.color_sides": "Colour changes on",
    "data.augment.blur_sigma": "Blur σ up to (px)",
    "data.augment.noise_std": "Noise σ up to", "data.augment.jpeg_p": "JPEG (chance)",
    "data.augment.jpeg_quality_min": "JPEG quality from",
    "data.augment.degrade_sides": "Blur/noise/JPEG on",
    "loss.gan_mode": "GAN objective", "loss.lambda_l1": "L1 weight",
    "loss.lambda_cycle_a": "Cycle A→B→A", "loss.lambda_cycle_b": "Cycle B→A→B",
    "loss.lambda_identity": "Identity weight", "loss.pool_size": "Fake image pool",
    "optim.lr": "Learning rate", "optim.beta1": "Adam β1", "optim.beta2": "Adam β2",
    "optim.batch_size": "Batch size", "optim.n_epochs": "Epochs at full lr",
    "optim.n_epochs_decay": "Epochs of decay", "optim.adam_impl": "Adam kernel",
    "runtime.device": "Device", "runtime.precision": "Precision",
    "runtime.seed": "Random seed", "runtime.threads": "CPU threads",
    "runtime.channels_last": "Channels-last", "runtime.compile": "torch.compile",
    "runtime.cuda_graphs": "CUDA graphs",
    "runtime.fast_ops": "Fast CPU layers", "runtime.tune_malloc": "Keep freed memory",
    "logging.metrics_interval_s": "Losses every (s)",
    "logging.sample_interval_s": "Live sample (s)",
    "logging.save_sample_every_s": "Saved sample (s)",
    "logging.checkpoint_every_steps": "Checkpoint (steps)",
    "logging.keep_checkpoints": "Checkpoints kept",
    "logging.max_steps": "Stop after (steps)",
    "logging.dist_sync_every_steps": "GPU sync (steps)",
}

CHOICE_LABELS = {
    "pix2pix": "pix2pix (paired)", "cyclegan": "CycleGAN (unpaired)", "resnet": "ResNet",
    "unet": "U-Net", "patch": "PatchGAN", "pixel": "PixelGAN (1×1)", "none": "None",
    "instance": "Instance", "batch": "Batch", "lsgan": "LSGAN (least squares)",
    "vanilla": "Vanilla (BCE)", "hinge": "Hinge", "auto": "Auto", "aligned": "Aligned (A|B)",
    "paired": "Paired folders", "unaligned": "Unaligned", "AtoB": "A → B", "BtoA": "B → A",
    "resize_and_crop": "Resize, then crop", "crop": "Crop only", "resize": "Resize only",
    "cpu": "CPU", "cuda": "CUDA", "mps": "Apple MPS", "fused": "Fused", "foreach": "Foreach",
    "for-loop": "For-loop", "input": "Input only", "both": "Both A and B",
    "on": "On", "off": "Off",
}

# Text shown instead of a spin box's minimum where that value means "choose for me".
SPECIAL_VALUES = {"data.num_workers": "Auto", "runtime.threads": "Auto",
                  "loss.pool_size": "Off", "data.cache_mb": "Auto"}
WIDGET_OVERRIDES: dict[str, FieldKind] = {"data.root": "folder", "schema_version": "readonly"}
ADVANCED = frozenset({
    "schema_version", "model.init_gain", "data.num_workers", "data.cache_mb",
    "data.device_preprocess",
    "optim.adam_impl", "runtime.threads", "runtime.channels_last", "runtime.compile",
    "runtime.cuda_graphs", "runtime.fast_ops", "runtime.tune_malloc",
    "logging.metrics_interval_s", "logging.sample_interval_s",
    "logging.dist_sync_every_steps",
})


@dataclass(frozen=True)
class FieldSpec:
    """One editable config field.

    Attributes:
        key: Dotted path, e.g. ``optim.lr`` (top-level fields have no section prefix).
        section: Dotted section path (``data.augment`` for a nested one), ``""`` for
            top-level fields.
        kind: Which widget edits it.
        label: Plain-word label.
        description: The schema's description (shown as the tooltip).
        default: Schema default.
        choices: Allowed values of a ``Literal`` field.
        minimum: Smallest allowed value (``gt`` bounds are kept exclusive, see below).
        maximum: Largest allowed value.
        min_exclusive: True when ``minimum`` itself is not allowed (``gt``).
        max_exclusive: True when ``maximum`` itself is not allowed (``lt``).
        advanced: Hidden unless the user asks for advanced settings.
    """

    key: str
    section: str
    kind: FieldKind
    label: str
    description: str
    default: Any
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    advanced: bool = False

    @property
    def name(self) -> str:
        """The field's own name, without the section."""
        return self.key.rpartition(".")[2]

    def range_text(self) -> str:
        """The allowed range in words, e.g. ``0 < value ≤ 1``; empty when unbounded."""
        low = "" if self.minimum is None else \
            f"{_number(self.minimum)} {'<' if self.min_exclusive else '≤'} "
        high = "" if self.maximum is None else \
            f" {'<' if self.max_exclusive else '≤'} {_number(self.maximum)}"
        return f"{low}value{high}" if low or high else ""


def field_specs() -> list[FieldSpec]:
    """Every leaf field of ``NectarConfig``, top-level fields first, in schema order."""
    return list(_walk(NectarConfig, ""))


def section_doc(section: str) -> str:
    """The first paragraph of a section model's docstring (its purpose), on one line."""
    if not section:
        return "What this run is called."
    model: Any = NectarConfig
    for name in section.split("."):  # "data.augment": NectarConfig → DataSection → …
        model = model.model_fields[name].annotation
    doc = model.__doc__ if isinstance(model, type) else None
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def flatten(config: BaseModel) -> dict[str, Any]:
    """A config as ``{dotted key: value}`` over its leaf fields, nested sections too."""
    return _flatten_dict(config.model_dump(), "")


def _flatten_dict(data: dict[str, Any], prefix: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in data.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten_dict(value, f"{key}."))
        else:
            flat[key] = value
    return flat


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of ``flatten``: the nested dict pydantic validates."""
    data: dict[str, Any] = {}
    for key, value in values.items():
        *sections, name = key.split(".")
        node = data
        for section in sections:
            node = node.setdefault(section, {})
        node[name] = value
    return data


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _walk(model: type[BaseModel], section: str) -> Iterator[FieldSpec]:
    for name, info in model.model_fields.items():
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            yield from _walk(info.annotation, f"{section}.{name}" if section else name)
        else:
            yield _spec(f"{section}.{name}" if section else name, section, info)


def _spec(key: str, section: str, info: FieldInfo) -> FieldSpec:
    bounds = _bounds(info)
    name = key.rpartition(".")[2]
    return FieldSpec(
        key=key, section=section, kind=WIDGET_OVERRIDES.get(key) or _kind(info.annotation),
        label=LABELS.get(key, name.replace("_", " ").capitalize()),
        description=info.description or "", default=info.default,
        choices=tuple(get_args(info.annotation)) if get_origin(info.annotation) is Literal
        else (), advanced=key in ADVANCED, **bounds)


def _kind(annotation: Any) -> FieldKind:
    if get_origin(annotation) is Literal:
        return "choice"
    if get_origin(annotation) in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return "optional_int" if inner == [int] else "text"
    kinds: dict[Any, FieldKind] = {bool: "bool", int: "int", float: "float", str: "text"}
    return kinds.get(annotation, "text")


def _bounds(info: FieldInfo) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    for item in info.metadata:
        if isinstance(item, at.Ge):
            bounds["minimum"] = item.ge
        elif isinstance(item, at.Gt):
            bounds.update(minimum=item.gt, min_exclusive=True)
        elif isinstance(item, at.Le):
            bounds["maximum"] = item.le
        elif isinstance(item, at.Lt):
            bounds.update(maximum=item.lt, max_exclusive=True)
    return bounds
