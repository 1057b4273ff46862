"""Whether a run can start now, and if not, the one reason and where to fix it.

Start (button, menu and Ctrl+Return) is enabled only when this says nothing; otherwise
its tooltip and the status bar show the reason, so a disabled button is never a riddle.
"""

from __future__ import annotations

from nectar_gui.core.config import NectarConfig


def start_problem(config: NectarConfig | None, dataset_problem: str | None) -> str | None:
    """Why Start is not possible, or None.

    Args:
        config: the editor's config; None when a field is invalid.
        dataset_problem: what the Dataset tab found against the chosen folder, if anything.
    """
    if config is None:
        return "The configuration has errors (shown in red in the Configuration panel)."
    if not config.data.root:
        return ("Choose a dataset first: Dataset tab → Open a folder…, or use the demo "
                "dataset.")
    return dataset_problem
