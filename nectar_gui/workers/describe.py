"""Describes configs (parameter counts, D's geometry, memory) off the UI thread.

``describe_config`` imports torch, which takes seconds the first time, and builds the
networks on the meta device, which takes tens of milliseconds. Requests are debounced
(an edit burst costs one computation) and only the newest request's result is reported,
so a slow stale result can never overwrite a newer one. Jobs run on a private one-thread
pool that ``wait()`` joins.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from nectar_gui.core.config import NectarConfig


@dataclass(frozen=True)
class Description:
    """The result for one request.

    Attributes:
        config: The config that was described.
        info: ``describe_config``'s dict (plain Python values only).
    """

    config: NectarConfig
    info: dict[str, Any]


@dataclass(frozen=True)
class _Outcome:
    request: int
    description: Description | None
    error: str


class _Latest:
    """The newest request number, read by jobs on the pool thread (an int read is atomic)."""

    def __init__(self) -> None:
        self.request = 0


class _Relay(QObject):
    """Carries a job's outcome from the pool thread to the UI thread (queued)."""

    done = Signal(object)  # _Outcome
    imported = Signal()  # PyTorch and the model code are loaded; measuring starts


def torch_ready() -> bool:
    """Whether the describe module (and so torch) has been imported already."""
    return hasattr(sys.modules.get("nectar_gui.core.describe"), "describe_config")


class _DescribeJob(QRunnable):
    def __init__(self, config: NectarConfig, request: int, latest: _Latest, relay: _Relay):
        super().__init__()
        self._config, self._request, self._latest, self._relay = config, request, latest, relay

    def run(self) -> None:
        if self._request != self._latest.request:
            return  # superseded while queued
        try:
            # Imported here: torch loads on the pool thread, never on the UI's.
            from nectar_gui.core.describe import describe_config

            with contextlib.suppress(RuntimeError):
                self._relay.imported.emit()
            outcome = _Outcome(self._request, Description(self._config,
                                                          describe_config(self._config)), "")
        except Exception as exc:  # any failure becomes a message, never a crash
            outcome = _Outcome(self._request, None, f"Could not describe this config: {exc}")
        with contextlib.suppress(RuntimeError):  # the worker is gone; nobody is listening
            self._relay.done.emit(outcome)


class DescribeWorker(QObject):
    """Computes ``describe_config`` in the background: debounced, newest result only.

    Call ``request(config)`` on every change and ``cancel()`` when there is nothing to
    describe; ``wait()`` before the owner goes away (it joins the pool thread).

    Args:
        delay_ms: Quiet time after the last request before computing.
    """

    started = Signal(bool)  # True when this computation first has to import PyTorch
    measuring = Signal()  # imports done; the networks are being built and measured
    described = Signal(object)  # Description of the newest request
    failed = Signal(str)  # message, for the newest request

    def __init__(self, parent: QObject | None = None, *, delay_ms: int = 250) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._latest = _Latest()
        self._pending: NectarConfig | None = None
        self._relay = _Relay(self)
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._relay.done.connect(self._on_relay_done)
        self._relay.imported.connect(self.measuring)

    def request(self, config: NectarConfig) -> None:
        """Describe ``config`` once no newer request arrives for ``delay_ms``."""
        self._latest.request += 1
        self._pending = config
        self._timer.start()

    def cancel(self) -> None:
        """Drop the pending request and ignore any result still being computed."""
        self._latest.request += 1
        self._pending = None
        self._timer.stop()

    def wait(self, msecs: int = -1) -> bool:
        """Cancel and wait for the pool thread to finish; False on timeout."""
        self.cancel()
        return self._pool.waitForDone(msecs)

    def is_busy(self) -> bool:
        """Whether a request is waiting or being computed."""
        return self._timer.isActive() or self._pool.activeThreadCount() > 0

    def _on_timer_timeout(self) -> None:
        config, self._pending = self._pending, None
        if config is None:
            return
        self.started.emit(not torch_ready())
        self._pool.start(_DescribeJob(config, self._latest.request, self._latest, self._relay))

    def _on_relay_done(self, outcome: _Outcome) -> None:
        if outcome.request != self._latest.request:
            return  # stale: a newer request is pending or running
        if outcome.description is not None:
            self.described.emit(outcome.description)
        else:
            self.failed.emit(outcome.error)
