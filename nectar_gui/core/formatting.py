"""Small text formatters shared by the CLI and the app (torch-free)."""

from __future__ import annotations

import math


def format_duration(seconds: float | None) -> str:
    """'1h02m', '4m05s', '12s', or '?' when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    s = round(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


def format_bytes(n: float) -> str:
    """'512 B', '3.4 MB', '1.2 GB' (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def process_memory_bytes() -> int | None:
    """Resident memory of this process (Linux /proc; None where unavailable)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    import os

    return pages * os.sysconf("SC_PAGE_SIZE")
