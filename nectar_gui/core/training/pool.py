"""The image history buffer of Shrivastava et al., used by CycleGAN's discriminators.

D sees, half the time, a fake from an earlier step instead of the newest one, which
damps oscillation. Randomness comes from a private generator so the pool's behaviour
is part of the checkpointed state and a resumed run repeats it exactly.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


class ImagePool:
    """Keeps up to ``size`` earlier generated images; ``size == 0`` passes images through."""

    def __init__(self, size: int, *, seed: int) -> None:
        self.size = size
        self._images: list[Tensor] = []
        self._rng = torch.Generator().manual_seed(seed)

    def query(self, images: Tensor) -> Tensor:
        """Return a batch like ``images`` (B, C, H, W), mixing in stored ones."""
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            image = image.unsqueeze(0)  # (1, C, H, W)
            if len(self._images) < self.size:
                self._images.append(image.clone())
                out.append(image)
            elif torch.rand(1, generator=self._rng).item() > 0.5:
                idx = int(torch.randint(0, self.size, (1,), generator=self._rng).item())
                out.append(self._images[idx].clone())
                self._images[idx] = image.clone()
            else:
                out.append(image)
        return torch.cat(out, 0)

    def state_dict(self) -> dict[str, Any]:
        """Stored images (on the CPU) and the RNG state."""
        return {"images": [t.cpu() for t in self._images], "rng": self._rng.get_state()}

    def load_state_dict(self, state: dict[str, Any], device: torch.device) -> None:
        """Restore from :meth:`state_dict`, moving images to ``device``."""
        self._images = [t.to(device) for t in state["images"]]
        self._rng.set_state(state["rng"])
