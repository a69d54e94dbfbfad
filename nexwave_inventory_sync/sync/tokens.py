"""What a token is and the pure decisions about it: when to renew it, and whether a 401 rejects
it. Shared by the providers (auth.py), the grants (grants.py) and the stores that keep a token
between runs (the app's store_tokens.py). No I/O here."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import AuthError, ShopifyError

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
            expires_at=seconds_or_none(data.get("expires_at")),
            refresh_token=data.get("refresh_token") or None,
            previous_refresh_token=data.get("previous_refresh_token") or None,
            refresh_expires_at=seconds_or_none(data.get("refresh_expires_at")),
            scope=str(data.get("scope") or ""),
        )


def seconds_or_none(value: object) -> float | None:
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


Grant = Callable[[Token | None], Token]
