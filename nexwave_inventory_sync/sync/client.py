"""One GraphQL call at a time, done right: validated locally, paced on the bucket, retried by
the policy, and counted. Everything above this module speaks in documents and data."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gql import Client, gql
from gql.graphql_request import GraphQLRequest
from graphql import DocumentNode

from .clock import Clock, SystemClock
from .endpoint import ShopifyEndpoint
from .errors import ShopifyError, Throttled
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


class CallFailed(Exception):
    """A call that the policy gave up on. `action` says whether the run may go on."""

    def __init__(self, error: ShopifyError, action: Action):
        super().__init__(str(error))
        self.error = error
        self.action = action


class RunAborted(Exception):
    """Raised where a call failed in a way every later call would share (auth, locked shop)."""

    def __init__(self, failure: CallFailed):
        super().__init__(str(failure.error))
        self.failure = failure


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
    ):
        self.endpoint = endpoint
        self.policy = policy or RetryPolicy()
        self.clock = clock or SystemClock()
        self.bucket = bucket or BucketModel()
        self.stats = stats or CallStats()
        self._rng = rng or random.Random()
        self._transport = ShopifyTransport(endpoint.graphql_url, endpoint.access_token, timeout=timeout)
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
    ) -> dict[str, Any]:
        """Send one operation, retrying per policy; return its `data` or raise CallFailed."""
        if self._session is None:
            raise RuntimeError("use ShopifyClient as a context manager")
        request = GraphQLRequest(
            self._document(document), variable_values=dict(variables or {}), operation_name=operation
        )
        cost = expected_cost if expected_cost is not None else self.expected_cost(operation)
        attempts: Counter = Counter()
        waited = 0.0
        while True:
            pause = self.bucket.acquire(cost, self.clock.now())
            if pause > 0:
                self._count(throttle_waits=1, seconds_waited=pause)
                self.clock.sleep(pause)
                waited += pause
            self._count(api_calls=1)
            with self._stats_lock:
                self.stats.calls_by_operation[operation] += 1
            try:
                result = self._session.execute(request, get_execution_result=True)
            except ShopifyError as error:
                self.bucket.release(cost)
                if isinstance(error, Throttled):
                    self._count(throttled_answers=1)
                    self.bucket.observe(ThrottleStatus.from_json(error.throttle), self.clock.now())
                decision = self.policy.decide(error, attempts[error.kind], waited, self._rng)
                if decision.action is not Action.RETRY:
                    raise CallFailed(error, decision.action) from None
                attempts[error.kind] += 1
                with self._stats_lock:
                    self.stats.retries += 1
                    self.stats.retries_by_kind[error.kind] += 1
                    self.stats.seconds_waited += decision.wait
                self.clock.sleep(decision.wait)
                waited += decision.wait
                continue
            self.bucket.release(cost)
            self._observe(operation, QueryCost.from_extensions(result.extensions))
            return result.data or {}

    def _observe(self, operation: str, cost: QueryCost | None) -> None:
        if cost is None:
            return
        self.bucket.observe(cost.throttle_status, self.clock.now())
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
