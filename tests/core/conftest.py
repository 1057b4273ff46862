"""Engine tests share the tiny configs of tests/tiny.py (re-exported for older imports)."""

from collections.abc import Iterator

import pytest
import torch

from tests.tiny import TINY, tiny_config

__all__ = ["TINY", "tiny_config"]


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Tiny networks gain nothing from threads, and lose a lot on a busy 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
