"""Counters the tests and benchmarks read. Thread-safe; never holds the access token."""

from __future__ import annotations

import threading
from collections import Counter


class Stats:
    _COUNTERS = (
        "calls",
        "throttled",
        "cost_requested",
        "cost_actual",
        "mutations_applied",
        "idempotent_replays",
        "quantities_set",
        "faults_injected",
        "rest_calls",
        "rest_throttled",
    )

    def __init__(self, keep_requests: bool = True):
        self._lock = threading.Lock()
        self.keep_requests = keep_requests
        self.reset()

    def reset(self) -> None:
        with self._lock:
            for name in self._COUNTERS:
                setattr(self, name, 0)
            self.calls_by_operation: Counter = Counter()
            self.requests: list[dict] = []

    def count(self, **increments: float) -> None:
        with self._lock:
            for name, value in increments.items():
                setattr(self, name, getattr(self, name) + value)

    def record(
        self,
        operation: str | None,
        variables: dict | None,
        api_version: str,
        idempotency_key: str | None,
        status: int,
    ) -> None:
        with self._lock:
            self.calls += 1
            self.calls_by_operation[operation or "?"] += 1
            if self.keep_requests:
                self.requests.append(
                    {
                        "operation": operation,
                        "variables": variables,
                        "api_version": api_version,
                        "idempotency_key": idempotency_key,
                        "status": status,
                    }
                )
