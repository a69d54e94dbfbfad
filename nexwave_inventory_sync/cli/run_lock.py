"""One run at a time per state file: `<state>.lock`, held with flock (a byte-range lock on
Windows) for the run."""

from __future__ import annotations

import os
import time
from pathlib import Path

from .state_errors import StateBusy, StateError


class RunLock:
    """`<state>.lock`, held with flock for the run; it holds the holder's pid for the message
    a waiting run prints. The kernel drops the lock when the holder dies, however it dies."""

    def __init__(self, path: Path):
        self.path = path
        self._handle = None

    def acquire(self, state_path: Path, wait_s: float) -> None:
        try:
            handle = open(self.path, "a+", encoding="ascii")  # noqa: SIM115 - held for the run
        except OSError as exc:
            raise StateError(
                state_path, f"cannot create its lock file {self.path}: {exc.strerror or exc}"
            ) from None
        started = time.monotonic()
        while not try_lock(handle):
            if time.monotonic() - started >= wait_s:
                handle.seek(0)
                text = handle.read().strip()
                handle.close()
                raise StateBusy(state_path, int(text) if text.isdigit() else None, wait_s)
            time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the descriptor releases the lock
            self._handle = None


def try_lock(handle) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows: a byte-range lock on the first byte does the same job
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
