"""Idempotency keys (2026-04+): the same key with the same input returns the first answer
without applying again; with a different input it is refused. Shopify keeps keys about a
day; the emulator keeps them for its lifetime."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any


def fingerprint(mutation_input: Any) -> str:
    return hashlib.sha256(json.dumps(mutation_input, sort_keys=True, default=str).encode()).hexdigest()


class IdempotencyStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[str, tuple[str, Any]] = {}

    def lookup(self, key: str) -> tuple[str, Any] | None:
        with self._lock:
            return self._answers.get(key)

    def remember(self, key: str, print_: str, answer: Any) -> None:
        with self._lock:
            self._answers.setdefault(key, (print_, answer))

    def __len__(self) -> int:
        with self._lock:
            return len(self._answers)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
