"""The smallest QThreadPool job: run one function (the pool deletes the job after)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRunnable


class FunctionJob(QRunnable):
    """Runs ``fn`` on a pool thread; ``fn`` reports back through its owner's signals."""

    def __init__(self, fn: Callable[[], None]) -> None:
        super().__init__()
        self._fn = fn
        self.setAutoDelete(True)

    def run(self) -> None:
        self._fn()
