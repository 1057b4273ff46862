"""The status bar's permanent fields: process memory and the PyTorch device."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QStatusBar

from nectar_gui.core.formatting import format_bytes, process_memory_bytes
from nectar_gui.ui.shell.log_panel import LogPanel
from nectar_gui.workers.engine import EngineInfo, EngineLoader

MEMORY_REFRESH_MS = 2000


class StatusFields(QObject):
    """Adds the memory and device labels to ``bar`` and keeps them current.

    The device label says "Loading PyTorch…" until the background import reports,
    because the window is shown before torch is imported.
    """

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.device_label = QLabel("Loading PyTorch…")
        self.memory_label = QLabel()
        self.start_hint = QLabel()  # why Start is off; hover texts replace it for a moment
        self.start_hint.setObjectName("startHint")
        bar.addWidget(self.start_hint, 1)
        bar.addPermanentWidget(self.memory_label)
        bar.addPermanentWidget(self.device_label)
        self._timer = QTimer(self)
        self._timer.setInterval(MEMORY_REFRESH_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()
        self._on_timer_timeout()

    def show_start_problem(self, problem: str | None) -> None:
        """Say why Start is off (None clears it)."""
        self.start_hint.setText(f"Cannot start yet: {problem}" if problem else "")
        self.start_hint.setToolTip(problem or "")

    def attach_engine_loader(self, loader: EngineLoader, log_panel: LogPanel) -> None:
        """Follow the background PyTorch import; a failure also goes to the log."""
        loader.loaded.connect(self.show_engine)
        loader.failed.connect(self.show_engine_failed)
        loader.failed.connect(lambda message: log_panel.append_message(message, "error"))

    def show_engine(self, info: EngineInfo) -> None:
        """PyTorch has loaded: show its version and the device training will use."""
        self.device_label.setText(f"PyTorch {info.torch_version} · {info.detail}")

    def show_engine_failed(self, _message: str = "") -> None:
        """PyTorch could not be imported (the log says why)."""
        self.device_label.setText("PyTorch unavailable")

    def _on_timer_timeout(self) -> None:
        rss = process_memory_bytes()
        self.memory_label.setText(f"Memory {format_bytes(rss)}" if rss else "")
