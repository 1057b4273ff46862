"""What the Evaluate tab asks of the rest of the window."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from nectar_gui.core.evaluation.records import ImageResult
from nectar_gui.ui.evaluate.run_info import RunInfo


@dataclass(frozen=True)
class InspectRequest:
    """Open one evaluated image in the Inspector, judged by that checkpoint's D.

    Attributes:
        checkpoint: the checkpoint folder (``<run>/checkpoints/<step:08d>``).
        step: its training step.
        name: the image's name in the evaluation (the input's file stem).
        image_a: the generator's input file (domain A after the run's direction).
        image_b: the target (paired) or the B image evaluated with it (unpaired);
            None when ``image_a`` holds A and B side by side in one file.
        swapped: the run translates B → A, so A is the right half of a side-by-side
            file or the file from the B folder.
    """

    checkpoint: Path
    step: int
    name: str
    image_a: Path
    image_b: Path | None
    swapped: bool = False


def inspect_request(run: RunInfo, step: int, result: ImageResult) -> InspectRequest:
    """The request for one table row of checkpoint ``step`` of ``run``."""
    same_file = result.b_path is None or result.b_path == result.a_path
    return InspectRequest(checkpoint=run.checkpoint(step), step=step, name=result.name,
                          image_a=Path(result.a_path),
                          image_b=None if same_file else Path(str(result.b_path)),
                          swapped=run.direction == "BtoA")


def generator_input(request: InspectRequest, cache: Path) -> Path:
    """The file the Inspector should hand the generator: ``image_a`` itself, or for a
    side-by-side file its input half, cropped once into ``cache``.

    Raises:
        OSError: the file cannot be read or the crop cannot be written.
    """
    if request.image_b is not None:
        return request.image_a
    target = cache / f"{request.name}-{'B' if request.swapped else 'A'}-half.png"
    if not target.exists():
        with Image.open(request.image_a) as whole:
            half = whole.width // 2
            box = (half, 0, 2 * half, whole.height) if request.swapped else (0, 0, half,
                                                                              whole.height)
            cache.mkdir(parents=True, exist_ok=True)
            whole.crop(box).save(target)
    return target
