"""One GraphQL call at a time, done right: validated locally, paced on the bucket, retried by
the policy, and counted. Everything above this module speaks in documents and data.

A call the policy gives up on raises `CallFailed`; when the policy says every later call
would fail the same way (a revoked token, a locked shop, the deadline) it raises `RunAborted`,
a CallFailed of its own: callers never translate one into the other. Code that fails only
its own work on a CallFailed lets a RunAborted through first (`except RunAborted: raise`)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gql import Client, gql
from gql.graphql_request import GraphQLRequest
from graphql import DocumentNode

from .auth import token_rejected
from .clock import Clock, SystemClock
from .endpoint import ShopifyEndpoint
from .errors import AuthGrantError, DeadlineReached, EngineError, ShopifyError, Throttled
from .retry import Action, RetryPolicy
from .schema import schema_for
from .throttle import BucketModel, QueryCost, ThrottleStatus
from .transport import ShopifyTransport


@dataclass
class CallStats:
    """What the calls of one run cost; folded into the run's result."""

    api_calls: int = 0
    retries: int = 0
    retries_by_kind: Counter = field(default_factory=Counter)
    throttled_answers: int = 0
    throttle_waits: int = 0  # pauses the bucket model asked for before a call
    seconds_waited: float = 0.0  # bucket pauses and retry back-offs together
    cost_requested: float = 0.0
    cost_actual: float = 0.0
    calls_by_operation: Counter = field(default_factory=Counter)
    token_renewals: int = 0  # renewals after a 401 that said the token expired (auth.py)


class CallFailed(EngineError):
    """A call that the policy gave up on; `error` says why, `action` whether the run may go on,
    `operation` which call it was. Its message is the error's with its HTTP status and request
    id (for Shopify support)."""

    def __init__(self, error: ShopifyError, action: Action, operation: str | None = None):
        super().__init__(str(error), kind=error.kind)
        self.error = error
        self.action = action
        self.operation = operation


class RunAborted(CallFailed):
    """A call failed in a way every later call would share (auth, locked shop, deadline, a
    stop asked for): the run stops. `rows`: the batch (ReadyRows) whose call met the abort,
    not confirmed and reported as such."""

    def __init__(self, error: ShopifyError, rows: tuple = (), operation: str | None = None):
        super().__init__(error, Action.ABORT_RUN, operation)
        self.rows = tuple(rows)

    @property
    def failure(self) -> RunAborted:
        """The failed call: the abort itself (its old name, when it wrapped a CallFailed)."""
        return self

    def with_rows(self, rows) -> RunAborted:
        """The same stop, naming the batch it cut off."""
        return RunAborted(self.error, rows, self.operation)


def gave_up(error: ShopifyError, action: Action, operation: str | None = None) -> CallFailed:
    """The error a call ends with once the policy stops retrying: RunAborted when the action
    is to abort the run, CallFailed otherwise."""
    if action is Action.ABORT_RUN:
        return RunAborted(error, operation=operation)
    return CallFailed(error, action, operation)


# Before the first answer tells us better: a mutation costs 10 points; a query of n objects
# about n (nodes and connections of 250 cost ~500). Only used for pacing, never for limits.
DEFAULT_COST = 10.0


class ShopifyClient:
    """Use as a context manager: one gql session (one connection pool) per run."""

    def __init__(
        self,
        endpoint: ShopifyEndpoint,
        *,
        policy: RetryPolicy | None = None,
        clock: Clock | None = None,
        timeout: tuple[float, float] = (5.0, 60.0),
        rng: random.Random | None = None,
        bucket: BucketModel | None = None,
        stats: CallStats | None = None,
        deadline: float | None = None,
    ):
        self.endpoint = endpoint
        # Clock time after which no call is sent and no wait begins that would end later.
        self.deadline = deadline
        self.policy = policy or RetryPolicy()
        self.clock = clock or SystemClock()
        self.bucket = bucket or BucketModel()
        self.stats = stats or CallStats()
        self._rng = rng or random.Random()
        self._timeout = timeout
        self._transport = ShopifyTransport(endpoint.graphql_url, endpoint.token_provider, timeout=timeout)
        # Client(schema=...) validates every document before any HTTP request leaves; the
        # schema is built once per API shape and shared by every session.
        self._client = Client(schema=schema_for(endpoint.api_version), transport=self._transport)
        self._session = None
        self._documents: dict[str, DocumentNode] = {}
        self._expected_cost: dict[str, float] = {}
        self._stats_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ShopifyClient({self.endpoint.shop_domain!r}, api {self.endpoint.api_version})"

    def __enter__(self) -> ShopifyClient:
        self._session = self._client.connect_sync()
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close_sync()
        self._session = None

    @property
    def last_response_headers(self) -> Mapping[str, str]:
        """Headers of the latest answer (a single-call caller's view; racy with calls in flight)."""
        return self._transport.response_headers

    def _document(self, text: str) -> DocumentNode:
        if text not in self._documents:
            self._documents[text] = gql(text).document
        return self._documents[text]

    def expected_cost(self, operation: str, default: float = DEFAULT_COST) -> float:
        return self._expected_cost.get(operation, default)

    def execute(
        self,
        document: str,
        variables: Mapping[str, Any] | None,
        *,
        operation: str,
        expected_cost: float | None = None,
        answer_error: Callable[[dict], ShopifyError | None] | None = None,
    ) -> dict[str, Any]:
        """Send one operation, retrying per policy; return its `data` or raise CallFailed
        (RunAborted when the policy says the run must stop).
        `answer_error` may turn a well-formed answer into a retryable error (a userError that
        means "try again", such as IDEMPOTENCY_CONCURRENT_REQUEST)."""
        if self._session is None:
            raise RuntimeError("use ShopifyClient as a context manager")
        request = GraphQLRequest(
            self._document(document), variable_values=dict(variables or {}), operation_name=operation
        )
        cost = expected_cost if expected_cost is not None else self.expected_cost(operation)
        attempts: Counter = Counter()
        waited = 0.0
        renewed = False
        while True:
            waited += self._wait_for_bucket(cost, operation)
            send_number = self._leave(operation)
            # The answer's figure goes into the model before the call's reservation comes out:
            # the other way round, a batch asking in between would see neither counting this
            # call's cost and go early into a THROTTLED answer. (In between it counts twice: a
            # wait a little long at worst, never a call too early.)
            try:
                result = self._session.execute(request, get_execution_result=True)
            except AuthGrantError as error:
                # No token could be had before the call was sent: nothing reached Shopify.
                self.bucket.release(cost)
                raise gave_up(error, self.policy.decide(error, 0).action, operation) from None
            except ShopifyError as error:
                if not renewed and self._renew_after(error, operation):
                    # Once per call: a token that expired or was replaced is renewed and the
                    # same call sent again; a second 401 goes to the policy (abort the run).
                    renewed = True
                    self.bucket.release(cost)
                    continue
                if isinstance(error, Throttled):
                    self._count(throttled_answers=1)
                    self.bucket.observe(
                        ThrottleStatus.from_json(error.throttle), self.clock.now(), send_number
                    )
                self.bucket.release(cost)
                waited += self._retry_or_raise(error, attempts, waited, operation)
                continue
            self._observe(operation, QueryCost.from_extensions(result.extensions), send_number)
            self.bucket.release(cost)
            data = result.data if isinstance(result.data, dict) else {}
            error = answer_error(data) if answer_error is not None else None
            if error is None:
                return data
            waited += self._retry_or_raise(error, attempts, waited, operation)

    def _wait_for_bucket(self, cost: float, operation: str) -> float:
        """Reserve the call's cost in the bucket model, sleeping the pause it asks for; the
        seconds slept. Raises RunAborted when the pause (or the call) would pass the deadline."""
        pause = self.bucket.acquire(cost, self.clock.now())
        if pause > 0:
            if not self._fits_deadline(pause):
                self.bucket.release(cost)
                self._deadline_failure(f"a throttle pause of {pause:.1f} s", operation)
            self._count(throttle_waits=1, seconds_waited=pause)
            self.clock.sleep(pause)
            return pause
        if not self._fits_deadline(0.0):
            self.bucket.release(cost)
            self._deadline_failure("another call", operation)
        return 0.0

    def _leave(self, operation: str) -> int:
        """Count the call as it leaves and return its send number."""
        self._count(api_calls=1)
        with self._stats_lock:
            self.stats.calls_by_operation[operation] += 1
        if self.deadline is not None:
            # A call never waits for its answer past the deadline either.
            left = max(0.1, self.deadline - self.clock.now())
            self._transport.timeout = (min(self._timeout[0], left), min(self._timeout[1], left))
        # Numbered after the pause, as the request leaves: with it the bucket model tells
        # whether this call's answer can be older than the figure it holds.
        return self.bucket.next_send_number()

    def _renew_after(self, error: ShopifyError, operation: str) -> bool:
        """True when a 401 said the token is invalid or expired and a new one was obtained."""
        provider = self.endpoint.token_provider
        if provider is None or not provider.renewable or not token_rejected(error):
            return False
        if error.token_serial is None:
            return False
        try:
            provider.renew(error.token_serial)
        except AuthGrantError as grant_error:
            raise gave_up(grant_error, self.policy.decide(grant_error, 0).action, operation) from None
        self._count(token_renewals=1)
        return True

    def _retry_or_raise(self, error: ShopifyError, attempts: Counter, waited: float, operation: str) -> float:
        """Sleep before the next attempt and return the wait, or raise CallFailed (RunAborted)."""
        decision = self.policy.decide(error, attempts[error.kind], waited, self._rng)
        if decision.action is not Action.RETRY:
            raise gave_up(error, decision.action, operation) from None
        if not self._fits_deadline(decision.wait):
            self._deadline_failure(f"a retry after {error.kind} ({error.message})", operation)
        attempts[error.kind] += 1
        with self._stats_lock:
            self.stats.retries += 1
            self.stats.retries_by_kind[error.kind.value] += 1
            self.stats.seconds_waited += decision.wait
        self.clock.sleep(decision.wait)
        return decision.wait

    def _fits_deadline(self, wait: float) -> bool:
        return self.deadline is None or self.clock.now() + wait < self.deadline

    def _deadline_failure(self, what: str, operation: str) -> None:
        raise RunAborted(
            DeadlineReached(f"the run's deadline was reached before {what}"), operation=operation
        ) from None

    def _observe(self, operation: str, cost: QueryCost | None, send_number: int) -> None:
        if cost is None:
            return
        self.bucket.observe(cost.throttle_status, self.clock.now(), send_number)
        with self._stats_lock:
            if cost.requested is not None:
                self.stats.cost_requested += cost.requested
                self._expected_cost[operation] = cost.requested
            if cost.actual is not None:
                self.stats.cost_actual += cost.actual

    def _count(self, **increments: float) -> None:
        with self._stats_lock:
            for name, value in increments.items():
                setattr(self.stats, name, getattr(self.stats, name) + value)
