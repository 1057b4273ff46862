"""pix2pix really learns the demo task: 200 steps cut G's L1 on held-out pairs clearly.

This is the README's first run (``nectar demo-data`` then ``nectar train --preset
demo-pix2pix --max-steps 200``), checked on the demo's ``val/`` pairs, which training
never sees, against the same G before its first step.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nectar_gui.cli import main
from nectar_gui.core.checkpoints import latest_checkpoint, load_checkpoint
from nectar_gui.core.config import NectarConfig, load_config
from nectar_gui.core.data.datasets import build_dataset
from nectar_gui.core.models import build_generator
from nectar_gui.core.rundir import RunReader
from nectar_gui.core.training.control import TrainingControl
from nectar_gui.core.training.reports import ErrorReport
from nectar_gui.core.training.session import SessionOptions, TrainingSession

STEPS = 200


def untrained_weights(config: NectarConfig) -> dict[str, torch.Tensor]:
    """G as the run built it: same config and seed, stopped before its first step."""
    control = TrainingControl()
    control.request_stop()
    session = TrainingSession(config, SessionOptions())
    errors = [r for r in session.run(control) if isinstance(r, ErrorReport)]
    assert not errors and session.model is not None and session.counters.step == 0
    return session.model.weights()["G"]


def held_out_l1(config: NectarConfig, weights: dict[str, torch.Tensor]) -> float:
    """Mean |G(A) − B| over the demo's val/ pairs (centre crops), G in eval mode."""
    m = config.model
    g = build_generator(arch=m.generator, input_nc=m.input_nc, output_nc=m.output_nc,
                        ngf=m.ngf, norm=m.norm, dropout=m.dropout, n_blocks=m.resnet_blocks,
                        n_downs=m.unet_downs)
    g.load_state_dict(weights)
    g.eval()
    val = build_dataset(config.data.model_copy(update={"split": "val"}), input_nc=m.input_nc,
                        output_nc=m.output_nc, train=False)
    items = [val[i] for i in range(len(val))]
    real_a = torch.stack([item["A"] for item in items])  # (N, 3, 64, 64)
    real_b = torch.stack([item["B"] for item in items])
    with torch.no_grad():
        return float((g(real_a) - real_b).abs().mean())


@pytest.mark.slow
def test_demo_pix2pix_learns_in_200_steps(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    data, run = tmp_path / "d", tmp_path / "run"
    assert main(["demo-data", str(data), "--kind", "paired"]) == 0
    # One thread: the test machine is small and shared, and spinning BLAS threads on
    # busy cores make every step several times slower.
    status = main(["train", "--preset", "demo-pix2pix", "--data", str(data), "--max-steps",
                   str(STEPS), "--run-dir", str(run), "--set", "runtime.threads=1"])
    err = capsys.readouterr().err
    assert status == 0, err

    reader = RunReader(run)  # a complete run folder
    assert reader.all_metrics()[-1]["step"] == STEPS
    assert reader.sample_steps()[-1] == STEPS
    assert reader.checkpoint_steps() == [STEPS]
    assert f"Training completed at step {STEPS}" in (run / "log.txt").read_text()

    config = load_config(run / "config.json")
    final = latest_checkpoint(run / "checkpoints")
    assert final is not None
    before = held_out_l1(config, untrained_weights(config))
    after = held_out_l1(config, load_checkpoint(final).weights["G"])
    assert after < 0.8 * before, f"held-out L1 {before:.3f} → {after:.3f}"
