"""The two ways a dataset can fail, each with a message a user can act on.

``DatasetError`` is about the folder (wrong layout, nothing in it) and stops a run
before it starts. ``ImageReadError`` is about one file; the scanner reports it up front
and the datasets skip such files during training instead of ending the epoch.
"""

from __future__ import annotations

from pathlib import Path


def expected_layouts(split: str = "train") -> str:
    """The one-line description of the accepted folder layouts, used in every message."""
    return (f"aligned ({split}/ with A|B side by side), paired (A/ and B/ with matching "
            f"file names), unaligned ({split}A/ and {split}B/)")


class DatasetError(ValueError):
    """A dataset folder cannot be used; the message names the folder and what to do.

    Args:
        message: the whole message, for a terminal or a log.
        short: the same without the list of accepted layouts, for a screen that shows
            that list beside it anyway (the Dataset tab). Defaults to ``message``.
    """

    def __init__(self, message: str, *, short: str | None = None) -> None:
        super().__init__(message)
        self.short = short or message


def layout_error(short: str, split: str) -> DatasetError:
    """``short`` followed by the accepted layouts (the tail every layout message has)."""
    return DatasetError(f"{short} — expected one of the layouts: {expected_layouts(split)}",
                        short=short)


class ImageReadError(Exception):
    """One image file cannot be decoded.

    Args:
        path: The file that failed.
        reason: What the decoder said, in plain words.

    The arguments are kept in ``args`` so the error survives pickling from a
    DataLoader worker process.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(str(path), reason)
        self.path = str(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot read {self.path}: {self.reason}"
