"""Loads PyTorch in the background after the window is up, and says what it found.

Importing torch takes seconds; doing it on a worker thread lets the window appear at
once. The import lock makes any later ``import torch`` wait for this one, so nothing
else needs to coordinate with it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot


@dataclass(frozen=True)
class EngineInfo:
    """What the status bar and the About box show."""

    torch_version: str
    device: str
    detail: str
    cuda_version: str | None = None  # CUDA the PyTorch build was made for; None: no CUDA
    hip_version: str | None = None  # ROCm builds


def probe_engine() -> EngineInfo:
    """Import torch and describe the device ``auto`` would train on."""
    import torch

    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        device, detail = "cuda", torch.cuda.get_device_name(0) + (f" ×{count}" if count > 1
                                                                  else "")
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device, detail = "mps", "Apple GPU (MPS)"
    else:
        device, detail = "cpu", f"CPU, {os.cpu_count() or 1} cores"
    return EngineInfo(torch.__version__, device, detail, cuda_version=torch.version.cuda,
                      hip_version=getattr(torch.version, "hip", None))


class EngineLoader(QObject):
    """Imports torch on its own thread; ``loaded`` or ``failed`` fires, then ``finished``."""

    loaded = Signal(object)  # EngineInfo
    failed = Signal(str)  # message
    finished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._thread = QThread()
        self._thread.setObjectName("engine-loader")
        self.moveToThread(self._thread)
        self._thread.started.connect(self._load)
        self.finished.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        self._thread.start()

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Join the thread (closing the app, tests)."""
        return bool(self._thread.wait(timeout_ms))

    @Slot()
    def _load(self) -> None:
        try:
            self.loaded.emit(probe_engine())
        except Exception as exc:  # a broken install must not take the window down
            self.failed.emit(f"PyTorch could not be loaded: {exc}")
        finally:
            self.finished.emit()
