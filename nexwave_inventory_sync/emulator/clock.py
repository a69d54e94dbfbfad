"""Virtual time the engine and the emulator can share, so throttle waits and back-offs in
tests cost no wall time."""

from __future__ import annotations

import threading
import time

__all__ = ["FakeClock", "OverlappingClock", "SystemClock"]


class SystemClock:
    """Real time, behind the same now()/sleep() a virtual clock has (the engine's Clock
    protocol, stated here again so the emulator imports nothing from the client)."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


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


class OverlappingClock(FakeClock):
    """Virtual time for threads that sleep at the same time, as a real clock has it: a thread's
    sleep starts from the moment it last read the clock and the shared time moves to its
    wake-up only if no other thread has already taken it further. Four batches in flight that
    each wait a second take one virtual second, not four (FakeClock adds sleeps up, which
    hands a shared bucket four seconds of refill and would hide batches racing for it).

    Work between a reading and a sleep takes no virtual time, so the outcome does not depend
    on how fast the machine runs the threads. What it cannot model: a request sent after
    another thread's later wake-up is seen by the shop at that later time (more refill, never
    less), so it can hide a call sent too early, not invent a throttled one."""

    def __init__(self, start: float = 0.0):
        super().__init__(start)
        self._seen = threading.local()

    def now(self) -> float:
        with self._lock:
            self._seen.at = self._now
            return self._now

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            wake = getattr(self._seen, "at", self._now) + seconds
            self._now = max(self._now, wake)
            self._seen.at = wake
