"""What the network did to a request (refused, unresolvable, TLS, timed out, cut off, a
redirect loop), as the ShopifyError the retry policy knows, in words a person can act on.
Both kinds of call use it: the GraphQL transport (transport.py) and the token endpoint
(auth.py), which is why it is a module of its own and not part of either."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import requests

from .errors import BadResponse, ConnectionFailed, ShopifyError, Unreachable

USER_AGENT = "nexwave_inventory_sync"

_REFUSED = ("Connection refused", "[Errno 111]", "actively refused")
_NO_HOST = (
    "Name or service not known",
    "nodename nor servname",
    "Failed to resolve",
    "NameResolutionError",
    "getaddrinfo failed",
    "Temporary failure in name resolution",
    "No address associated with hostname",
)


def _causes(exc: BaseException):
    """The exception, what it wraps (urllib3 keeps the cause in .reason or args) and its chain."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend([getattr(item, "reason", None), item.__cause__, item.__context__, *item.args])


def transport_error(exc: requests.RequestException, url: str) -> ShopifyError:
    """One requests failure as the ShopifyError the retry policy knows."""
    parts = urlsplit(url)
    where = parts.netloc or url
    causes = list(_causes(exc))
    text = " ".join(str(c) for c in causes)
    if isinstance(exc, requests.exceptions.SSLError):
        return Unreachable(f"TLS: certificate invalid or handshake refused by {where} ({_short(exc)})")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ConnectionFailed(f"no connection to {where} in time (connect timeout)")
    if isinstance(exc, requests.Timeout):
        return ConnectionFailed(f"no answer from {where} in time (read timeout)")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return ConnectionFailed(
            f"the answer from {where} was cut off or garbled mid-way ({type(exc).__name__})"
        )
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return BadResponse(f"{where} redirected too many times")
    if isinstance(exc, requests.ConnectionError):
        if any(isinstance(c, ConnectionRefusedError) for c in causes) or any(m in text for m in _REFUSED):
            return Unreachable(f"connection refused by {where}")
        if any(isinstance(c, socket.gaierror) for c in causes) or any(m in text for m in _NO_HOST):
            return Unreachable(f"DNS: no such host {parts.hostname or where}")
        return ConnectionFailed(f"connection to {where} failed or was dropped ({_short(exc)})")
    return ConnectionFailed(f"request to {where} failed ({type(exc).__name__}: {_short(exc)})")


def _short(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text[:limit] + ("…" if len(text) > limit else "")
