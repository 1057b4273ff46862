"""Ask D about any image: real tiny runs, maps equal to D run by hand on the same input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nectar_gui.core.checkpoints import latest_checkpoint, load_checkpoint
from nectar_gui.core.inspect_d import open_judges
from nectar_gui.core.inspect_d_info import JudgeError, JudgeRequest
from nectar_gui.core.models import build_discriminator
from nectar_gui.core.translate.loading import open_translator
from tests.core.test_translate_runs import _train
from tests.fields import patchgan_field

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, paired_data: Path,
         unpaired_data: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("judges")
    return {"pix2pix": _train(root, "pix2pix", paired_data, steps=1),
            "cyclegan": _train(root, "cyclegan", unpaired_data, steps=1)}


def image(height: int, width: int, seed: int, channels: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels), np.uint8)


def by_hand(run: Path, name: str, input_nc: int, *images: np.ndarray) -> np.ndarray:
    """D's map computed here from the checkpoint's weights, without the module under test."""
    ckpt = load_checkpoint(latest_checkpoint(run / "checkpoints") or run)
    net = build_discriminator(arch="patch", input_nc=input_nc, ndf=8, n_layers=3,
                              norm=ckpt.meta["config"]["model"]["norm"])
    net.load_state_dict(ckpt.weights[name])
    x = torch.cat([torch.from_numpy(i.transpose(2, 0, 1).copy()).float() / 127.5 - 1
                   for i in images])[None]  # (1, C, H, W)
    with torch.no_grad():
        return net.eval()(x)[0, 0].numpy()


def test_pix2pix_judges_an_image_with_the_condition_the_user_picked(
        runs: dict[str, Path]) -> None:
    judges = open_judges(runs["pix2pix"], device="cpu")
    info = judges.info
    assert (info.kind, info.domains, info.step, info.gan_mode) == ("pix2pix", ("B",), 1,
                                                                   "vanilla")
    assert info.receptive_field == patchgan_field(3) and info.conditional
    assert "70×70" in info.summary and "pix2pix-run" in info.summary
    b, a = image(70, 90, 1), image(70, 90, 2)
    record = judges.judge(JudgeRequest(b, "B", condition=a))
    assert record.patch_map_images == {"D(real_B)": "real_B"}
    assert list(record.images) == ["real_A", "real_B"]
    patch_map = record.patch_maps["D(real_B)"]
    assert patch_map.shape == (6, 9)  # any size: 70×90 px gives 6×9 cells
    np.testing.assert_allclose(patch_map, by_hand(runs["pix2pix"], "D", 6, a, b),
                               rtol=1e-5, atol=1e-5)


def test_pix2pix_judges_the_generators_output_with_its_input_as_condition(
        runs: dict[str, Path]) -> None:
    judges = open_judges(runs["pix2pix"], device="cpu")
    a = image(64, 48, 3)
    record = judges.judge(JudgeRequest(a, "B", translate=True))
    assert record.patch_map_images == {"D(fake_B)": "fake_B"}
    fake = open_translator(runs["pix2pix"], device="cpu").translate(a)
    np.testing.assert_array_equal(record.images["fake_B"], fake)
    np.testing.assert_allclose(record.patch_maps["D(fake_B)"],
                               by_hand(runs["pix2pix"], "D", 6, a, fake), rtol=1e-5, atol=1e-5)


def test_pix2pix_condition_is_required_and_resized(runs: dict[str, Path]) -> None:
    judges = open_judges(runs["pix2pix"], device="cpu")
    with pytest.raises(JudgeError, match="condition"):
        judges.judge(JudgeRequest(image(64, 64, 0), "B"))
    grey_rgba = image(40, 30, 4, channels=4)
    record = judges.judge(JudgeRequest(image(64, 80, 0, channels=1), "B", condition=grey_rgba))
    assert record.images["real_A"].shape == (64, 80, 3)  # converted and resized
    assert record.images["real_B"].shape == (64, 80, 3)  # grey judged as the model's RGB


def test_cyclegan_has_a_judge_per_domain(runs: dict[str, Path]) -> None:
    judges = open_judges(runs["cyclegan"], device="cpu")
    assert judges.info.domains == ("A", "B") and not judges.info.conditional
    a = image(50, 66, 5)
    own = judges.judge(JudgeRequest(a, "A"))
    np.testing.assert_allclose(own.patch_maps["D_A(real_A)"],
                               by_hand(runs["cyclegan"], "D_A", 3, a), rtol=1e-5, atol=1e-5)
    crossed = judges.judge(JudgeRequest(a, "B", translate=True))  # G_A(a), judged by D_B
    assert crossed.patch_map_images == {"D_B(fake_B)": "fake_B"}
    assert list(crossed.images) == ["real_A", "fake_B"]
    np.testing.assert_allclose(crossed.patch_maps["D_B(fake_B)"],
                               by_hand(runs["cyclegan"], "D_B", 3, crossed.images["fake_B"]),
                               rtol=1e-5, atol=1e-5)


def test_plain_messages_for_what_cannot_be_judged(runs: dict[str, Path],
                                                  tmp_path: Path) -> None:
    judges = open_judges(runs["pix2pix"], device="cpu")
    with pytest.raises(JudgeError, match=r"needs at least \d+×\d+ px"):
        judges.judge(JudgeRequest(image(12, 200, 0), "B", condition=image(12, 200, 1)))
    with pytest.raises(JudgeError, match="no discriminator for domain A"):
        judges.judge(JudgeRequest(image(64, 64, 0), "A"))
    with pytest.raises(JudgeError, match="neither a run folder"):
        open_judges(tmp_path)
