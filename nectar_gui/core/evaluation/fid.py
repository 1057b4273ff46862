"""FID and KID from a local Inception-v3 weights file the user names.

Nothing is downloaded: ``logging.inception_weights`` (or ``nectar eval
--inception-weights``) must point at torchvision's Inception-v3 state dict — the
``inception_v3_google-*.pth`` that torchvision keeps in its cache, or the same tensors
as ``.safetensors``. It is read with ``weights_only=True``. Features are the 2048 pooled
activations before the classifier, of images resized to 299×299 and normalised with
ImageNet statistics, as torchvision's weights expect.

- FID: ‖μ₁−μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁^½ Σ₂ Σ₁^½)^½), in float64, the matrix roots through
  symmetric eigendecompositions (no SciPy at run time).
- KID: the unbiased squared MMD with the cubic polynomial kernel (x·y/d + 1)³ over all
  features (no subsets: validation sets are small).

Both are set-level: with few images FID is biased upwards, so compare only numbers
measured on the same number of images. Values from torchvision's weights are not
comparable with papers that use the TF-ported FID network.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from nectar_gui.core.evaluation.records import EvaluationError

#: Inception's input side and ImageNet normalisation (torchvision's weights).
INPUT_SIDE = 299
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


def load_inception(path: str | Path, device: torch.device) -> nn.Module:
    """torchvision's Inception-v3 with the weights of ``path``, returning pooled features.

    Raises:
        EvaluationError: the file is missing, unreadable, or not Inception-v3 weights.
    """
    return _load(str(Path(path).expanduser()), str(device))


@lru_cache(maxsize=2)
def _load(path: str, device: str) -> nn.Module:
    from torchvision.models import inception_v3

    state = _read_state(Path(path))
    net = inception_v3(weights=None, aux_logits=True, init_weights=False,
                       transform_input=False)
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith("AuxLogits.")]
    if missing or unexpected:
        keys = ", ".join((missing or unexpected)[:3])
        raise EvaluationError(f"{Path(path).name} is not an Inception-v3 weights file "
                              f"(torchvision's layout): {'missing' if missing else 'unknown'} "
                              f"keys such as {keys}")
    net.fc = nn.Identity()  # the 2048 pooled features, not the 1000 classes
    net.AuxLogits = None
    net.aux_logits = False
    return net.to(device).eval()


def _read_state(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise EvaluationError(f"The Inception weights file {path} does not exist "
                              f"(logging.inception_weights)")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickles refused by weights_only, damaged files, …
        raise EvaluationError(f"The Inception weights file {path.name} cannot be read "
                              f"safely: {str(exc).splitlines()[0][:200]}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor)
                                               for v in state.values()):
        raise EvaluationError(f"{path.name} holds no plain state dict of tensors")
    return state


def inception_features(net: nn.Module, image: np.ndarray, device: torch.device) -> np.ndarray:
    """The (2048,) float64 features of one uint8 (H, W, C) image (grey made RGB)."""
    x = torch.from_numpy(np.ascontiguousarray(image)).to(device)
    if x.shape[2] == 1:
        x = x.expand(-1, -1, 3)
    x = x[:, :, :3].permute(2, 0, 1)[None].float() / 255.0  # (1, 3, H, W) in [0, 1]
    x = torch.nn.functional.interpolate(x, size=(INPUT_SIDE, INPUT_SIDE), mode="bilinear",
                                        align_corners=False, antialias=True)
    mean = torch.tensor(_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(_STD, device=device).view(1, 3, 1, 1)
    with torch.inference_mode():
        features = net((x - mean) / std)  # (1, 2048)
    return features[0].double().cpu().numpy()


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """FID between two (N, d) feature sets (NaN with fewer than two of either)."""
    if len(real) < 2 or len(fake) < 2:
        return float("nan")
    mu = real.mean(0) - fake.mean(0)
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    root1 = _sqrt_psd(s1)
    cross = np.clip(np.linalg.eigvalsh(root1 @ s2 @ root1), 0.0, None)
    return float(mu @ mu + np.trace(s1) + np.trace(s2) - 2.0 * np.sqrt(cross).sum())


def kernel_inception_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """KID: unbiased squared MMD, cubic polynomial kernel (NaN with fewer than two)."""
    m, n = len(real), len(fake)
    if m < 2 or n < 2:
        return float("nan")
    d = real.shape[1]
    k_rr = (real @ real.T / d + 1.0) ** 3
    k_ff = (fake @ fake.T / d + 1.0) ** 3
    k_rf = (real @ fake.T / d + 1.0) ** 3
    within_r = (k_rr.sum() - np.trace(k_rr)) / (m * (m - 1))
    within_f = (k_ff.sum() - np.trace(k_ff)) / (n * (n - 1))
    return float(within_r + within_f - 2.0 * k_rf.mean())


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a covariance matrix (negative rounding clipped)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
