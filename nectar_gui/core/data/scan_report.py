"""A dataset check as log lines: one per problem, and a count instead of a flood.

With a hundred broken files the terminal (and the app's log panel) should not scroll a
hundred lines: the first few are shown by name, the rest as one count, and the run's
``log.txt`` keeps every line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nectar_gui.core.data.scan import Problem

SHOWN_PER_CHECK = 10  # problem lines printed before the rest become one summary line


def problem_line(problem: Problem, *, skipped: bool = True) -> str:
    """One line: side, the file's path once, and what is wrong.

    Args:
        skipped: training goes on without the unreadable file, so say so.
    """
    if problem.path is None:
        return problem.message
    side = f"{problem.side} · " if problem.side else ""
    message = problem.message.replace(problem.path, Path(problem.path).name)
    text = f"{side}{problem.path}: {message}"
    if skipped and problem.severity == "error":
        text += " — training skips it"
    return text


def shown_problem_lines(lines: Sequence[str], *, usable: bool) -> list[str]:
    """The lines to show now: all of them if few, else the first ones and a count.

    Args:
        usable: whether training goes on (then the full list is in the run's log.txt).
    """
    if len(lines) <= SHOWN_PER_CHECK:
        return list(lines)
    rest = len(lines) - SHOWN_PER_CHECK
    where = ("the run folder's log.txt lists them all" if usable
             else "the Dataset tab (or the files named above) shows what is wrong")
    return [*lines[:SHOWN_PER_CHECK], f"… and {rest:,} more dataset problems; {where}"]
