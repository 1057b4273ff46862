"""Follow a line-by-line file another process appends to (and may rewrite). No torch.

Used for ``val.jsonl`` by :class:`nectar_gui.core.rundir.RunReader`, with the same rule
as its metrics reading: only complete lines are returned, and the last line returned is
read again on the next call — if it is no longer where it was, the file was truncated or
replaced (a resumed run cut its history), so reading starts over and ``restarted`` is set.
"""

from __future__ import annotations

from pathlib import Path


class LineTail:
    """Incremental reader of complete lines of one file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._offset = 0
        self._last_line = b""
        self.restarted = False

    def read_new(self) -> list[bytes]:
        """Complete non-empty lines added since the previous call (a partial line waits)."""
        data = self._read_from(self._offset - len(self._last_line))
        self.restarted = not data.startswith(self._last_line)
        if self.restarted:
            self._offset, self._last_line = 0, b""
            data = self._read_from(0)
        data = data[len(self._last_line):]
        complete = data[:data.rfind(b"\n") + 1]
        if complete:
            self._offset += len(complete)
            self._last_line = complete[complete.rstrip(b"\n").rfind(b"\n") + 1:]
        return [ln for ln in complete.splitlines() if ln.strip()]

    def read_all(self) -> list[bytes]:
        """Every complete non-empty line, read afresh (the incremental position stays)."""
        data = self._read_from(0)
        return [ln for ln in data[:data.rfind(b"\n") + 1].splitlines() if ln.strip()]

    def _read_from(self, offset: int) -> bytes:
        try:
            with self.path.open("rb") as handle:
                handle.seek(offset)
                return handle.read()
        except FileNotFoundError:
            return b""
