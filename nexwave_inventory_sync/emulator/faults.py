"""Fault injection: scripted (the next matching requests, in order) or at random with a seed."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass

SHOPIFY_ERRORS = {
    400: "Bad Request",
    401: "[API] Invalid API key or access token (unrecognized login or wrong password)",
    402: "Unavailable Shop",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    423: "Locked",
    429: "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True)
class Fault:
    kind: str  # status | html | invalid_json | drop | drop_after_apply | delay | throttled
    code: int = 200  # the HTTP status answered
    retry_after: str | None = None
    body: str | None = None
    seconds: float = 0.0

    @classmethod
    def status(cls, code: int, retry_after: str | float | None = None, body: str | None = None) -> Fault:
        return cls("status", code, None if retry_after is None else str(retry_after), body)

    @classmethod
    def html(cls, code: int = 502) -> Fault:
        return cls("html", code)

    @classmethod
    def invalid_json(cls, code: int = 200) -> Fault:
        return cls("invalid_json", code)

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")

    @classmethod
    def drop_after_apply(cls) -> Fault:
        return cls("drop_after_apply")

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        return cls("delay", seconds=seconds)

    @classmethod
    def throttled(cls) -> Fault:
        return cls("throttled")

    @property
    def default_body(self) -> str:
        if self.kind == "html":
            return f"<!DOCTYPE html><html><head><title>{self.code}</title></head><body><h1>Something went wrong</h1></body></html>"
        if self.kind == "invalid_json":
            return '{"data": {"inventorySetQuantities": {"inventoryAdj'
        return json.dumps({"errors": SHOPIFY_ERRORS.get(self.code, "Error")})


RANDOM_KINDS = {
    "429": lambda: Fault.status(429, retry_after="1.0"),
    "500": lambda: Fault.status(500),
    "503": lambda: Fault.status(503),
    "html": lambda: Fault.html(502),
    "drop": Fault.drop,
    "throttled": Fault.throttled,
}


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: list[tuple[str | None, Fault | None]] = []
        self._random: tuple[float, random.Random, tuple[str, ...], str | None] | None = None

    def script(self, *faults: Fault | None, operation: str | None = None) -> None:
        """Each following request for `operation` (None: any) takes the next fault; None in
        the list lets one request through untouched."""
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
        unknown = set(kinds) - set(RANDOM_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {sorted(RANDOM_KINDS)}")
        with self._lock:
            self._random = (rate, random.Random(seed), kinds, operation)

    def clear(self) -> None:
        with self._lock:
            self._script.clear()
            self._random = None

    def next_for(self, operation: str | None) -> Fault | None:
        with self._lock:
            for index, (wanted, fault) in enumerate(self._script):
                if wanted is None or wanted == operation:
                    del self._script[index]
                    return fault
            if self._random is not None:
                rate, rng, kinds, wanted = self._random
                if (wanted is None or wanted == operation) and rng.random() < rate:
                    return RANDOM_KINDS[rng.choice(kinds)]()
        return None
