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

This module is the providers and the stores they share; the token and the pure decisions about
it are in tokens.py, the grants (one HTTP call each) in grants.py, the redirect's hmac in
redirect_hmac.py. Their public names are importable from here too.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from .errors import AuthGrantError, ShopifyError

# The names callers import from here (connection.py, the CLI, the emulator, tests): the token
# and its decisions (tokens.py), the grants (grants.py), the redirect's hmac (redirect_hmac.py).
from .grants import (  # noqa: F401
    GRANT_ATTEMPTS,
    GRANT_BACKOFF_S,
    GRANT_ERROR_WORDS,
    GrantEndpoint,
    client_credentials_grant,
    exchange_authorization_code,
    grant_error,
    parse_grant_answer,
    refresh_token_grant,
    token_url,
)
from .redirect_hmac import redirect_hmac, redirect_signed  # noqa: F401
from .tokens import (  # noqa: F401
    ACCESS_TOKEN,
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    METHODS,
    RENEW_FRACTION,
    RENEW_MARGIN_S,
    Grant,
    IssuedToken,
    Token,
    TokenStatus,
    renewal_due,
    token_rejected,
    wall_clock,
)

_serials = itertools.count(1)


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
