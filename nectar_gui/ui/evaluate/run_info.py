"""What the Evaluate tab needs to know about what it measures, read without torch.

Usually a run folder: a few small files (config.json, each checkpoint's meta.json, BEST,
val.jsonl), cheap enough for the UI thread. Or a loose generator file (a reference
``latest_net_G.pth``, a ``.safetensors`` or an exported ``.onnx``) with the dataset the
user names for it, shown as one checkpoint at step 0. Never raising: whatever is wrong
becomes ``problem``, a sentence the tab shows instead of the evaluate controls.
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
        generator_file: a loose generator measured on ``data_root`` instead of a run
            (``run_dir`` is then its folder); it has no BEST and no discriminator.
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
    generator_file: Path | None = None

    @property
    def name(self) -> str:
        return self.generator_file.name if self.generator_file else self.run_dir.name

    @property
    def is_file(self) -> bool:
        """A loose generator file, not a run: no BEST to mark, no D to inspect with."""
        return self.generator_file is not None

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


def read_generator_file(path: Path, data_root: Path) -> RunInfo:
    """A loose generator file and the dataset to measure it on, as a one-step "run"."""
    path, data_root = Path(path), Path(data_root)
    found = split_names(str(data_root)) if data_root.is_dir() else []
    splits = tuple(s for s in EVAL_SPLITS if s in found)
    info = RunInfo(path.parent, kind=_kind(str(data_root), splits, "pix2pix"), steps=(0,),
                   splits=splits, data_root=str(data_root), generator_file=path)
    if not path.is_file():
        why = f"The generator file {path} is not there any more."
    elif not found:
        why = (f"{data_root} holds no dataset in a layout Nectar knows: choose the folder "
               f"with val/ or test/ (A|B images side by side, or A/ and B/ inside).")
    elif not splits:
        why = (f"The dataset {data_root} has no val/ or test/ split. Add a val/ folder with "
               f"image pairs kept out of training, then evaluate.")
    elif info.kind == "unpaired":
        why = (f"{data_root} holds unpaired images. A generator file has no discriminator "
               f"and no generator back, so it can only be measured against targets: "
               f"choose a dataset of pairs.")
    else:
        return info
    return replace(info, problem=why)


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
