"""What goes wrong with the CLI's state file, as one line each that names the file."""

from __future__ import annotations

from pathlib import Path


class StateError(Exception):
    """The state file cannot be used; the message names the file and says why in one line."""

    def __init__(self, path: Path, cause: str):
        super().__init__(f"state file {path}: {cause}")
        self.path = path
        self.cause = cause


class StateBusy(StateError):
    """Another run holds the file's lock."""

    def __init__(self, path: Path, pid: int | None, waited_s: float):
        who = f"process {pid}" if pid else "another process"
        super().__init__(path, f"in use by another nexwave-sync run ({who}); waited {waited_s:g} s")
        self.pid = pid


class StateWriteFailed(StateError):
    """A write failed (locked by another program, read-only, disk full)."""


def first_line(exc: BaseException) -> str:
    """An exception's message in one line, for StateError's cause."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
