"""Idempotency keys (2026-04+): the same key with the same input returns the first answer
without applying again; with a different input it is refused; while a request with the key is
still running, another one with it is told IDEMPOTENCY_CONCURRENT_REQUEST.

Documented ("Implementing idempotency", https://shopify.dev/docs/api/usage/implementing-idempotency,
and the InventorySetQuantitiesUserErrorCode enum): replay of the first answer, the mismatch
and concurrent-request codes, and a retention window of about a day, after which a key is
new again. The exact window (24 h here) and when it starts (the first answer) are our reading.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

KEY_RETENTION_SECONDS = 24 * 3600


def fingerprint(mutation_input: Any) -> str:
    return hashlib.sha256(json.dumps(mutation_input, sort_keys=True, default=str).encode()).hexdigest()


class IdempotencyStore:
    def __init__(self, clock: Any = None, retention: float = KEY_RETENTION_SECONDS) -> None:
        self._lock = threading.Lock()
        self._answers: dict[str, tuple[str, Any, float]] = {}
        self._running: set[str] = set()
        self.clock = clock  # the emulator's (virtual in tests); None: keys never expire
        self.retention = retention

    def _now(self) -> float:
        return self.clock.now() if self.clock is not None else 0.0

    def _expire_locked(self) -> None:
        if self.clock is None or not self._answers:
            return
        cutoff = self._now() - self.retention
        # Insertion order is answer order: stop at the first key still fresh.
        for key in list(self._answers):
            if self._answers[key][2] > cutoff:
                break
            del self._answers[key]

    def lookup(self, key: str) -> tuple[str, Any] | None:
        with self._lock:
            self._expire_locked()
            found = self._answers.get(key)
            return None if found is None else (found[0], found[1])

    def remember(self, key: str, print_: str, answer: Any) -> None:
        with self._lock:
            self._expire_locked()
            self._answers.setdefault(key, (print_, answer, self._now()))

    def begin(self, key: str) -> bool:
        """Mark a request with `key` as running; False when one already is."""
        with self._lock:
            if key in self._running:
                return False
            self._running.add(key)
            return True

    def end(self, key: str) -> None:
        with self._lock:
            self._running.discard(key)

    def __len__(self) -> int:
        with self._lock:
            self._expire_locked()
            return len(self._answers)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
