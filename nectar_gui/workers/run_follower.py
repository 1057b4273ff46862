"""Following a run folder — finished, or being written right now — off the UI thread.

A poller on its own thread reads the folder with :class:`RunReader` every
``POLL_INTERVAL_MS`` and reports what is new. Polling rather than a file-system watcher,
because watchers miss changes on network file systems, where cluster runs usually live.
Nothing is ever written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot

from nectar_gui.core.evaluation.best import read_best
from nectar_gui.core.rundir import RunDirError, RunReader

POLL_INTERVAL_MS = 500
METRICS_BATCH = 10_000  # metric dicts per signal, so a huge history arrives in slices


class _RunPoller(QObject):
    """Reads one run folder on the follower's thread and sends ``(kind, payload)`` news."""

    news = Signal(object)  # tuple[str, Any]: a RunFollower signal name and its payload

    def __init__(self, root: Path, interval_ms: int) -> None:
        super().__init__()
        self._root = root
        self._reader = RunReader(root)
        self._interval_ms = interval_ms
        self._home = self.thread()  # where the poller returns when it stops
        self._timer: QTimer | None = None
        self._config_sent = False
        self._sent: dict[str, Any] = {}  # last of each whole list sent (samples, checkpoints…)
        self._last_error: str | None = None

    @Slot()
    def begin(self) -> None:
        """Start polling (runs on the poller's thread)."""
        self._timer = QTimer(self)
        self._timer.setInterval(self._interval_ms)
        self._timer.timeout.connect(self.poll)
        self._timer.start()
        self.poll()

    @Slot()
    def shutdown(self) -> None:
        """Stop the timer, hand the poller back to its home thread, end this thread."""
        if self._timer is not None:
            self._timer.stop()
        own_thread = QThread.currentThread()
        self.moveToThread(self._home)
        own_thread.quit()

    @Slot()
    def poll(self) -> None:
        """Read what changed; a problem is reported once, and polling goes on."""
        try:
            self._poll_once()
        except (OSError, RunDirError) as exc:
            message = str(exc)
            if message != self._last_error:
                self._last_error = message
                self.news.emit(("error", message))
        else:
            self._last_error = None

    def _poll_once(self) -> None:
        if not self._root.is_dir():
            raise RunDirError(f"Run folder {self._root} does not exist. Check the path, or "
                              f"start the run that writes it; it is opened once it appears.")
        if not self._config_sent:
            self._send_config()
        records = self._reader.read_new_metrics()
        if self._reader.restarted:  # metrics.jsonl was rewritten: the history starts over
            self._sent.clear()
            self.news.emit(("reset", None))
            self._send_config()
        for start in range(0, len(records), METRICS_BATCH):
            self.news.emit(("metrics", records[start:start + METRICS_BATCH]))
        self._send_if_changed("sample_steps", self._reader.sample_steps())
        self._send_if_changed("checkpoints", self._reader.checkpoint_steps())
        # val.jsonl holds a line per validation (tens, not millions): sent whole on change.
        self._send_if_changed("validations", self._reader.all_validations())
        self._send_if_changed("best", read_best(self._reader.paths.checkpoints))
        self._send_if_changed("plan", self._reader.plan())

    def _send_config(self) -> None:
        config = self._reader.config()  # RunDirError when config.json is missing or bad
        self._config_sent = True
        self.news.emit(("config_loaded", config))

    def _send_if_changed(self, kind: str, value: Any) -> None:
        if kind not in self._sent or self._sent[kind] != value:
            self._sent[kind] = value
            self.news.emit((kind, value))


class RunFollower(QObject):
    """Follows one run folder from a background thread and reports through signals.

    ``metrics`` carries only lines that are new since the last report; ``reset`` comes
    first when metrics.jsonl was rewritten (a run resumed from an earlier checkpoint),
    so the receiver drops what it has. Sample and checkpoint lists are sent whole,
    whenever they change. ``error`` reports a problem once; polling goes on, so a
    folder that appears later is still picked up.
    """

    config_loaded = Signal(object)  # dict: the raw config.json
    metrics = Signal(object)  # list[dict]: new metrics lines, oldest first
    reset = Signal()  # the run's history was rewritten; clear what was shown
    sample_steps = Signal(object)  # list[int]: steps with a sample, ascending
    checkpoints = Signal(object)  # list[int]: steps with a complete checkpoint, ascending
    validations = Signal(object)  # list[ValidationRecord]: every val.jsonl line, in order
    best = Signal(object)  # BestMark | None: what checkpoints/BEST names
    plan = Signal(object)  # RunPlan | None: how many steps the run is meant to take
    error = Signal(str)  # a plain message for the user

    def __init__(self, parent: QObject | None = None, *,
                 interval_ms: int = POLL_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._interval_ms = interval_ms
        self._thread: QThread | None = None
        self._poller: _RunPoller | None = None
        self._path: Path | None = None
        self._forward = {"config_loaded": self.config_loaded, "metrics": self.metrics,
                         "sample_steps": self.sample_steps, "checkpoints": self.checkpoints,
                         "validations": self.validations, "best": self.best,
                         "plan": self.plan,
                         "error": self.error}

    def start(self, path: str | Path) -> None:
        """Follow ``path`` (stopping whatever was followed before)."""
        self.stop()
        self._path = Path(path)
        self._thread = QThread()
        self._thread.setObjectName(f"RunFollower {self._path.name}")
        self._poller = _RunPoller(self._path, self._interval_ms)
        self._poller.moveToThread(self._thread)
        self._poller.news.connect(self._on_poller_news)
        self._thread.started.connect(self._poller.begin)
        self._thread.start()

    def stop(self) -> None:
        """Stop following and wait for the thread to end (safe to call twice)."""
        thread, poller = self._thread, self._poller
        self._thread = self._poller = None  # news still queued from the old poller is ignored
        if thread is None or poller is None:
            return
        QMetaObject.invokeMethod(poller, "shutdown", Qt.ConnectionType.QueuedConnection)
        thread.wait()
        poller.news.disconnect(self._on_poller_news)

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def path(self) -> Path | None:
        """The folder followed now, or last."""
        return self._path

    @Slot(object)
    def _on_poller_news(self, news: tuple[str, Any]) -> None:
        if self._poller is None or self.sender() is not self._poller:
            return  # from a poller stopped since it was sent
        kind, payload = news
        if kind == "reset":
            self.reset.emit()
        else:
            self._forward[kind].emit(payload)
