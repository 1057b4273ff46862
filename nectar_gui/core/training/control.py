"""Stop / pause / save-now flags shared between the UI thread and the training loop.

The UI sets these directly (a queued Qt signal would wait until the busy loop yields,
which may be never); the loop reads them between steps.
"""

from __future__ import annotations

import threading


class TrainingControl:
    """Thread-safe flags the training loop checks between steps."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._checkpoint = threading.Event()

    def request_stop(self) -> None:
        """Ask the loop to save a checkpoint and end; also wakes a paused loop."""
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        """Ask the loop to wait after the current step."""
        self._running.clear()

    def resume(self) -> None:
        """Let a paused loop continue."""
        self._running.set()

    def request_checkpoint(self) -> None:
        """Ask for a checkpoint after the current step."""
        self._checkpoint.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def take_checkpoint_request(self) -> bool:
        """True once per request_checkpoint() call."""
        if self._checkpoint.is_set():
            self._checkpoint.clear()
            return True
        return False

    def wait_while_paused(self, timeout: float | None = None) -> bool:
        """Block while paused; True when running again (or stopping)."""
        return self._running.wait(timeout)
