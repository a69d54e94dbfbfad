"""Shopify's leaky bucket, modelled from the `extensions.cost` every answer carries.

Pure arithmetic over (status, time): the client asks `wait_before(cost, now)` and sleeps
exactly that, so a run that never nears the limit never pauses (the seed's fixed 1 s sleep
and its "pause below 200 points" rule both waste time the bucket does not ask for).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def finite_number(value: Any) -> float | None:
    """A JSON number that is a real, finite, non-negative figure; None for anything else
    (a bool, a string, 1e999 parsed as inf): Shopify's figures feed sleeps and sums here."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


# No single pause the bucket model asks for is longer than this: a Standard bucket refills a
# 1,000-point query in 20 s; a longer figure means the reported status is nonsense.
MAX_PAUSE = 60.0


@dataclass(frozen=True)
class ThrottleStatus:
    maximum_available: float
    currently_available: float
    restore_rate: float

    @classmethod
    def from_json(cls, status: Mapping[str, Any] | None) -> ThrottleStatus | None:
        if not isinstance(status, Mapping):
            return None
        maximum = finite_number(status.get("maximumAvailable"))
        available = finite_number(status.get("currentlyAvailable"))
        rate = finite_number(status.get("restoreRate"))
        if maximum is None or available is None or not rate:
            return None
        return cls(maximum_available=maximum, currently_available=min(available, maximum), restore_rate=rate)


@dataclass(frozen=True)
class QueryCost:
    requested: float | None
    actual: float | None
    throttle_status: ThrottleStatus | None

    @classmethod
    def from_extensions(cls, extensions: Mapping[str, Any] | None) -> QueryCost | None:
        cost = (extensions or {}).get("cost") if isinstance(extensions, Mapping) else None
        if not isinstance(cost, Mapping):
            return None

        def number(key: str) -> float | None:
            return finite_number(cost.get(key))

        return cls(
            number("requestedQueryCost"),
            number("actualQueryCost"),
            ThrottleStatus.from_json(cost.get("throttleStatus")),
        )


_ROUNDING_MARGIN = 1.0


def throttled_wait(requested: float, status: ThrottleStatus) -> float:
    """Seconds until the bucket holds `requested` points: (requested − available) / restoreRate."""
    if status.restore_rate <= 0:
        return 0.0
    return max(0.0, (requested - status.currently_available) / status.restore_rate)


class BucketModel:
    """The client's picture of one shop's bucket. Thread-safe, so several batches in flight
    share one budget: each call reserves its expected cost before it is sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._status: ThrottleStatus | None = None
        self._observed_at = 0.0
        self._reserved = 0.0
        self._sends = 0  # calls numbered so far by next_send_number, in the order they left
        self._sends_when_adopted = 0  # how many had left when the adopted status was read

    def available_at(self, now: float) -> float | None:
        with self._lock:
            return self._available_locked(now)

    def _available_locked(self, now: float) -> float | None:
        if self._status is None:
            return None
        return self._refilled_locked(now) - self._reserved

    def _refilled_locked(self, now: float) -> float:
        """The adopted figure refilled up to `now`, before reservations (a status is adopted)."""
        refilled = self._status.currently_available + (now - self._observed_at) * self._status.restore_rate
        return min(self._status.maximum_available, refilled)

    def wait_before(self, cost: float, now: float) -> float:
        """Seconds to wait so a call of `cost` points is not throttled (0 when unknown)."""
        with self._lock:
            return self._wait_locked(cost, now)

    def acquire(self, cost: float, now: float) -> float:
        """Reserve `cost` and return how long to wait before sending. Deciding and reserving in
        one step keeps calls in flight from all seeing the same free points and firing at once."""
        with self._lock:
            wait = self._wait_locked(cost, now)
            self._reserved += cost
            return wait

    def _wait_locked(self, cost: float, now: float) -> float:
        available = self._available_locked(now)
        if available is None or self._status is None:
            return 0.0
        cost = min(cost, self._status.maximum_available)
        if available >= cost:
            return 0.0
        # Shopify reports whole points, rounded down: wait for one more so a call sent at the
        # computed instant is never short by a fraction.
        status = ThrottleStatus(self._status.maximum_available, available, self._status.restore_rate)
        return min(MAX_PAUSE, throttled_wait(cost + _ROUNDING_MARGIN, status))

    def release(self, cost: float) -> None:
        with self._lock:
            self._reserved = max(0.0, self._reserved - cost)

    def next_send_number(self) -> int:
        """Number a call in the order calls leave: take it after the call's pause, right before
        its request goes out, and hand it back to `observe` with the call's answer."""
        with self._lock:
            self._sends += 1
            return self._sends

    def observe(self, status: ThrottleStatus | None, now: float, send_number: int) -> None:
        """Adopt Shopify's own figure unless what the model holds may be fresher.

        An answer to a call sent after the adopted figure was read was computed after that
        figure: it counts all it counted (refunds too) and is adopted whatever it says. Calls in
        flight together reach Shopify in any order and their answers are read in any order, so
        the answer to a call already in flight when the adopted figure was read may be older or
        newer than it: it is adopted only if it says fewer points. The model may then run low
        until a later call's answer puts it right, but never counts points the bucket no longer
        holds. (An older answer read late and adopted would: calls charged after it was computed
        have released their reservations, and the next call would go into a THROTTLED answer.)"""
        if status is None:
            return
        with self._lock:
            if self._status is not None and send_number <= self._sends_when_adopted:
                if status.currently_available >= self._refilled_locked(now):
                    return
            self._status = status
            self._observed_at = now
            self._sends_when_adopted = self._sends
