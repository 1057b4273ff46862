"""Which fields apply to the chosen model, and validation messages mapped onto fields.

Validation is pydantic's own (``NectarConfig.model_validate``), cross-field checks
included; this module only decides where each message is shown and words it for a form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from nectar_gui.core.config import NectarConfig
from nectar_gui.ui.config.schema import SECTION_TITLES, FieldSpec, nest


class OnlyWhen(NamedTuple):
    """``fields`` are used only while ``key`` equals ``value``; otherwise ``reason``."""

    fields: tuple[str, ...]
    key: str
    value: str
    reason: str


# The one table of "does this field matter for the current choice".
ONLY_WHEN = (
    OnlyWhen(("loss.lambda_l1",), "model.kind", "pix2pix", "Only for pix2pix"),
    OnlyWhen(("loss.lambda_cycle_a", "loss.lambda_cycle_b", "loss.lambda_identity",
              "loss.pool_size"), "model.kind", "cyclegan", "Only for CycleGAN"),
    OnlyWhen(("model.resnet_blocks",), "model.generator", "resnet", "Only for ResNet"),
    OnlyWhen(("model.unet_downs",), "model.generator", "unet", "Only for U-Net"),
    OnlyWhen(("model.d_layers",), "model.discriminator", "patch", "Only for PatchGAN"),
    OnlyWhen(("data.load_size",), "data.preprocess", "resize_and_crop",
             "Only for resize + crop"),
)


def inapplicable_reason(key: str, values: Mapping[str, Any]) -> str | None:
    """Why ``key`` does not matter for ``values``, or None when it does."""
    for rule in ONLY_WHEN:
        if key in rule.fields and values.get(rule.key) != rule.value:
            return rule.reason
    return None


@dataclass(frozen=True)
class Validation:
    """The outcome of validating the editor's values.

    Attributes:
        config: The validated config, or None when any check failed.
        field_errors: Messages per field key (a cross-field message appears under
            every field it names).
        summary: One line per problem, naming where it is.
    """

    config: NectarConfig | None
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)


def validate(values: Mapping[str, Any], specs: Sequence[FieldSpec]) -> Validation:
    """Validate flat ``values`` as a whole config with pydantic."""
    try:
        return Validation(NectarConfig.model_validate(nest(values)))
    except ValidationError as exc:
        by_key = {spec.key: spec for spec in specs}
        field_errors: dict[str, list[str]] = {}
        summary = []
        for err in exc.errors():
            loc = ".".join(str(part) for part in err["loc"])
            spec = by_key.get(loc)
            keys = [loc] if spec else _mentioned(loc, err, specs)
            message = _message(err, spec)
            for key in keys:
                field_errors.setdefault(key, []).append(message)
            where = " / ".join(by_key[k].label for k in keys) or \
                SECTION_TITLES.get(loc, "Config")
            summary.append(f"{where}: {message}")
        return Validation(None, field_errors, summary)


def _mentioned(loc: str, err: ErrorDetails, specs: Sequence[FieldSpec]) -> list[str]:
    """Fields of section ``loc`` (all, for the root) that a cross-field message names."""
    text = str(err["msg"])
    return [s.key for s in specs if (not loc or s.section == loc) and re.search(
        rf"(?<![\w.])(?:{re.escape(s.section)}\.)?{re.escape(s.name)}(?!\w)", text)]


def _message(err: ErrorDetails, spec: FieldSpec | None) -> str:
    """A short sentence for one pydantic error."""
    kind, value = err["type"], err.get("input")
    if kind in ("float_parsing", "int_parsing", "float_type", "int_type"):
        return f"Not a number (got {value!r}); type e.g. 0.0002 or 2e-4"
    if kind == "string_too_short":
        return "Must not be empty"
    if kind == "string_pattern_mismatch" and spec is not None:
        return f"{value!r} is not allowed here. {spec.description}"
    # Cross-field messages are core's own words; pydantic's start "Input should be …".
    msg = str(err["msg"]).removeprefix("Value error, ").replace("Input should be", "Must be")
    if spec is not None and kind in ("greater_than", "greater_than_equal", "less_than",
                                     "less_than_equal"):
        msg += f" (got {value!r})"
    return msg
