"""Augmentation in words, for the Dataset tab's "what the model sees" and the CLI.

Torch-free. Sides are named as the dataset folder names them (A, B): "input" is A for
A → B and B for B → A, which is what :func:`.augment.augment_pair` calls its first image.
"""

from __future__ import annotations

from nectar_gui.core.config import AugmentSection, DataSection
from nectar_gui.core.data.augment import AugmentParams, is_active


def input_side(cfg: DataSection) -> str:
    """The folder side ("A" or "B") that is the generator's input."""
    return "A" if cfg.direction == "AtoB" else "B"


def applies_to(sides: str, side: str, cfg: DataSection) -> bool:
    """Whether a change meant for ``sides`` ("input" / "both") reaches folder ``side``."""
    return sides == "both" or side == input_side(cfg)


def augment_summary(cfg: DataSection) -> str:
    """Which augmentations are on, e.g. "vertical flips, 90° turns · colour: brightness
    ±0.2 (A and B) · blur σ ≤ 1.5 px, JPEG 30 % (input A only)"; "" when none is."""
    aug = cfg.augment
    if not is_active(aug):
        return ""
    groups = [", ".join(_geometric_names(aug)),
              _with_sides(_colour_names(aug), aug.color_sides, cfg),
              _with_sides(_degrade_names(aug), aug.degrade_sides, cfg)]
    return " · ".join(group for group in groups if group)


def geometric_text(params: AugmentParams, *, square: bool) -> list[str]:
    """What this draw did to both images' shape: ["flipped upside down", "turned 90°"]."""
    done = ["flipped upside down"] if params.vflip else []
    turns = params.turns_for(square=square)
    if turns:
        done.append(f"turned {90 * turns}°")
    return done


def pixel_text(params: AugmentParams, cfg: DataSection, side: str) -> list[str]:
    """What this draw did to the pixels of folder ``side`` ("A" or "B")."""
    done: list[str] = []
    aug = cfg.augment
    if applies_to(aug.color_sides, side, cfg):
        done += _factor("brightness", params.brightness) + _factor("contrast", params.contrast)
        done += _factor("saturation", params.saturation)
        done += [f"hue {params.hue:+.2f}".replace("-", "−")] if params.hue else []
        done += [f"gamma {params.gamma:.2f}"] if params.gamma != 1.0 else []
        done += ["grey"] if params.grayscale else []
    if applies_to(aug.degrade_sides, side, cfg):
        done += [f"blur σ {params.blur_sigma:.1f} px"] if params.blur_sigma > 0 else []
        done += [f"noise σ {params.noise_std:.3f}"] if params.noise_std > 0 else []
        done += [f"JPEG q{params.jpeg_quality}"] if params.jpeg_quality is not None else []
    return done


def _factor(name: str, value: float) -> list[str]:
    return [f"{name} ×{value:.2f}"] if value != 1.0 else []


def _with_sides(names: list[str], sides: str, cfg: DataSection) -> str:
    if not names:
        return ""
    where = "A and B" if sides == "both" else f"input {input_side(cfg)} only"
    return f"{', '.join(names)} ({where})"


def _geometric_names(aug: AugmentSection) -> list[str]:
    return [name for name, on in (("vertical flips", aug.vflip), ("90° turns", aug.rot90))
            if on]


def _colour_names(aug: AugmentSection) -> list[str]:
    names = [f"{name} ±{amount:g}" for name, amount in (
        ("brightness", aug.brightness), ("contrast", aug.contrast),
        ("saturation", aug.saturation), ("hue", aug.hue)) if amount > 0]
    if aug.gamma > 0:
        names.append(f"gamma {1 / (1 + aug.gamma):.2f}–{1 + aug.gamma:.2f}")
    if aug.grayscale_p > 0:
        names.append(f"grey {aug.grayscale_p:.0%}")
    return names


def _degrade_names(aug: AugmentSection) -> list[str]:
    names = []
    if aug.blur_sigma > 0:
        names.append(f"blur σ ≤ {aug.blur_sigma:g} px")
    if aug.noise_std > 0:
        names.append(f"noise σ ≤ {aug.noise_std:g}")
    if aug.jpeg_p > 0:
        names.append(f"JPEG {aug.jpeg_p:.0%} at quality {aug.jpeg_quality_min}–95")
    return names
