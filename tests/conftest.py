"""Shared test settings: offscreen Qt, a small thread budget, no threads left behind."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def no_dangling_threads() -> Iterator[None]:
    """Fail any test that leaves a Python thread running (e.g. a worker never joined)."""
    before = set(threading.enumerate())
    yield
    leftover = [t for t in threading.enumerate()
                if t not in before and t.is_alive() and not t.daemon]
    for t in leftover:
        t.join(timeout=5)
    still = [t.name for t in leftover if t.is_alive()]
    assert not still, f"threads left running: {still}"


@pytest.fixture(scope="session")
def paired_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny aligned demo dataset (6 training pairs of 32 px)."""
    from nectar_gui.core.data.demo import write_demo_dataset

    return write_demo_dataset(tmp_path_factory.mktemp("paired") / "d", "paired",
                              n_train=6, n_test=2, size=32)


@pytest.fixture(scope="session")
def unpaired_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny unaligned demo dataset (6 images per domain, 32 px)."""
    from nectar_gui.core.data.demo import write_demo_dataset

    return write_demo_dataset(tmp_path_factory.mktemp("unpaired") / "d", "unpaired",
                              n_train=6, n_test=2, size=32)


@pytest.fixture(scope="session")
def inception_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised torchvision Inception-v3, saved as torchvision saves it.

    No real weights can be downloaded here: the FID values mean nothing, but every step
    from file to number is the one real weights take.
    """
    import torch
    from torchvision.models import inception_v3

    torch.manual_seed(0)
    net = inception_v3(weights=None, aux_logits=True, init_weights=False)
    path = tmp_path_factory.mktemp("inception") / "inception_v3_google-test.pth"
    torch.save(net.state_dict(), path)
    return path


@pytest.fixture
def small_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inception at 75 px, the smallest it takes: 16× less work, the same path."""
    from nectar_gui.core.evaluation import fid

    monkeypatch.setattr(fid, "INPUT_SIDE", 75)
