"""Shopify's OAuth as far as a store connection meets it: the token endpoint's three grants,
the authorize page an admin approves, tokens that expire, refresh tokens that rotate.

Documented (shopify.dev, checked 2026-12):
* `POST /admin/oauth/access_token`, form-encoded. `grant_type=client_credentials` with the
  client ID and secret answers `{"access_token", "scope", "expires_in": 86399}` ("Using the
  client credentials grant"); only for the app's own organization's stores.
* The authorization code grant: `/admin/oauth/authorize?client_id&scope&redirect_uri&state`;
  on approval Shopify redirects to `redirect_uri` with `code`, `hmac`, `shop`, `state`,
  `timestamp` (and `host`); `hmac` is the hex HMAC-SHA256, keyed with the client secret, of the
  other query parameters sorted by name and joined as `k=v&k=v`. The code is exchanged with
  `client_id`, `client_secret`, `code`.
* Expiring offline tokens (changelog 2025-12): asked for with `expiring=1`, they last 3,600 s
  and come with a `refresh_token` (`refresh_token_expires_in`, 90 days); `grant_type=
  refresh_token` answers a new pair. Since 2026-08-28 the previous refresh token stays valid
  until the new one is used (changelog "More resilient refreshes ...").
* A request with a token Shopify does not accept answers 401 with
  `{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}`.

Guesses, said so where they are used: the error bodies of the token endpoint (`{"error",
"error_description"}` as RFC 6749 §5.2 has them, HTTP 400, `invalid_client` for a wrong ID or
secret, `shop_not_permitted` for another organization's store as community threads show); that
an expired token gets the same 401 body as an unknown one; a code living 10 minutes.
"""

from __future__ import annotations

import hmac
import html
import json
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ..sync.redirect_hmac import redirect_hmac

TOKEN_PATH = "/admin/oauth/access_token"
AUTHORIZE_PATH = "/admin/oauth/authorize"
APPROVE_PATH = "/admin/oauth/authorize/approve"

CLIENT_CREDENTIALS_LIFETIME = 86399.0  # documented example value
OFFLINE_LIFETIME = 3600.0  # documented: expiring offline tokens, 60 minutes
REFRESH_LIFETIME = 90 * 86400.0  # documented: 90-day refresh token
CODE_LIFETIME = 600.0  # guess


# Shopify's `hmac` of a redirect's query: one home, sync/redirect_hmac.py.
query_hmac = redirect_hmac


@dataclass
class OAuthApp:
    """The app as the Dev Dashboard knows it, and how this shop relates to it."""

    client_id: str
    client_secret: str = field(repr=False)
    scopes: str = "read_inventory,write_inventory,read_products,read_locations"
    # The shop belongs to the app's organization: client credentials allowed.
    own_organization: bool = True
    installed: bool = True
    # Lifetimes in the clock's seconds (tests: a few seconds).
    client_credentials_lifetime: float = CLIENT_CREDENTIALS_LIFETIME
    offline_lifetime: float = OFFLINE_LIFETIME
    refresh_lifetime: float = REFRESH_LIFETIME


@dataclass
class _Refresh:
    expires_at: float
    # The refresh token this one replaced: valid until this one is first used.
    previous: str | None = None
    used: bool = False


class OAuthServer:
    """Tokens issued by grants, each with its expiry; thread-safe (one lock)."""

    def __init__(self, app: OAuthApp, clock: Any, shop_domain: str):
        self.app = app
        self.clock = clock
        self.shop_domain = shop_domain
        self._lock = threading.Lock()
        self._tokens: dict[str, float | None] = {}  # access token -> expiry (None: never)
        self._refresh: dict[str, _Refresh] = {}
        self._codes: dict[str, float] = {}  # one-time codes -> expiry
        self.grants: Counter = Counter()  # successful grants by grant type
        self.refusals: Counter = Counter()  # refused requests by error code
        self.expired_rejections = 0  # calls answered 401 because their token had expired

    def __repr__(self) -> str:
        return f"OAuthServer({self.app.client_id!r}, tokens={len(self._tokens)})"

    # -- the API side ----------------------------------------------------------------------
    def check(self, token: str | None) -> str:
        """'ok', 'expired' or 'unknown' for a token a call sent."""
        with self._lock:
            if token is None or token not in self._tokens:
                return "unknown"
            expires_at = self._tokens[token]
            if expires_at is not None and self.clock.now() >= expires_at:
                self.expired_rejections += 1
                return "expired"
            return "ok"

    def expire_all(self) -> None:
        """Make every issued access token expire now (a test's 'a day went by')."""
        with self._lock:
            now = self.clock.now()
            for token in self._tokens:
                self._tokens[token] = now

    # -- the token endpoint ----------------------------------------------------------------
    def token_request(self, raw: bytes | None, content_type: str) -> tuple[int, dict]:
        form = self._form(raw, content_type)
        if form.get("client_id") != self.app.client_id or not hmac.compare_digest(
            form.get("client_secret", ""), self.app.client_secret
        ):
            return self._refuse(
                "invalid_client", "Client authentication failed: unknown client or wrong secret."
            )
        grant_type = form.get("grant_type") or ("authorization_code" if "code" in form else "")
        if grant_type == "client_credentials":
            if not self.app.installed:
                return self._refuse("app_not_installed", "The application is not installed on this shop.")
            if not self.app.own_organization:
                return self._refuse(
                    "shop_not_permitted",
                    "Client credentials cannot be performed on this shop: it is not owned by the "
                    "app's organization.",
                )
            return self._issue("client_credentials", self.app.client_credentials_lifetime, refresh=False)
        if grant_type == "authorization_code":
            with self._lock:
                expires_at = self._codes.pop(form.get("code", ""), None)
            if expires_at is None or self.clock.now() >= expires_at:
                return self._refuse("invalid_grant", "The authorization code is invalid, used or expired.")
            if form.get("expiring") == "1":
                return self._issue("authorization_code", self.app.offline_lifetime, refresh=True)
            return self._issue("authorization_code", None, refresh=False)
        if grant_type == "refresh_token":
            return self._rotate(form.get("refresh_token", ""))
        return self._refuse("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")

    def _rotate(self, used: str) -> tuple[int, dict]:
        now = self.clock.now()
        with self._lock:
            entry = self._refresh.get(used)
            if entry is None or now >= entry.expires_at:
                self.refusals["invalid_grant"] += 1
                return 400, {"error": "invalid_grant", "error_description": "The refresh token is invalid."}
            # Using this refresh token retires the one it replaced (documented, 2026-08).
            if entry.previous is not None:
                self._refresh.pop(entry.previous, None)
                entry.previous = None
            entry.used = True
        status, body = self._issue("refresh_token", self.app.offline_lifetime, refresh=True, replaces=used)
        return status, body

    def _issue(
        self, grant: str, lifetime: float | None, *, refresh: bool, replaces: str | None = None
    ) -> tuple[int, dict]:
        now = self.clock.now()
        token = "shpat_" + secrets.token_hex(16)
        body: dict[str, Any] = {"access_token": token, "scope": self.app.scopes}
        with self._lock:
            self._tokens[token] = now + lifetime if lifetime is not None else None
            if lifetime is not None:
                body["expires_in"] = int(lifetime) if float(lifetime).is_integer() else lifetime
            if refresh:
                refresh_token = "shprt_" + secrets.token_hex(16)
                self._refresh[refresh_token] = _Refresh(now + self.app.refresh_lifetime, previous=replaces)
                body["refresh_token"] = refresh_token
                body["refresh_token_expires_in"] = int(self.app.refresh_lifetime)
            self.grants[grant] += 1
        return 200, body

    def _refuse(self, code: str, description: str) -> tuple[int, dict]:
        with self._lock:
            self.refusals[code] += 1
        return 400, {"error": code, "error_description": description}

    @staticmethod
    def _form(raw: bytes | None, content_type: str) -> dict[str, str]:
        text = (raw or b"").decode("utf-8", "replace")
        if "json" in content_type:
            try:
                data = json.loads(text)
            except ValueError:
                return {}
            return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return dict(parse_qsl(text, keep_blank_values=True))

    # -- the authorize page ----------------------------------------------------------------
    def authorize_page(self, query: str) -> tuple[int, str]:
        """The approval page: what the app asks for and one Install button (a link a browser
        test clicks, or a plain HTTP client follows)."""
        params = dict(parse_qsl(query, keep_blank_values=True))
        if params.get("client_id") != self.app.client_id or not params.get("redirect_uri"):
            return 400, "<html><body><h1>Oauth error invalid_request</h1></body></html>"
        approve = f"{APPROVE_PATH}?{urlencode(params)}"
        scopes = html.escape(params.get("scope", ""))
        page = (
            "<!DOCTYPE html><html><head><title>Install app | Shopify</title></head><body>"
            f"<h1>Install app on {html.escape(self.shop_domain)}</h1>"
            f"<p>This app is asking for: <span id='scopes'>{scopes}</span></p>"
            f"<a id='install' href='{html.escape(approve, quote=True)}'>Install app</a>"
            "</body></html>"
        )
        return 200, page

    def approve(self, query: str) -> str:
        """The redirect after approval: redirect_uri with code, hmac, host, shop, state, timestamp."""
        params = dict(parse_qsl(query, keep_blank_values=True))
        code = secrets.token_hex(16)
        now = self.clock.now()
        with self._lock:
            self._codes[code] = now + CODE_LIFETIME
        answer = {
            "code": code,
            "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvZW11bGF0ZWQ",
            "shop": self.shop_domain,
            "state": params.get("state", ""),
            "timestamp": str(int(now)),
        }
        answer["hmac"] = query_hmac(answer, self.app.client_secret)
        self.app.installed = True
        redirect = params.get("redirect_uri", "/")
        return f"{redirect}{'&' if '?' in redirect else '?'}{urlencode(answer)}"
