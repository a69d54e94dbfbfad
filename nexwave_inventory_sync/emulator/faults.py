"""Faults the emulator injects into its answers: HTTP errors, HTML pages, broken JSON,
dropped connections (before or after the mutation ran), slow answers, THROTTLED."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# Shopify's bodies for the statuses an app meets (`errors` is a string on non-GraphQL errors).
STATUS_MESSAGES = {
    400: "Bad Request",
    401: "[API] Invalid API key or access token (unrecognized login or wrong password)",
    402: "Unavailable Shop",
    403: "[API] This action requires merchant approval for write_inventory scope.",
    404: "Not Found",
    422: "Unprocessable Entity",
    423: "Locked",
    429: "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>{code} | Shopify</title></head>"
    "<body><h1>There was a problem loading this website</h1>"
    "<p>Please try refreshing the page. ({code})</p></body></html>"
)


# Shopify's "Status and error codes" table names these codes on HTTP 200; the texts are ours.
GRAPHQL_ERROR_MESSAGES = {
    "INTERNAL_SERVER_ERROR": "Internal error. Looks like something went wrong on our end.",
    "SHOP_INACTIVE": "Shop is inactive: the shop is frozen, closed or its plan does not allow this.",
    "THROTTLED": "Throttled",
    "ACCESS_DENIED": "Access denied for inventorySetQuantities field.",
}


def status_body(code: int) -> str:
    return json.dumps({"errors": STATUS_MESSAGES.get(code, f"HTTP {code}")})


@dataclass(frozen=True)
class Fault:
    """One injected fault. Build with the class methods; `kind` says what the server does."""

    kind: str
    code: int = 200
    body: str | None = None
    content_type: str = "application/json; charset=utf-8"
    retry_after: str | None = None
    seconds: float = 0.0

    @property
    def label(self) -> str:
        """A short name for counting: "HTTP 503", "INTERNAL_SERVER_ERROR", "drop_after_apply"."""
        if self.kind == "status":
            return f"HTTP {self.code}"
        if self.kind == "graphql_error":
            return json.loads(self.body or "{}")["errors"][0]["extensions"]["code"]
        if self.kind == "html":
            return f"HTML {self.code}"
        return self.kind

    @classmethod
    def status(cls, code: int, retry_after: str | float | None = None, body: str | None = None) -> Fault:
        """An HTTP error with Shopify's JSON body, e.g. {"errors": "Locked"} for 423."""
        return cls(
            "status",
            code=code,
            body=body if body is not None else status_body(code),
            retry_after=None if retry_after is None else str(retry_after),
        )

    @classmethod
    def html(cls, code: int = 502) -> Fault:
        """An HTML error page, as a proxy in front of Shopify serves during an outage."""
        return cls(
            "html", code=code, body=HTML_PAGE.format(code=code), content_type="text/html; charset=utf-8"
        )

    @classmethod
    def invalid_json(cls, code: int = 200) -> Fault:
        """A body announced as JSON that is not (cut off mid-way)."""
        return cls(
            "invalid_json",
            code=code,
            body='{"data": {"inventorySetQuantities": {"inventoryAdjustmentGroup": ',
        )

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without answering, before anything ran."""
        return cls("drop")

    @classmethod
    def drop_after_apply(cls) -> Fault:
        """Run the request (a mutation is applied), then close without answering: a lost answer."""
        return cls("drop_after_apply")

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Answer normally, `seconds` late (real time: for client read timeouts)."""
        return cls("delay", seconds=float(seconds))

    @classmethod
    def throttled(cls) -> Fault:
        """A THROTTLED answer whatever the bucket holds."""
        return cls("throttled")

    @classmethod
    def truncated(cls, keep: int = 20) -> Fault:
        """Run the request (a mutation is applied), announce the whole body's Content-Length,
        send its first `keep` bytes and close: the cut-off answer a proxy or a reset leaves."""
        return cls("truncated", seconds=float(keep))

    @classmethod
    def graphql_error(cls, code: str, message: str | None = None) -> Fault:
        """HTTP 200 with a top-level GraphQL error and nothing run. Shopify's documented form
        for INTERNAL_SERVER_ERROR, THROTTLED and SHOP_INACTIVE ("Status and error codes",
        https://shopify.dev/docs/api/admin-graphql#status_and_error_codes: "200 OK ... errors
        ... extensions.code"). The message texts are guesses."""
        return cls(
            "graphql_error",
            body=json.dumps(
                {
                    "errors": [
                        {
                            "message": message or GRAPHQL_ERROR_MESSAGES.get(code, code),
                            "extensions": {"code": code},
                        }
                    ]
                }
            ),
        )

    @classmethod
    def redirect(cls, location: str, code: int = 307) -> Fault:
        """A 3xx pointing elsewhere (a guess at what a misrouted proxy or a moved shop does; Shopify
        documents no redirect on the Admin API). A client following it would carry the token there."""
        return cls("redirect", code=code, body=location)

    @classmethod
    def concurrent_request(cls) -> Fault:
        """The userError IDEMPOTENCY_CONCURRENT_REQUEST, as if a request with the same key were
        still running (the emulator also answers it for real overlaps; see Executor)."""
        return cls("concurrent_request")


# What faults.random(kinds=...) names stand for.
RANDOM_KINDS = {
    "429": lambda: Fault.status(429, retry_after="1.0"),
    "500": lambda: Fault.status(500),
    "502": lambda: Fault.status(502),
    "503": lambda: Fault.status(503),
    "html": lambda: Fault.html(502),
    "invalid_json": lambda: Fault.invalid_json(200),
    "drop": Fault.drop,
    "drop_after_apply": Fault.drop_after_apply,
    "throttled": Fault.throttled,
    "truncated": Fault.truncated,
    "internal_error": lambda: Fault.graphql_error("INTERNAL_SERVER_ERROR"),
    "concurrent_request": Fault.concurrent_request,
}


class FaultPlan:
    """Which request gets which fault. Scripted faults come first, in order, each consumed by
    the next request whose operation matches (None in a script lets one request through);
    then random faults, if set, strike matching requests at `rate`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: list[tuple[str | None, Fault | None]] = []
        self._random: tuple[float, random.Random, tuple[str, ...], str | None] | None = None
        self.fired: Counter = Counter()  # fault label -> requests it struck

    def script(self, *faults: Fault | None, operation: str | None = None) -> None:
        for fault in faults:
            if fault is not None and not isinstance(fault, Fault):
                raise TypeError(f"not a Fault: {fault!r}")
        with self._lock:
            self._script.extend((operation, fault) for fault in faults)

    def random(
        self,
        rate: float = 0.1,
        seed: int = 1,
        kinds: Iterable[str] = ("429", "500", "html", "drop"),
        operation: str | None = None,
    ) -> None:
        kinds = tuple(kinds)
        unknown = [k for k in kinds if k not in RANDOM_KINDS]
        if unknown or not kinds:
            raise ValueError(f"unknown fault kinds {unknown}; choose from {sorted(RANDOM_KINDS)}")
        with self._lock:
            self._random = (float(rate), random.Random(seed), kinds, operation)

    def clear(self) -> None:
        with self._lock:
            self._script.clear()
            self._random = None
            self.fired.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    def next_for(self, operation: str | None) -> Fault | None:
        with self._lock:
            for index, (wanted, fault) in enumerate(self._script):
                if wanted is None or wanted == operation:
                    del self._script[index]
                    if fault is not None:
                        self.fired[fault.label] += 1
                    return fault
            if self._random is not None:
                rate, rng, kinds, wanted = self._random
                if (wanted is None or wanted == operation) and rng.random() < rate:
                    fault = RANDOM_KINDS[rng.choice(kinds)]()
                    self.fired[fault.label] += 1
                    return fault
            return None
