"""Whether a run can start now, and if not, the one reason and where to fix it."""

from __future__ import annotations

from nectar_gui.core.config import NectarConfig


def start_problem(config: NectarConfig | None) -> str | None:
    """Why Start is not possible with the editor's ``config`` (None if it is invalid)."""
    if config is None:
        return "The configuration has errors (shown in red)."
    if not config.data.root:
        return "Choose a dataset first (Dataset tab), or use the demo dataset."
    return None
