"""Where the access token comes from, and how it is renewed.

Three ways a store connects (shopify.dev, checked 2026-12):

* a pasted token of a legacy custom app (no longer creatable since 2026-01-01): static;
* the **client credentials grant** of a Dev Dashboard app on its own organization's store:
  `POST /admin/oauth/access_token` with `grant_type=client_credentials`, `client_id`,
  `client_secret` (form-encoded) answers `{"access_token", "scope", "expires_in"}`, about
  86,399 s (documented: "Using the client credentials grant", "About client credentials");
* the **authorization code grant** for an app installed on another organization's store; asked
  with `expiring=1` (a guess for this grant, see exchange_authorization_code), the code exchange
  answers an expiring offline token (`expires_in` 3,600) with a `refresh_token`
  (`refresh_token_expires_in`, 90 days), renewed with
  `grant_type=refresh_token` (documented: changelog "Offline access tokens now support expiry
  and refresh", 2025-12). Shopify rotates the refresh token on each use and, since 2026-08-28,
  keeps the previous one valid until its replacement is used (documented: changelog "More
  resilient refreshes for expiring offline access tokens"): a refresh whose answer was lost is
  retried with the refresh token we still hold.

The engine reads its token from a TokenProvider before every call. A provider renews a token
a few minutes before it expires (`renewal_due`, pure) and once after a 401 that says the token
is invalid or expired; the call is then repeated once with the new token (client.py). Two
threads, or two processes sharing a TokenStore with a lock, never both renew: the second finds
the first one's newer token and uses it. No token or secret is ever in a repr, an error or a log.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from typing import Protocol
from urllib.parse import urlsplit

import requests

from .errors import AuthError, AuthGrantError, ShopifyError

ACCESS_TOKEN = "access_token"
CLIENT_CREDENTIALS = "client_credentials"
AUTHORIZATION_CODE = "authorization_code"
METHODS = (ACCESS_TOKEN, CLIENT_CREDENTIALS, AUTHORIZATION_CODE)

# "Proactively refresh tokens a few minutes before they expire" (changelog, 2025-12). A token
# that lives less than ten times this (tests: seconds) is renewed at 90 % of its life instead.
RENEW_MARGIN_S = 300.0
RENEW_FRACTION = 0.1

# Documented 401 body for a token Shopify does not accept ("[API] Invalid API key or access
# token (unrecognized login or wrong password)"). That an *expired* token gets the same body is
# a guess (Shopify does not document a separate one); any 401 naming an invalid or expired
# token, or an expired one, counts.
_TOKEN_REJECTED = ("invalid api key or access token", "access token", "expired", "invalid token")

# A refresh or grant whose answer was lost is sent again this many times (the same refresh
# token: Shopify keeps it valid until its replacement is used).
GRANT_ATTEMPTS = 3
GRANT_BACKOFF_S = (1.0, 3.0)

_serials = itertools.count(1)


def wall_clock() -> float:
    return time.time()


@dataclass(frozen=True)
class Token:
    """One access token as Shopify issued it. Times are wall-clock seconds (epoch): a token is
    stored and read by other processes. `expires_at` None: the token does not expire."""

    access_token: str = field(repr=False)
    issued_at: float
    expires_at: float | None = None
    refresh_token: str | None = field(default=None, repr=False)
    # The refresh token that obtained this pair: tried once if `refresh_token` is refused.
    previous_refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: float | None = None
    scope: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {
                "access_token": self.access_token,
                "issued_at": self.issued_at,
                "expires_at": self.expires_at,
                "refresh_token": self.refresh_token,
                "previous_refresh_token": self.previous_refresh_token,
                "refresh_expires_at": self.refresh_expires_at,
                "scope": self.scope,
            }
        )

    @classmethod
    def from_json(cls, text: str | None) -> Token | None:
        try:
            data = json.loads(text) if text else None
        except ValueError:
            return None
        if not isinstance(data, dict) or not data.get("access_token"):
            return None
        return cls(
            access_token=str(data["access_token"]),
            issued_at=float(data.get("issued_at") or 0.0),
            expires_at=_number(data.get("expires_at")),
            refresh_token=data.get("refresh_token") or None,
            previous_refresh_token=data.get("previous_refresh_token") or None,
            refresh_expires_at=_number(data.get("refresh_expires_at")),
            scope=str(data.get("scope") or ""),
        )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def renewal_due(token: Token | None, now: float, margin: float = RENEW_MARGIN_S) -> bool:
    """Whether to renew before the next call: no token, or one within its renewal margin."""
    if token is None:
        return True
    if token.expires_at is None:
        return False
    lifetime = max(0.0, token.expires_at - token.issued_at)
    return now >= token.expires_at - min(margin, lifetime * RENEW_FRACTION)


def token_rejected(error: ShopifyError) -> bool:
    """A 401 whose body says the token is invalid or expired: worth one renewal."""
    if not isinstance(error, AuthError) or error.status != 401:
        return False
    text = (error.body or "").lower()  # Shopify's own words, not our message around them
    return any(marker in text for marker in _TOKEN_REJECTED)


@dataclass(frozen=True)
class IssuedToken:
    """What a call sends: the token and a serial naming it, so a 401 can say which one failed
    without the token itself travelling in an error."""

    value: str = field(repr=False)
    serial: int


@dataclass(frozen=True)
class TokenStatus:
    """For Test Connection: which method, when the token runs out, whether it can be renewed."""

    method: str
    expires_at: float | None
    renewable: bool
    renewals: int


class TokenProvider(Protocol):
    method: str

    def current(self) -> IssuedToken: ...

    def renew(self, rejected_serial: int) -> IssuedToken: ...

    @property
    def renewable(self) -> bool: ...

    def status(self) -> TokenStatus: ...


class StaticToken:
    """A pasted access token: never renewed, a 401 aborts the run as it always did."""

    method = ACCESS_TOKEN
    renewable = False

    def __init__(self, access_token: str):
        self._issued = IssuedToken(access_token, next(_serials))

    def __repr__(self) -> str:
        return "StaticToken(****)"

    def current(self) -> IssuedToken:
        return self._issued

    def renew(self, rejected_serial: int) -> IssuedToken:
        raise AuthGrantError("a pasted access token cannot be renewed", code="not_renewable")

    def status(self) -> TokenStatus:
        return TokenStatus(self.method, None, False, 0)


class TokenStore(Protocol):
    """Where a renewing provider keeps its token between runs and shares it between workers.
    `locked()` holds off every other holder of the same store while one renews."""

    def load(self) -> Token | None: ...

    def save(self, token: Token) -> None: ...

    def locked(self) -> AbstractContextManager[None]: ...


class MemoryTokenStore:
    """One process's store (the CLI, tests): a lock and a slot."""

    def __init__(self, token: Token | None = None):
        self._token = token
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return "MemoryTokenStore(****)"

    def load(self) -> Token | None:
        return self._token

    def save(self, token: Token) -> None:
        self._token = token

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock:
            yield


Grant = Callable[[Token | None], Token]


class RenewingProvider:
    """A token that a grant renews: before it runs out, and once after a 401 that rejects it.

    `grant(stored)` fetches a new token (given the stored one, whose refresh token a refresh
    grant needs). The store's lock is held around the check-and-renew, so of two workers the
    second finds the token the first saved and sends that."""

    def __init__(
        self,
        method: str,
        grant: Grant,
        store: TokenStore | None = None,
        *,
        clock: Callable[[], float] = wall_clock,
        margin: float = RENEW_MARGIN_S,
    ):
        if method not in (CLIENT_CREDENTIALS, AUTHORIZATION_CODE):
            raise ValueError(f"not a renewing method: {method!r}")
        self.method = method
        self._grant = grant
        self._store = store or MemoryTokenStore()
        self._clock = clock
        self._margin = margin
        self._lock = threading.Lock()
        self._token: Token | None = None
        self._issued: IssuedToken | None = None
        self.renewals = 0

    renewable = True

    def __repr__(self) -> str:
        return f"RenewingProvider({self.method}, renewals={self.renewals})"

    def current(self) -> IssuedToken:
        with self._lock:
            if self._issued is not None and not renewal_due(self._token, self._clock(), self._margin):
                return self._issued
            return self._refresh(rejected_serial=None)

    def renew(self, rejected_serial: int) -> IssuedToken:
        with self._lock:
            if self._issued is not None and self._issued.serial != rejected_serial:
                return self._issued  # another thread renewed since that call was sent
            return self._refresh(rejected_serial=rejected_serial)

    def force_renewal(self) -> IssuedToken:
        """Renew now whatever the expiry (Test Connection checks the credentials this way)."""
        with self._lock:
            return self._refresh(rejected_serial=None, force=True)

    def status(self) -> TokenStatus:
        with self._lock:
            token = self._token or self._store.load()
        return TokenStatus(self.method, token.expires_at if token else None, True, self.renewals)

    def _refresh(self, rejected_serial: int | None, force: bool = False) -> IssuedToken:
        # The token the failed call sent (a 401), or None when renewal is merely due.
        rejected = self._token.access_token if rejected_serial is not None and self._token else None
        try:
            with self._store.locked():
                stored = self._store.load()
                adopt = (
                    not force
                    and stored is not None
                    and stored.access_token != rejected
                    and not renewal_due(stored, self._clock(), self._margin)
                )
                if not adopt:
                    stored = self._grant(stored)
                    self._store.save(stored)
                    self.renewals += 1
        except ShopifyError:
            raise
        except Exception as exc:  # the store's own failure (a database, a lock): no token
            raise AuthGrantError(
                f"the stored token could not be read or saved ({type(exc).__name__}: {exc})",
                code="token_store",
            ) from None
        assert stored is not None
        self._token = stored
        self._issued = IssuedToken(stored.access_token, next(_serials))
        return self._issued


def redirect_hmac(params: Mapping[str, str], secret: str) -> str:
    """The `hmac` Shopify puts on the redirect back from its authorize page: hex HMAC-SHA256,
    keyed with the client secret, of every other parameter as `k=v`, sorted, joined by `&`
    (documented: "Implement authorization code grant manually", verify the hmac). The escaping
    of `%`, `&` and a key's `=` is what Shopify's own Python library does against tampering
    with the delimiters; no value Shopify sends here holds them."""

    def pair(key: str, value: str) -> str:
        key = key.replace("%", "%25").replace("=", "%3D")
        return f"{key}={value.replace('%', '%25')}".replace("&", "%26")

    message = "&".join(sorted(pair(k, str(v)) for k, v in params.items() if k not in ("hmac", "signature")))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def redirect_signed(params: Mapping[str, str], secret: str) -> bool:
    """Whether a redirect's `hmac` is Shopify's, compared in constant time."""
    sent = str(params.get("hmac") or "").lower()
    return bool(sent) and hmac.compare_digest(redirect_hmac(params, secret), sent)


# -- the grants: one HTTP call each, at the edge ---------------------------------------------


@dataclass(frozen=True)
class GrantEndpoint:
    """Where the token endpoint is, and the app's credentials (never in a repr)."""

    token_url: str
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    timeout: tuple[float, float] = (5.0, 30.0)


def token_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/admin/oauth/access_token"


Post = Callable[[str, Mapping[str, str], tuple[float, float]], tuple[int, str]]


def _post_form(url: str, form: Mapping[str, str], timeout: tuple[float, float]) -> tuple[int, str]:
    from .network_errors import USER_AGENT, transport_error

    try:
        # No redirects: the form carries the client secret.
        response = requests.post(
            url,
            data=dict(form),
            timeout=timeout,
            allow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )
    except requests.RequestException as exc:
        raise transport_error(exc, url) from None
    return response.status_code, response.text


def parse_grant_answer(status: int, text: str, now: float, where: str) -> Token:
    """A token endpoint's answer as a Token, or the AuthGrantError it means."""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if 200 <= status < 300 and isinstance(body, dict) and isinstance(body.get("access_token"), str):
        expires_in = _number(body.get("expires_in"))
        refresh_in = _number(body.get("refresh_token_expires_in"))
        return Token(
            access_token=body["access_token"],
            issued_at=now,
            expires_at=now + expires_in if expires_in is not None else None,
            refresh_token=body.get("refresh_token") or None,
            refresh_expires_at=now + refresh_in if refresh_in is not None else None,
            scope=str(body.get("scope") or ""),
        )
    raise grant_error(status, body, text, where)


# What an admin reads for each OAuth error code. `invalid_client` is RFC 6749's code for a wrong
# client ID or secret (documented by RFC 6749 §5.2; that Shopify sends it for a wrong secret is
# what the issue reports). `shop_not_permitted` and `app_not_installed` are the codes Shopify's
# community threads show for client credentials on another organization's store and on a store
# without the app (not on shopify.dev; their body shapes are a guess).
GRANT_ERROR_WORDS = {
    "invalid_client": "Shopify refused the client ID or secret",
    "shop_not_permitted": (
        "Shopify refuses the client credentials grant on this store: the app belongs to another "
        "organization. Use the authorization code method (Install on Shopify) instead"
    ),
    "app_not_installed": "the app is not installed on this store: install it from the Dev Dashboard first",
    "invalid_grant": (
        "Shopify refused the refresh token or authorization code (used, expired or revoked): "
        "install the app on Shopify again"
    ),
    "invalid_request": "Shopify refused the token request as malformed",
    "unauthorized_client": "this app may not use this way of connecting",
}


def grant_error(status: int, body: object, text: str, where: str) -> ShopifyError:
    code, description = None, ""
    if isinstance(body, dict):
        code = body.get("error") if isinstance(body.get("error"), str) else None
        description = str(body.get("error_description") or body.get("errors") or "")
    elif text:
        # Some answers are text: "Oauth error app_not_installed: The application is not ..."
        words = " ".join(text.split())[:300]
        if words.lower().startswith("oauth error "):
            code = words[len("oauth error ") :].split(":", 1)[0].strip() or None
        description = words
    if status >= 500:
        from .errors import ServerError

        return ServerError(f"Shopify's token endpoint failed ({status}) at {where}", status=status)
    if status == 429:
        from .errors import RateLimited

        return RateLimited(f"Shopify's token endpoint rate-limited the request at {where}", status=status)
    words = GRANT_ERROR_WORDS.get(code or "", "Shopify refused the token request")
    detail = f" (Shopify: {code}{': ' + description if description else ''})" if code or description else ""
    return AuthGrantError(f"{words}{detail}", status=status, code=code or "grant_refused")


def _send_grant(
    endpoint: GrantEndpoint,
    form: dict[str, str],
    *,
    clock: Callable[[], float],
    post: Post,
    sleep: Callable[[float], None],
) -> Token:
    """POST one grant; an answer that never came (or a 5xx) is asked again, with the same form."""
    where = urlsplit(endpoint.token_url).netloc or endpoint.token_url
    form = {"client_id": endpoint.client_id, "client_secret": endpoint.client_secret, **form}
    for attempt in range(GRANT_ATTEMPTS):
        try:
            status, text = post(endpoint.token_url, form, endpoint.timeout)
            return parse_grant_answer(status, text, clock(), where)
        except AuthGrantError:
            raise
        except ShopifyError as error:
            if error.kind == "unreachable" or attempt == GRANT_ATTEMPTS - 1:
                raise AuthGrantError(
                    f"no token from Shopify's token endpoint: {error.message}", code=error.kind
                ) from None
            sleep(GRANT_BACKOFF_S[min(attempt, len(GRANT_BACKOFF_S) - 1)])
    raise AssertionError("unreachable")


def client_credentials_grant(
    endpoint: GrantEndpoint,
    *,
    clock: Callable[[], float] = wall_clock,
    post: Post = _post_form,
    sleep: Callable[[float], None] = time.sleep,
) -> Grant:
    def grant(stored: Token | None) -> Token:
        return _send_grant(
            endpoint, {"grant_type": "client_credentials"}, clock=clock, post=post, sleep=sleep
        )

    return grant


def refresh_token_grant(
    endpoint: GrantEndpoint,
    *,
    clock: Callable[[], float] = wall_clock,
    post: Post = _post_form,
    sleep: Callable[[float], None] = time.sleep,
) -> Grant:
    """Renew an expiring offline token with its refresh token. If Shopify refuses it and the
    pair before it is known, that one's refresh token is tried once (kept valid by Shopify until
    its replacement is used)."""

    def grant(stored: Token | None) -> Token:
        if stored is None or not stored.refresh_token:
            raise AuthGrantError(
                "no refresh token on file: install the app on Shopify (Install on Shopify)",
                code="no_refresh_token",
            )
        candidates = [stored.refresh_token]
        if stored.previous_refresh_token and stored.previous_refresh_token != stored.refresh_token:
            candidates.append(stored.previous_refresh_token)
        for k, refresh in enumerate(candidates):
            try:
                fresh = _send_grant(
                    endpoint,
                    {"grant_type": "refresh_token", "refresh_token": refresh},
                    clock=clock,
                    post=post,
                    sleep=sleep,
                )
            except AuthGrantError as error:
                if error.code == "invalid_grant" and k + 1 < len(candidates):
                    continue
                raise
            return replace(fresh, previous_refresh_token=refresh)
        raise AssertionError("unreachable")

    return grant


def exchange_authorization_code(
    endpoint: GrantEndpoint,
    code: str,
    *,
    clock: Callable[[], float] = wall_clock,
    post: Post = _post_form,
) -> Token:
    """The install callback's code for an expiring offline token and its refresh token.
    The form (client_id, client_secret, code) is Shopify's documented one. `expiring=1` is the
    documented switch of the token exchange grant; that the code exchange honours it the same
    way is a guess, shared by the apps whose code we read. Without it Shopify answers a
    non-expiring token: that works too (never renewed; a 401 then asks for a new install)."""
    where = urlsplit(endpoint.token_url).netloc or endpoint.token_url
    form = {
        "client_id": endpoint.client_id,
        "client_secret": endpoint.client_secret,
        "code": code,
        "expiring": "1",
    }
    status, text = post(endpoint.token_url, form, endpoint.timeout)
    return parse_grant_answer(status, text, clock(), where)
