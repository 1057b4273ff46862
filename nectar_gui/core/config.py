"""The validated configuration tree of a training run.

One frozen pydantic model per section. Every field carries a description and, where
it applies, a range or a ``Literal`` set of choices: the same metadata drives the CLI's
``--set`` overrides, the GUI's config editor (widgets, tooltips, inline messages) and
the error messages a user sees. A config is saved as ``config.json`` in every run and
inside every checkpoint, with ``schema_version`` so later versions can migrate it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SCHEMA_VERSION = 1

ModelKind = Literal["pix2pix", "cyclegan"]
GeneratorArch = Literal["resnet", "unet"]
DiscriminatorArch = Literal["patch", "pixel"]
NormKind = Literal["instance", "batch", "none"]
GanMode = Literal["lsgan", "vanilla", "hinge"]
Layout = Literal["auto", "aligned", "paired", "unaligned"]
Direction = Literal["AtoB", "BtoA"]
Preprocess = Literal["resize_and_crop", "crop", "resize", "none"]
DeviceChoice = Literal["auto", "cpu", "cuda", "mps"]
Precision = Literal["auto", "fp32", "bf16-mixed", "fp16-mixed"]
AdamImpl = Literal["auto", "fused", "foreach", "for-loop"]
BestMetric = Literal["auto", "psnr", "ssim", "l1", "cycle_l1"]
AugmentSides = Literal["input", "both"]
GraphMode = Literal["auto", "on", "off"]

# Reference-code generator names ("--netG resnet_9blocks") accepted as shorthands.
_GENERATOR_ALIASES: dict[str, dict[str, Any]] = {
    "resnet_9blocks": {"generator": "resnet", "resnet_blocks": 9},
    "resnet_6blocks": {"generator": "resnet", "resnet_blocks": 6},
    "unet_256": {"generator": "unet", "unet_downs": 8},
    "unet_128": {"generator": "unet", "unet_downs": 7},
}


class ConfigError(ValueError):
    """A config value is invalid; the message names the field, the value and what is allowed."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class ModelSection(_Section):
    """Which networks are built, and how wide and deep they are."""

    kind: ModelKind = Field("cyclegan", description="pix2pix learns from aligned pairs; "
                            "CycleGAN learns from two unpaired image sets.")
    generator: GeneratorArch = Field("resnet", description="Generator architecture: ResNet "
                                     "(residual blocks) or U-Net (skip connections).")
    resnet_blocks: int = Field(9, ge=1, le=32, description="Residual blocks in a ResNet "
                               "generator (reference: 9 at 256 px, 6 at 128 px).")
    unet_downs: int = Field(8, ge=2, le=10, description="Downsamplings in a U-Net generator "
                            "(8 = unet_256, 7 = unet_128). The crop size must be a multiple "
                            "of 2 to this power.")
    discriminator: DiscriminatorArch = Field("patch", description="PatchGAN scores overlapping "
                                             "patches; PixelGAN scores single pixels (1×1).")
    d_layers: int = Field(3, ge=1, le=5, description="Stride-2 convolutions in the PatchGAN, "
                          "counted as in the reference code: 3 gives a 70×70 receptive field, "
                          "1 → 16, 2 → 34, 4 → 142, 5 → 286.")
    ngf: int = Field(64, ge=1, le=512, description="Filters in the generator's first layer.")
    ndf: int = Field(64, ge=1, le=512, description="Filters in the discriminator's first layer.")
    norm: NormKind = Field("instance", description="Normalisation layers in G and D.")
    dropout: bool = Field(False, description="Dropout 0.5 in the generator (pix2pix uses it "
                          "as its noise source).")
    input_nc: int = Field(3, ge=1, le=4, description="Channels of domain A images "
                          "(1 grey, 3 RGB, 4 RGBA).")
    output_nc: int = Field(3, ge=1, le=4, description="Channels of domain B images.")
    init_gain: float = Field(0.02, gt=0, le=1, description="Std of the normal weight init.")

    @model_validator(mode="before")
    @classmethod
    def _expand_reference_names(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("generator") in _GENERATOR_ALIASES:
            data = {**data, **_GENERATOR_ALIASES[data["generator"]]}
        return data


class AugmentSection(_Section):
    """Extra random changes to the training images; all off by default, so the reference
    recipes (resize, crop, horizontal flip) train as they always did.

    Every draw comes from the item's seed (``core.data.augment``), so runs repeat and
    resume exactly.
    """

    vflip: bool = Field(False, description="Random vertical flips (the same for A and B).")
    rot90: bool = Field(False, description="Random turns by 0°, 90°, 180° or 270° (the same "
                        "for A and B). Images that are not square (preprocess none) turn "
                        "only by 0° or 180°, so they keep their shape.")
    brightness: float = Field(0.0, ge=0, le=1, description="Colour jitter: brightness "
                              "multiplied by a factor drawn from 1 − b … 1 + b (0: off).")
    contrast: float = Field(0.0, ge=0, le=1, description="Colour jitter: contrast "
                            "multiplied by a factor drawn from 1 − c … 1 + c (0: off).")
    saturation: float = Field(0.0, ge=0, le=1, description="Colour jitter: saturation "
                              "multiplied by a factor drawn from 1 − s … 1 + s (0: off; "
                              "RGB images only).")
    hue: float = Field(0.0, ge=0, le=0.5, description="Colour jitter: hue turned by up to "
                       "± this fraction of the colour wheel (0.5: half-way round; 0: off; "
                       "RGB images only).")
    gamma: float = Field(0.0, ge=0, le=1, description="Gamma curve with γ drawn "
                         "log-uniformly from 1 / (1 + g) … 1 + g (0.5: γ from 0.67 to 1.5; "
                         "0: off).")
    grayscale_p: float = Field(0.0, ge=0, le=1, description="Chance that an item is turned "
                               "grey (RGB images only; 0: never).")
    color_sides: AugmentSides = Field("both", description="Which images the colour changes "
                                      "(jitter, gamma, grey) apply to: both — A and B get the "
                                      "same change, so the pair stays consistent; input — "
                                      "only the generator's input, so the model learns to "
                                      "ignore them.")
    blur_sigma: float = Field(0.0, ge=0, le=10, description="Gaussian blur with σ drawn "
                              "from 0 … this many pixels (0: off).")
    noise_std: float = Field(0.0, ge=0, le=0.5, description="Gaussian noise whose standard "
                             "deviation is drawn from 0 … this, in units of the full pixel "
                             "range (0.05 ≈ 13 levels of 255; 0: off).")
    jpeg_p: float = Field(0.0, ge=0, le=1, description="Chance that an item is re-compressed "
                          "as JPEG (0: never).")
    jpeg_quality_min: int = Field(30, ge=1, le=95, description="Lowest JPEG quality; each "
                                  "re-compression draws its quality from this … 95.")
    degrade_sides: AugmentSides = Field("input", description="Which images blur, noise and "
                                        "JPEG apply to: input — only the generator's input, "
                                        "so the model learns to undo them against a clean "
                                        "target; both — the same degradation on A and B.")


class DataSection(_Section):
    """Where the images come from and how they are prepared."""

    root: str | None = Field(None, description="Dataset folder. Layouts: train/ with A|B "
                             "side by side; A/ and B/ with matching names; trainA/ and trainB/.")
    layout: Layout = Field("auto", description="Folder layout; auto detects it.")
    split: str = Field("train", min_length=1, description="Split to train on "
                       "(train → train/ or trainA/ and trainB/).")
    direction: Direction = Field("AtoB", description="Translate A into B, or B into A.")
    preprocess: Preprocess = Field("resize_and_crop", description="resize_and_crop: resize to "
                                   "load size, random crop; crop: random crop only; resize: "
                                   "resize to the crop size; none: use images as they are "
                                   "(they must share one size).")
    load_size: int = Field(286, ge=8, le=8192, description="Images are resized to this "
                           "square size before cropping.")
    crop_size: int = Field(256, ge=8, le=8192, description="Square size the networks train on.")
    flip: bool = Field(True, description="Random horizontal flips (the same for A and B).")
    augment: AugmentSection = AugmentSection()
    num_workers: int = Field(-1, ge=-1, le=64, description="DataLoader worker processes; "
                             "-1 chooses from the machine's cores, 0 loads in the training "
                             "thread.")
    device_preprocess: bool = Field(False, description="Resize, crop and flip on the "
                                    "training device instead of in the loader processes (for "
                                    "a fast GPU whose loader cannot keep up). The same crops "
                                    "and flips; pixels differ from Pillow's by about a grey "
                                    "level. Not used with augmentation.")
    cache_mb: int = Field(-1, ge=-1, le=1_048_576, description="RAM (MiB) for keeping "
                          "decoded images between epochs, shared by the loader processes; "
                          "images beyond it are decoded again each time. -1 chooses: 2048 "
                          "when training on a GPU, none on the CPU (there decoding is well "
                          "under 1% of a step); 0 turns the cache off.")

    @model_validator(mode="after")
    def _crop_fits(self) -> DataSection:
        if self.preprocess == "resize_and_crop" and self.crop_size > self.load_size:
            raise ValueError(f"crop_size {self.crop_size} is larger than load_size "
                             f"{self.load_size}; make load_size ≥ crop_size")
        return self


class LossSection(_Section):
    """Objectives and their weights."""

    gan_mode: GanMode = Field("lsgan", description="GAN objective: lsgan (least squares), "
                              "vanilla (BCE with logits) or hinge.")
    lambda_l1: float = Field(100.0, ge=0, le=1e4, description="pix2pix: weight of the L1 "
                             "loss between G(A) and B.")
    lambda_cycle_a: float = Field(10.0, ge=0, le=1e4, description="CycleGAN: weight of the "
                                  "cycle loss A → B → A.")
    lambda_cycle_b: float = Field(10.0, ge=0, le=1e4, description="CycleGAN: weight of the "
                                  "cycle loss B → A → B.")
    lambda_identity: float = Field(0.5, ge=0, le=10, description="CycleGAN: identity loss "
                                   "weight, as a fraction of the cycle weight (0 disables).")
    pool_size: int = Field(50, ge=0, le=10000, description="CycleGAN: earlier fakes kept per "
                           "discriminator to stabilise it (0 disables the pool).")


class OptimSection(_Section):
    """Adam and the learning-rate schedule (constant, then linear decay to zero)."""

    lr: float = Field(2e-4, gt=0, le=1.0, description="Adam learning rate for G and D.")
    d_lr_factor: float = Field(1.0, gt=0, le=1000, description="Discriminator learning rate "
                               "as a multiple of lr (1: the same rate as G). Above 1 D learns "
                               "faster than G; far above, D tends to overpower G.")
    beta1: float = Field(0.5, ge=0, lt=1, description="Adam beta1.")
    beta2: float = Field(0.999, ge=0, lt=1, description="Adam beta2.")
    batch_size: int = Field(1, ge=1, le=1024, description="Images per step (per process).")
    n_epochs: int = Field(100, ge=0, le=100000, description="Epochs at the initial rate.")
    n_epochs_decay: int = Field(100, ge=0, le=100000, description="Epochs of linear decay "
                                "to zero after that.")
    adam_impl: AdamImpl = Field("auto", description="Adam kernel: fused where the device has "
                                "it (fastest), else foreach.")

    @model_validator(mode="after")
    def _has_epochs(self) -> OptimSection:
        if self.n_epochs + self.n_epochs_decay == 0:
            raise ValueError("n_epochs + n_epochs_decay is 0; train for at least one epoch")
        return self


class RuntimeSection(_Section):
    """Device, precision, determinism and speed switches."""

    device: DeviceChoice = Field("auto", description="auto picks CUDA, then Apple MPS, "
                                 "then the CPU.")
    precision: Precision = Field("auto", description="fp32, or mixed precision in bf16 or "
                                 "fp16 (fp16 uses a gradient scaler). auto: bf16-mixed on a "
                                 "CUDA GPU that has it (measured fastest there), fp32 "
                                 "elsewhere.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed for weights, data order and "
                      "augmentation; the same seed on the same device repeats a run.")
    threads: int = Field(0, ge=0, le=512, description="CPU threads for training; 0 uses "
                         "every core, in the app too (torchrun's processes on one machine "
                         "share them).")
    channels_last: bool = Field(False, description="Channels-last memory layout (faster "
                                "convolutions on some CPUs).")
    compile: bool = Field(False, description="torch.compile each network (slow first step).")
    cuda_graphs: GraphMode = Field("auto", description="Replay each training step as a "
                                   "captured CUDA graph (far less launch overhead per step). "
                                   "auto: on for a single CUDA GPU in fp32 or bf16-mixed; "
                                   "steps whose batch shape differs run without.")
    fast_ops: bool = Field(True, description="Faster CPU versions of some layers: same math, "
                           "same weights and checkpoints; off runs stock PyTorch layers.")
    tune_malloc: bool = Field(True, description="Linux: let the C allocator keep large "
                              "buffers between steps instead of returning them to the system "
                              "(fewer page faults, faster CPU steps; the process keeps its "
                              "peak memory).")


class LoggingSection(_Section):
    """How often progress is reported and saved. Intervals are times, not step counts."""

    metrics_interval_s: float = Field(0.1, ge=0, le=3600, description="Seconds between loss "
                                      "reports (losses are fetched from the device only then).")
    sample_interval_s: float = Field(0.5, ge=0, le=86400, description="Seconds between "
                                     "sample images and patch maps shown live.")
    save_sample_every_s: float = Field(60.0, ge=0, le=86400, description="Seconds between "
                                       "samples written to the run folder.")
    checkpoint_every_steps: int = Field(1000, ge=1, le=10**9, description="Steps between "
                                        "checkpoints (one is also saved when a run stops).")
    keep_checkpoints: int = Field(3, ge=1, le=1000, description="Newest checkpoints kept; "
                                  "older ones are deleted.")
    max_steps: int | None = Field(None, ge=1, description="Stop after this many steps "
                                  "(empty: train for all epochs).")
    dist_sync_every_steps: int = Field(10, ge=1, le=100000, description="Multi-GPU runs: "
                                       "steps between the moments all processes exchange "
                                       "losses and stop requests.")
    val_images: int = Field(50, ge=0, le=100000, description="Images measured at each "
                            "validation, from the dataset's val/ split, else test/, else the "
                            "training images (0 turns validation off).")
    validate_every_steps: int = Field(0, ge=0, le=10**9, description="Steps between "
                                      "validations; 0 validates with every checkpoint. One "
                                      "also runs when training ends.")
    best_metric: BestMetric = Field("auto", description="Metric that picks the best "
                                    "checkpoint: auto is PSNR on paired data and the mean "
                                    "cycle L1 on unpaired data; l1/psnr/ssim need paired "
                                    "validation images, cycle_l1 unpaired ones.")
    inception_weights: str | None = Field(None, description="Local Inception-v3 weights file "
                                          "(torchvision's inception_v3_google-*.pth) for FID "
                                          "and KID at each validation; nothing is downloaded. "
                                          "Empty: both are reported as unavailable. With few "
                                          "images FID runs high: compare equal counts.")


class NectarConfig(_Section):
    """A complete run configuration."""

    schema_version: int = Field(SCHEMA_VERSION, description="Config format version.")
    name: str = Field("run", min_length=1, max_length=100, pattern=r"^[\w.\-]+$",
                      description="Run name (letters, digits, _ . -).")
    model: ModelSection = ModelSection()
    data: DataSection = DataSection()
    loss: LossSection = LossSection()
    optim: OptimSection = OptimSection()
    runtime: RuntimeSection = RuntimeSection()
    logging: LoggingSection = LoggingSection()

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value > SCHEMA_VERSION:
            raise ValueError(f"this config was written by a newer Nectar GUI (schema "
                             f"{value}); this version reads schema ≤ {SCHEMA_VERSION}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> NectarConfig:
        m, d = self.model, self.data
        if m.generator == "unet" and d.crop_size % (2 ** m.unet_downs):
            raise ValueError(f"crop_size {d.crop_size} must be a multiple of "
                             f"{2 ** m.unet_downs} for a U-Net with {m.unet_downs} "
                             f"downsamplings (model.unet_downs)")
        if m.generator == "resnet" and d.crop_size % 4:
            raise ValueError(f"crop_size {d.crop_size} must be a multiple of 4 for a "
                             f"ResNet generator")
        if m.kind == "pix2pix" and d.layout == "unaligned":
            raise ValueError("pix2pix needs paired images; layout 'unaligned' is for CycleGAN")
        if m.kind == "pix2pix" and self.logging.best_metric == "cycle_l1":
            raise ValueError("logging.best_metric 'cycle_l1' is for CycleGAN; a pix2pix run "
                             "ranks checkpoints by auto, psnr, ssim or l1")
        identity = self.loss.lambda_identity > 0
        if m.kind == "cyclegan" and identity and m.input_nc != m.output_nc:
            raise ValueError("identity loss needs input_nc == output_nc; set "
                             "loss.lambda_identity to 0 or match the channel counts")
        return self

    # ---- conversions -------------------------------------------------------------------
    def to_json(self) -> str:
        """Serialise to pretty JSON (the format of config.json)."""
        return self.model_dump_json(indent=2)

    def with_overrides(self, overrides: dict[str, Any]) -> NectarConfig:
        """Return a validated copy with dotted-key overrides applied ({'optim.lr': 1e-3})."""
        data = self.model_dump()
        for key, value in overrides.items():
            _set_dotted(data, key, value)
        return parse_config(data)


def parse_config(data: dict[str, Any]) -> NectarConfig:
    """Validate a plain dict into a config, raising ConfigError with one line per problem."""
    try:
        return NectarConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None


def format_validation_error(exc: ValidationError) -> str:
    """Turn pydantic's report into lines like ``optim.lr: -1 — must be > 0``."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "config"
        msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "must be", 1)
        if err["type"] == "extra_forbidden":
            msg = "unknown setting"
        value = err.get("input")
        shown = "" if isinstance(value, dict) or value is None else f" = {value!r}"
        lines.append(f"{where}{shown}: {msg}")
    return "\n".join(lines)


def load_config(path: str | Path) -> NectarConfig:
    """Read a config JSON file; errors name the file and the field."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file {path} does not exist") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"Config file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"Config file {path} must hold a JSON object")
    return parse_config(data)


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``key=value`` from the command line; the value is JSON when it parses as JSON."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"Override {text!r} must look like section.field=value, "
                          f"e.g. optim.lr=0.0002")
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if not isinstance(child, dict):
            raise ConfigError(f"Unknown setting {'.'.join(parts[:i + 1])!r} in {key!r}; "
                              f"sections are: {', '.join(_section_names())}")
        node = child
    if parts[-1] not in node:
        raise ConfigError(f"Unknown setting {key!r}; {_choices_hint(node)}")
    node[parts[-1]] = value


def _section_names() -> list[str]:
    return [n for n, f in NectarConfig.model_fields.items()
            if isinstance(f.default, BaseModel)]


def _choices_hint(node: dict[str, Any]) -> str:
    return "settings here are: " + ", ".join(sorted(node))
