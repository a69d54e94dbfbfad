"""The token endpoint's grants, one HTTP call each, at the edge: client credentials, a refresh
token for a new pair (retried with the pair before when Shopify refuses it), and the install
callback's code exchange. A refusal comes back as an AuthGrantError in the admin's words
(`GRANT_ERROR_WORDS`); the client secret travels only in the POSTed form, never in a repr, an
error or a log."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import requests

from .errors import AuthGrantError, ShopifyError
from .network_errors import USER_AGENT, transport_error
from .tokens import Grant, Token, seconds_or_none, wall_clock

# A refresh or grant whose answer was lost is sent again this many times (the same refresh
# token: Shopify keeps it valid until its replacement is used).
GRANT_ATTEMPTS = 3
GRANT_BACKOFF_S = (1.0, 3.0)


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
        expires_in = seconds_or_none(body.get("expires_in"))
        refresh_in = seconds_or_none(body.get("refresh_token_expires_in"))
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
