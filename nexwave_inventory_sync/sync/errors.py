"""The engine's one error tree: every error it raises is an `EngineError` with a `kind`
(`ErrorKind`). What went wrong talking to Shopify is a `ShopifyError`, flat subclasses by
kind; a call the retry policy gave up on is a `client.CallFailed` (a `client.RunAborted` when
every later call would fail too); a level read or a bulk read that cannot finish is a
`LevelReadFailed` or a `bulk.BulkReadFailed`.

`classify_response` is the only place that maps an HTTP answer to a kind; whether a kind is
retried, and how long to wait, is decided apart from the types, in retry.py, whose tables are
keyed on `ErrorKind` (a misspelt kind is an AttributeError, never a silent default). No error
ever carries the access token: messages are built from status, codes and body text only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

_BODY_SNIPPET = 300


class ErrorKind(str, Enum):
    """What went wrong, one name per kind. A str so that it reads, compares, logs and stores
    as its value ("auth", "deadline"): RunResult.abort_kind and the app's logs keep those."""

    ERROR = "error"
    # Shopify's answers (errors.classify_response, transport.py, auth.py)
    THROTTLED = "throttled"
    RATE_LIMITED = "rate_limited"
    SERVER = "server"
    CONNECTION = "connection"
    AUTH = "auth"
    AUTH_GRANT = "auth_grant"
    SHOP_UNAVAILABLE = "shop_unavailable"
    UNREACHABLE = "unreachable"
    REDIRECT = "redirect"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    INVALID_REQUEST = "invalid_request"
    BAD_RESPONSE = "bad_response"
    # The run's own limits (client.py, sender.py)
    DEADLINE = "deadline"
    STOPPED = "stopped"
    # Input the engine refuses before any call (ValueErrors too: ids.py, quantity.py,
    # endpoint.py, versions.py)
    INVALID_ID = "invalid_id"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_ENDPOINT = "invalid_endpoint"
    UNSUPPORTED_VERSION = "unsupported_version"
    # A level read by pages that cannot finish (levels.py)
    LEVEL_READ = "level_read"
    # A bulk operation that gives no file to read (bulk.py); callers fall back to pages
    BULK_IN_PROGRESS = "in_progress"
    BULK_FAILED = "failed"
    BULK_EXPIRED = "expired"
    BULK_CANCELED = "canceled"
    BULK_INVALID = "invalid"
    BULK_TIMEOUT = "timeout"
    BULK_MISSING = "missing"
    BULK_DOWNLOAD = "download"
    BULK_REFUSED = "refused"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class EngineError(Exception):
    """Base of every error the engine raises: `kind` says what went wrong, `message` says it
    in words a person can act on."""

    kind: ErrorKind = ErrorKind.ERROR

    def __init__(self, message: str, *, kind: ErrorKind | str | None = None):
        super().__init__(message)
        self.message = message
        if kind is not None:
            self.kind = ErrorKind(kind)  # an unknown kind raises here, not later


class LevelReadFailed(EngineError):
    """A read of every level by pages that cannot finish: a location gone from the shop, or
    pages that stop advancing. The reconciliation stops with the reason."""

    kind = ErrorKind.LEVEL_READ


class ShopifyError(EngineError):
    """What went wrong talking to Shopify. `status` is the HTTP status (None when no answer
    arrived)."""

    kind = ErrorKind.ERROR

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        body: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after
        self.body = body
        # Which token the failed call sent (auth.IssuedToken.serial), never the token itself.
        self.token_serial: int | None = None

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.request_id:
            parts.append(f"request {self.request_id}")
        return " | ".join(parts)


class Throttled(ShopifyError):
    """GraphQL THROTTLED: the bucket lacks the points this query requests."""

    kind = ErrorKind.THROTTLED

    def __init__(self, message: str, *, requested: float | None = None, throttle: Any = None, **kw: Any):
        super().__init__(message, **kw)
        self.requested = requested
        self.throttle = throttle


class RateLimited(ShopifyError):
    """HTTP 429 without a GraphQL THROTTLED body."""

    kind = ErrorKind.RATE_LIMITED


class ServerError(ShopifyError):
    """HTTP 5xx: Shopify's side; worth a retry after a back-off."""

    kind = ErrorKind.SERVER


class ConnectionFailed(ShopifyError):
    """No answer: connect or read timeout, reset, dropped connection."""

    kind = ErrorKind.CONNECTION


class AuthError(ShopifyError):
    """HTTP 401: the token is wrong or revoked. Every later call would fail too: abort the run."""

    kind = ErrorKind.AUTH


class AuthGrantError(ShopifyError):
    """Shopify's token endpoint refused a grant (a wrong client secret, a store of another
    organization, a used refresh token), or gave no token: no call can be made, abort the run.
    `code` is the OAuth error code (`invalid_client`, `shop_not_permitted`, ...)."""

    kind = ErrorKind.AUTH_GRANT


class ShopUnavailable(ShopifyError):
    """402 frozen (unpaid), 403 forbidden / missing scope, 423 locked: abort the run."""

    kind = ErrorKind.SHOP_UNAVAILABLE


class Unreachable(ShopifyError):
    """The host refused the connection, does not resolve, or failed the TLS handshake: every
    later call would meet the same, so after a first retry the run stops with that reason."""

    kind = ErrorKind.UNREACHABLE


class Redirected(ShopifyError):
    """A 3xx: never followed (the token would go along to wherever it points)."""

    kind = ErrorKind.REDIRECT


class IdempotencyInProgress(ShopifyError):
    """IDEMPOTENCY_CONCURRENT_REQUEST: an earlier attempt with this key is still running at
    Shopify (a retry after a read timeout overtook it); resend the same key after a pause."""

    kind = ErrorKind.IDEMPOTENCY_IN_PROGRESS


class DeadlineReached(ShopifyError):
    """The run's deadline leaves no time for this wait or call."""

    kind = ErrorKind.DEADLINE


class Stopped(ShopifyError):
    """The caller asked the run to stop (`SyncOptions.should_stop`: Ctrl-C, SIGTERM): no
    further batch is sent; it ends like a deadline, the rows not sent counted as such."""

    kind = ErrorKind.STOPPED


class InvalidRequest(ShopifyError):
    """Other 4xx and GraphQL errors: a bug or bad data; retrying sends the same mistake."""

    kind = ErrorKind.INVALID_REQUEST


class BadResponse(ShopifyError):
    """A body that is not the JSON we expect (an HTML error page): fail the batch, no retry."""

    kind = ErrorKind.BAD_RESPONSE


_ABORT_STATUS_REASONS = {
    402: "the shop is frozen (402 Payment Required): its plan or bill needs attention",
    403: "access forbidden (403): the app lacks a required scope or was uninstalled",
    423: "the shop is locked (423): Shopify has locked it",
}


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header; Shopify sends decimals like "2.0". HTTP-dates are
    not used by Shopify and are ignored (the policy's own back-off applies instead)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _request_id(headers: Mapping[str, str]) -> str | None:
    return headers.get("X-Request-Id") or headers.get("x-request-id")


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text[:_BODY_SNIPPET] + ("…" if len(text) > _BODY_SNIPPET else "")


def _error_messages(errors: Any) -> str:
    if isinstance(errors, str):
        return errors
    if isinstance(errors, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in errors.items())
    if isinstance(errors, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors)
    return str(errors)


def _graphql_error_codes(errors: Any) -> list[str]:
    if not isinstance(errors, list):
        return []
    codes = []
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, Mapping) else None
        code = extensions.get("code") if isinstance(extensions, Mapping) else None
        if isinstance(code, str) and code:
            codes.append(code)
    return codes


def classify_response(
    status: int, headers: Mapping[str, str], text: str
) -> tuple[dict | None, ShopifyError | None]:
    """Turn one HTTP answer into (parsed body, error). Exactly one of the two is meaningful:
    a body with no error is a usable GraphQL result (which may still hold userErrors)."""
    request_id = _request_id(headers)
    retry_after = parse_retry_after(headers.get("Retry-After"))
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    common = {"status": status, "request_id": request_id, "retry_after": retry_after}

    if 300 <= status < 400:
        location = headers.get("Location") or headers.get("location") or "?"
        target = urlsplit(location).netloc or location
        return None, Redirected(
            f"Shopify answered {status} redirecting to {target}; not followed, so the access token "
            "was not sent there: check the shop domain (a renamed or moved shop) or a proxy in between",
            **common,
        )
    if not isinstance(body, dict):
        return None, _not_json(status, text, common)

    errors = body.get("errors")
    codes = _graphql_error_codes(errors)
    if "THROTTLED" in codes:
        return body, _throttled(body, common)
    if status >= 400:
        return body, _status_error(status, _error_messages(errors) if errors else f"HTTP {status}", common)
    if errors:
        code = codes[0] if codes else None
        if code == "INTERNAL_SERVER_ERROR":
            # Shopify's usual form of its own failure: HTTP 200 with this code. A 5xx by another name.
            return body, ServerError(
                f"Shopify internal error: {_error_messages(errors)}", code=code, **common
            )
        if code == "SHOP_INACTIVE":
            return body, ShopUnavailable(
                f"the shop is inactive (SHOP_INACTIVE): it is frozen, closed or paused: {_error_messages(errors)}",
                code=code,
                **common,
            )
        if code == "ACCESS_DENIED":
            # A missing scope fails every call the same way: treat it as the 403 it means.
            return body, ShopUnavailable(f"access denied: {_error_messages(errors)}", code=code, **common)
        return body, InvalidRequest(f"GraphQL error: {_error_messages(errors)}", code=code, **common)
    if "data" not in body:
        return body, BadResponse("Shopify answered JSON without data or errors", **common)
    if body["data"] is None:
        # GraphQL allows a null data only next to errors; gql itself refuses it.
        return body, BadResponse("Shopify answered data: null without errors", **common)
    if not isinstance(body["data"], dict):
        return body, BadResponse(f"Shopify answered data that is not an object: {_snippet(text)}", **common)
    return body, None


def _not_json(status: int, text: str, common: dict) -> ShopifyError:
    # HTML error pages and truncated bodies. A 5xx page is still Shopify's outage, so it
    # keeps the 5xx class; anything else that is not JSON fails the batch at once.
    if status >= 500:
        return ServerError(f"Shopify answered {status} with a non-JSON body: {_snippet(text)}", **common)
    if status in (401, 402, 403, 423, 429):
        return _status_error(status, _snippet(text), common)
    return BadResponse(
        f"Shopify answered with a body that is not JSON: {_snippet(text)}", body=_snippet(text), **common
    )


def _throttled(body: dict, common: dict) -> Throttled:
    extensions = body.get("extensions")
    cost = extensions.get("cost") if isinstance(extensions, Mapping) else None
    cost = cost if isinstance(cost, Mapping) else {}
    requested = cost.get("requestedQueryCost")
    return Throttled(
        "Throttled: the query cost exceeds the points left in the bucket",
        code="THROTTLED",
        requested=float(requested)
        if isinstance(requested, (int, float))
        and not isinstance(requested, bool)
        and math.isfinite(requested)
        and requested >= 0
        else None,
        throttle=cost.get("throttleStatus"),
        **common,
    )


def _status_error(status: int, detail: str, common: dict) -> ShopifyError:
    if status == 401:
        # `body` keeps Shopify's own words: auth.token_rejected reads them to decide on a renewal.
        return AuthError(
            f"authentication failed (401: the access token is invalid, expired or was revoked): {detail}",
            body=detail,
            **common,
        )
    if status in _ABORT_STATUS_REASONS:
        return ShopUnavailable(f"{_ABORT_STATUS_REASONS[status]}: {detail}", **common)
    if status == 429:
        return RateLimited(f"rate limited: {detail}", **common)
    if status >= 500:
        return ServerError(f"Shopify server error: {detail}", **common)
    return InvalidRequest(f"request refused: {detail}", **common)
