"""What the emulator saw and did, for tests and benchmarks to assert on. Thread-safe."""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Any

REQUEST_HISTORY = 10_000

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
    "activations",
    "bulk_operations",
)


class EmulatorStats:
    """Counters:
    calls                every request to a GraphQL path (faults and 401s included)
    calls_by_operation   operationName -> requests
    throttled            THROTTLED answers (forced by a fault or by the bucket)
    cost_requested/actual  summed over executed requests
    mutations_applied    inventorySetQuantities calls that wrote at least one row (replays not counted)
    idempotent_replays   calls answered from the idempotency cache
    quantities_set       rows written
    faults_injected      requests that met a fault
    rest_calls, rest_throttled  requests to the two REST endpoints (old-connector benchmark)
    requests             the last REQUEST_HISTORY requests (keep_requests=True), or the last n
                         (keep_requests=n), one dict each: operation, variables, api_version,
                         idempotency_key, status (None when the connection was dropped);
                         never the access token. Bounded so a long-running emulator never grows.
    """

    def __init__(self, keep_requests: bool | int = True) -> None:
        self._lock = threading.Lock()
        if keep_requests is True:
            self._history = REQUEST_HISTORY
        else:
            self._history = int(keep_requests or 0)
        self.keep_requests = self._history > 0
        self.reset()

    def reset(self) -> None:
        with self._lock:
            for name in _COUNTERS:
                setattr(self, name, 0)
            self.calls_by_operation: Counter = Counter()
            self._requests: deque[dict[str, Any]] = deque(maxlen=self._history or 1)

    def add(self, **increments: float) -> None:
        with self._lock:
            for name, value in increments.items():
                if name not in _COUNTERS:
                    raise AttributeError(name)
                setattr(self, name, getattr(self, name) + value)

    def count_call(self, operation: str | None) -> None:
        with self._lock:
            self.calls += 1
            self.calls_by_operation[operation or "(anonymous)"] += 1

    def record(self, request: dict[str, Any]) -> None:
        if not self.keep_requests:
            return
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """A copy of the kept history, oldest first."""
        with self._lock:
            return list(self._requests)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            summary = {name: getattr(self, name) for name in _COUNTERS}
            summary["calls_by_operation"] = dict(self.calls_by_operation)
            return summary

    def __repr__(self) -> str:
        return f"EmulatorStats({self.snapshot()})"
