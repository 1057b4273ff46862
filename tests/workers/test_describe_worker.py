"""DescribeWorker: debounced, newest result only, thread joined."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from nectar_gui.core.presets import load_preset
from nectar_gui.workers.describe import DescribeWorker, Description

TIMEOUT = 30_000


@pytest.fixture
def worker() -> Iterator[DescribeWorker]:
    w = DescribeWorker(delay_ms=20)
    yield w
    assert w.wait(TIMEOUT)


def test_a_burst_of_requests_is_described_once(qtbot: QtBot, worker: DescribeWorker) -> None:
    started: list[bool] = []
    worker.started.connect(started.append)
    configs = [load_preset("cyclegan").with_overrides({"optim.batch_size": n})
               for n in (1, 2, 3)]
    with qtbot.waitSignal(worker.described, timeout=TIMEOUT) as described:
        for config in configs:
            worker.request(config)
    assert len(started) == 1
    result = described.args[0]
    assert isinstance(result, Description) and result.config == configs[-1]
    assert result.info["discriminator"]["receptive_field"] == 70


def test_a_result_overtaken_by_a_newer_request_is_dropped(qtbot: QtBot,
                                                          worker: DescribeWorker) -> None:
    results: list[Description] = []
    worker.described.connect(results.append)
    old = load_preset("cyclegan")
    new = load_preset("pix2pix")
    with qtbot.waitSignal(worker.started, timeout=TIMEOUT):
        worker.request(old)
    worker.request(new)  # the old job is running or queued; its result must not show
    qtbot.waitUntil(lambda: bool(results), timeout=TIMEOUT)
    assert worker.wait(TIMEOUT)
    assert [r.config for r in results] == [new]


def test_cancel_drops_the_pending_result(qtbot: QtBot, worker: DescribeWorker) -> None:
    results: list[Description] = []
    worker.described.connect(results.append)
    with qtbot.waitSignal(worker.started, timeout=TIMEOUT):
        worker.request(load_preset("cyclegan"))
    worker.cancel()
    assert worker.wait(TIMEOUT)
    qtbot.wait(50)  # let any queued outcome arrive; it must be ignored
    assert results == [] and not worker.is_busy()
