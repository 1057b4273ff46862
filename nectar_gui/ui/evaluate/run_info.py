"""What the Evaluate tab needs to know about a run folder, read without torch.

A few small files (config.json, each checkpoint's meta.json, BEST, val.jsonl): cheap
enough for the UI thread, and never raising — whatever is wrong becomes ``problem``, a
sentence the tab shows instead of the evaluate controls.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from nectar_gui.core.data.errors import DatasetError
from nectar_gui.core.data.layouts import detect_layout, split_names
from nectar_gui.core.evaluation.best import BestMark, read_best
from nectar_gui.core.evaluation.records import DataKind, ValidationRecord
from nectar_gui.core.rundir import RunDirError, RunPaths, RunReader, complete_checkpoints

#: The splits a checkpoint is measured on (training images would flatter it).
EVAL_SPLITS = ("val", "test")


@dataclass(frozen=True)
class RunInfo:
    """One run folder as the Evaluate tab sees it.

    Attributes:
        run_dir: the folder.
        model: "pix2pix" or "cyclegan" ("" when unknown).
        kind: "paired" or "unpaired": which metrics its evaluation gives.
        direction: "AtoB" or "BtoA" (the run's ``data.direction``).
        steps: complete checkpoints, oldest first.
        best: what ``checkpoints/BEST`` says, or None.
        splits: the evaluation splits its dataset has (val before test).
        data_root: the dataset folder the run was trained on ("" when none).
        validations: the run's ``val.jsonl`` records (validation during training).
        problem: why nothing can be evaluated, for the user; None when it can.
    """

    run_dir: Path
    model: str = ""
    kind: DataKind = "paired"
    direction: str = "AtoB"
    steps: tuple[int, ...] = ()
    best: BestMark | None = None
    splits: tuple[str, ...] = ()
    data_root: str = ""
    validations: tuple[ValidationRecord, ...] = field(default=(), compare=False)
    problem: str | None = None

    @property
    def name(self) -> str:
        return self.run_dir.name

    @property
    def checkpoints_dir(self) -> Path:
        return RunPaths(self.run_dir).checkpoints

    def checkpoint(self, step: int) -> Path:
        """The folder of checkpoint ``step``."""
        return self.checkpoints_dir / f"{step:08d}"


def read_run(run_dir: Path) -> RunInfo:
    """Read ``run_dir``; anything that stops an evaluation is said in ``problem``."""
    run_dir = Path(run_dir)
    if not RunReader.is_run_dir(run_dir):
        return RunInfo(run_dir, problem=f"{run_dir} is not a Nectar run folder: it has no "
                       f"config.json. Open the folder that holds config.json and checkpoints/.")
    reader = RunReader(run_dir)
    try:
        config = reader.config()
        model = str(config.get("model", {}).get("kind", ""))
        data = config.get("data", {})
        data_root, direction = str(data.get("root") or ""), str(data.get("direction", "AtoB"))
    except (RunDirError, AttributeError) as exc:
        return RunInfo(run_dir, problem=f"The run's config cannot be read: {exc}")
    steps = tuple(int(p.name) for p in complete_checkpoints(RunPaths(run_dir).checkpoints))
    found = split_names(data_root) if data_root else []
    splits = tuple(s for s in EVAL_SPLITS if s in found)
    info = RunInfo(run_dir, model=model, kind=_kind(data_root, splits, model),
                   direction=direction, steps=steps,
                   best=read_best(RunPaths(run_dir).checkpoints), splits=splits,
                   data_root=data_root, validations=tuple(reader.all_validations()))
    return _with_problem(info, data_found=bool(found))


def _kind(data_root: str, splits: tuple[str, ...], model: str) -> DataKind:
    """Paired unless the split's folders are unaligned (the engine decides the same way)."""
    if not splits:
        return "unpaired" if model == "cyclegan" else "paired"
    try:
        layout = detect_layout(Path(data_root), split=splits[0])
    except DatasetError:
        return "unpaired" if model == "cyclegan" else "paired"
    return "unpaired" if layout.kind == "unaligned" else "paired"


def _with_problem(info: RunInfo, *, data_found: bool) -> RunInfo:
    if not info.steps:
        why = (f"The run {info.name} has no checkpoint yet, so there is nothing to evaluate. "
               f"Train it until a checkpoint is saved (logging.checkpoint_every_steps).")
    elif not info.data_root or not data_found:
        why = (f"The run's dataset folder {info.data_root or '(none)'} is not on this "
               f"machine, so its val and test images cannot be measured.")
    elif not info.splits:
        why = (f"The dataset {info.data_root} has no val/ or test/ split. Add a val/ folder "
               f"(same layout as train/) with images kept out of training, then evaluate.")
    else:
        return info
    return replace(info, problem=why)
