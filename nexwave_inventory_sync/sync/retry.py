"""The retry policy: an immutable value and one table from error kind to action.

Separate budgets per kind (a THROTTLED answer never eats the 5xx budget), Retry-After honoured
and clamped, back-off with jitter, and a cap on the total time one call may spend waiting.
Retrying a mutation is safe: from 2026-04 it carries an idempotency key reused on every retry,
so Shopify replays the first attempt's answer. Before 2026-04 there is no key: a plain row sets
an absolute value, so a repeat lands on the same number, but a compare-and-set row whose first
attempt landed (its answer lost) is refused COMPARE_QUANTITY_STALE on the retry, since our own
write moved the figure. The conflict step reads Shopify's figure and, finding the quantity we
sent, confirms the row without a conflict (settle.settle_conflicts).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

from .errors import ErrorKind, ShopifyError, Throttled
from .throttle import ThrottleStatus, throttled_wait


class Action(Enum):
    RETRY = "retry"
    FAIL_BATCH = "fail_batch"  # this call's work fails with the real message; the run goes on
    ABORT_RUN = "abort_run"  # every later call would fail the same way: stop the run


@dataclass(frozen=True)
class Decision:
    action: Action
    wait: float = 0.0


# kind -> what to do with it. The one place this mapping lives.
ACTIONS: dict[ErrorKind, Action] = {
    ErrorKind.THROTTLED: Action.RETRY,
    ErrorKind.RATE_LIMITED: Action.RETRY,
    ErrorKind.SERVER: Action.RETRY,
    ErrorKind.CONNECTION: Action.RETRY,
    # A refused connection, an unknown host or a failed TLS handshake: one retry (a restart
    # or a DNS blip), then the run stops with the reason instead of failing every batch.
    ErrorKind.UNREACHABLE: Action.RETRY,
    # Our earlier attempt with the same key is still running at Shopify: wait, resend the key.
    ErrorKind.IDEMPOTENCY_IN_PROGRESS: Action.RETRY,
    ErrorKind.AUTH: Action.ABORT_RUN,
    ErrorKind.AUTH_GRANT: Action.ABORT_RUN,  # no token: every call would fail (sync/auth.py)
    ErrorKind.SHOP_UNAVAILABLE: Action.ABORT_RUN,
    ErrorKind.REDIRECT: Action.ABORT_RUN,  # every call would be redirected the same way
    ErrorKind.DEADLINE: Action.ABORT_RUN,
    ErrorKind.STOPPED: Action.ABORT_RUN,
    ErrorKind.INVALID_REQUEST: Action.FAIL_BATCH,
    # A body that is not the JSON we expect is most often an answer cut off on the way (or a
    # proxy's page): one retry, safe with the batch's idempotency key, then the batch fails.
    ErrorKind.BAD_RESPONSE: Action.RETRY,
}


# What a kind does once its retries are spent (default: fail the batch, the run goes on).
EXHAUSTED: dict[ErrorKind, Action] = {ErrorKind.UNREACHABLE: Action.ABORT_RUN}


@dataclass(frozen=True)
class RetryPolicy:
    throttled_retries: int = 6
    rate_limited_retries: int = 3
    # One entry per retry: 2 s then 4 s, then the batch fails (the seed's schedule).
    server_backoff: tuple[float, ...] = (2.0, 4.0)
    connection_backoff: tuple[float, ...] = (2.0, 4.0)
    unreachable_backoff: tuple[float, ...] = (1.0,)
    bad_response_backoff: tuple[float, ...] = (2.0,)
    # Shopify says "please try again" without a delay; a first attempt that timed out on our
    # side usually finishes within seconds. About half a minute in all, then the batch fails.
    in_progress_backoff: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0)
    jitter: float = 0.25  # up to +25 % so many workers do not retry in lock-step
    retry_after_default: float = 2.0  # a 429 without a usable Retry-After
    retry_after_cap: float = 60.0
    max_wait_per_call: float = 300.0  # all retries of one call together

    def budget(self, kind: ErrorKind) -> int:
        return {
            ErrorKind.THROTTLED: self.throttled_retries,
            ErrorKind.RATE_LIMITED: self.rate_limited_retries,
            ErrorKind.SERVER: len(self.server_backoff),
            ErrorKind.CONNECTION: len(self.connection_backoff),
            ErrorKind.UNREACHABLE: len(self.unreachable_backoff),
            ErrorKind.BAD_RESPONSE: len(self.bad_response_backoff),
            ErrorKind.IDEMPOTENCY_IN_PROGRESS: len(self.in_progress_backoff),
        }.get(kind, 0)

    def decide(
        self, error: ShopifyError, attempt: int, waited: float = 0.0, rng: random.Random | None = None
    ) -> Decision:
        """What to do after `error`, the `attempt`-th retry-worthy failure of its kind in this
        call (0 for the first), having already waited `waited` seconds in this call."""
        action = ACTIONS.get(error.kind, Action.FAIL_BATCH)
        if action is not Action.RETRY:
            return Decision(action)
        if attempt >= self.budget(error.kind):
            return Decision(EXHAUSTED.get(error.kind, Action.FAIL_BATCH))
        wait = self._wait(error, attempt, rng or random)
        if waited + wait > self.max_wait_per_call:
            return Decision(Action.FAIL_BATCH)
        return Decision(Action.RETRY, wait)

    def _wait(self, error: ShopifyError, attempt: int, rng: random.Random) -> float:
        retry_after = min(error.retry_after, self.retry_after_cap) if error.retry_after is not None else None
        if isinstance(error, Throttled):
            status = (
                ThrottleStatus.from_json(error.throttle)
                if isinstance(error.throttle, dict)
                else error.throttle
            )
            if status is not None and error.requested is not None:
                # A THROTTLED 429 may also carry Retry-After: honour whichever is longer.
                return max(throttled_wait(error.requested, status), retry_after or 0.0)
            return retry_after if retry_after is not None else self.retry_after_default
        if error.kind is ErrorKind.RATE_LIMITED:
            return retry_after if retry_after is not None else self.retry_after_default
        backoff = {
            ErrorKind.SERVER: self.server_backoff,
            ErrorKind.UNREACHABLE: self.unreachable_backoff,
            ErrorKind.BAD_RESPONSE: self.bad_response_backoff,
            ErrorKind.IDEMPOTENCY_IN_PROGRESS: self.in_progress_backoff,
        }.get(error.kind, self.connection_backoff)
        base = backoff[attempt]
        return base + rng.uniform(0, base * self.jitter)


# Tests and benchmarks that must not wait pass this (stamina's "testing switch").
NO_WAIT = RetryPolicy(
    server_backoff=(0.0, 0.0),
    connection_backoff=(0.0, 0.0),
    unreachable_backoff=(0.0,),
    bad_response_backoff=(0.0,),
    in_progress_backoff=(0.0, 0.0, 0.0, 0.0, 0.0),
    jitter=0.0,
    retry_after_default=0.0,
    retry_after_cap=0.0,
)
