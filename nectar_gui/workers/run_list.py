"""Lists a workspace's runs and their checkpoints for the model picker, off the UI thread.

The listing lives in ``core.translate.loading``, which imports torch (seconds, the first
time), so it runs on a private one-thread pool. It is separate from the translate
worker's thread: refreshing the list never waits behind a long batch.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Relay(QObject):
    done = Signal(object)  # (request number, list[RunCheckpoints])


class _ListJob(QRunnable):
    def __init__(self, workspace: Path, request: int, relay: _Relay) -> None:
        super().__init__()
        self._workspace, self._request, self._relay = workspace, request, relay

    def run(self) -> None:
        try:
            from nectar_gui.core.translate.loading import list_workspace_runs

            runs = list_workspace_runs(self._workspace)
        except Exception:  # an unreadable workspace lists nothing; the picker says so
            runs = []
        with contextlib.suppress(RuntimeError):  # the lister is gone; nobody listens
            self._relay.done.emit((self._request, runs))


class RunLister(QObject):
    """``refresh(workspace)`` → ``listed(list[RunCheckpoints])`` for the newest request."""

    listed = Signal(object)  # list[RunCheckpoints]

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._request = 0
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_relay_done)

    def refresh(self, workspace: Path) -> None:
        self._request += 1
        self._pool.start(_ListJob(workspace, self._request, self._relay))

    def wait(self, msecs: int = -1) -> bool:
        """Wait for the pool thread to finish; False on timeout."""
        self._request += 1  # anything still running is stale now
        return bool(self._pool.waitForDone(msecs))

    def _on_relay_done(self, outcome: tuple[int, object]) -> None:
        request, runs = outcome
        if request == self._request:
            self.listed.emit(runs)
