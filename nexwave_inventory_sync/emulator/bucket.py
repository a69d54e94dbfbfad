"""Shopify's leaky bucket for GraphQL query cost: one per shop, refilled per second."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .clock import SystemClock


@dataclass(frozen=True)
class Plan:
    maximum_available: int
    restore_rate: int


# Shopify's published GraphQL Admin limits per plan (points in the bucket, points per second).
PLANS: dict[str, Plan] = {
    "standard": Plan(maximum_available=2000, restore_rate=100),
    "advanced": Plan(maximum_available=4000, restore_rate=200),
    "plus": Plan(maximum_available=20000, restore_rate=1000),
}

# Float refills meet float waits: a client that waited exactly (cost - available) / rate must
# not be refused for a rounding error in the last digit.
_EPSILON = 1e-6


def plan_named(plan: str | Plan) -> Plan:
    if isinstance(plan, Plan):
        return plan
    try:
        return PLANS[plan]
    except KeyError:
        raise ValueError(f"unknown plan {plan!r}; choose one of {sorted(PLANS)}") from None


class LeakyBucket:
    """Points available now = min(maximum, last level + elapsed × restore rate)."""

    def __init__(self, plan: Plan, clock=None):
        self.plan = plan
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._available = float(plan.maximum_available)
        self._updated_at = self._clock.now()

    def _refill_locked(self) -> float:
        now = self._clock.now()
        elapsed = max(0.0, now - self._updated_at)
        self._available = min(
            float(self.plan.maximum_available), self._available + elapsed * self.plan.restore_rate
        )
        self._updated_at = now
        return self._available

    def take(self, cost: float) -> bool:
        """Deduct `cost` if the bucket holds it; False (nothing deducted) when it does not."""
        with self._lock:
            available = self._refill_locked()
            if cost > available + _EPSILON:
                return False
            self._available = max(0.0, available - cost)
            return True

    def refund(self, points: float) -> None:
        if points <= 0:
            return
        with self._lock:
            self._refill_locked()
            self._available = min(float(self.plan.maximum_available), self._available + points)

    def drain(self, to: float = 0.0) -> None:
        """Empty the bucket, as another app on the same shop would."""
        with self._lock:
            self._refill_locked()
            self._available = max(0.0, float(to))

    def currently_available(self) -> float:
        with self._lock:
            return self._refill_locked()

    def throttle_status(self) -> dict:
        # Shopify reports whole points; rounding down never promises what is not there.
        return {
            "maximumAvailable": float(self.plan.maximum_available),
            "currentlyAvailable": int(self.currently_available() + _EPSILON),
            "restoreRate": float(self.plan.restore_rate),
        }
