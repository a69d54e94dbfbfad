"""Virtual time the engine and the emulator can share, so throttle waits and back-offs in
tests cost no wall time."""

from __future__ import annotations

import threading

from ..sync.clock import SystemClock  # one real clock for both sides

__all__ = ["FakeClock", "SystemClock"]


class FakeClock:
    """A clock whose `sleep` advances time at once. Thread-safe: several engine threads and
    the emulator's request threads may read and advance it together."""

    def __init__(self, start: float = 0.0):
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not run backwards")
        with self._lock:
            self._now += seconds

    def __repr__(self) -> str:
        return f"FakeClock(now={self.now():.3f})"
