"""Where the engine sends its calls: a validated shop domain, API version and token."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .errors import EngineError, ErrorKind
from .versions import DEFAULT_API_VERSION, check_api_version

if TYPE_CHECKING:
    from .auth import TokenProvider

_SHOP = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$")


class EndpointError(EngineError, ValueError):
    kind = ErrorKind.INVALID_ENDPOINT


def normalize_shop_domain(domain: str) -> str:
    """'https://My-Shop.myshopify.com/' -> 'my-shop.myshopify.com'; anything that is not a
    *.myshopify.com host is refused, so a token is never sent to another host."""
    if not isinstance(domain, str) or not domain.strip():
        raise EndpointError("the shop domain is empty")
    text = domain.strip().lower()
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme != "https" or parts.path not in ("", "/") or parts.query or parts.username:
            raise EndpointError(f"{domain!r} is not a shop domain like 'your-shop.myshopify.com'")
        text = parts.hostname or ""
    text = text.rstrip("/")
    if not _SHOP.match(text):
        raise EndpointError(f"{domain!r} is not a shop domain like 'your-shop.myshopify.com'")
    return text


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint_override(url: str) -> str:
    """An override (tests, demo, emulator) may be plain http only on loopback."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(f"endpoint {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise EndpointError(
            f"endpoint {url!r} uses plain http off this machine; only loopback may (the token would travel unencrypted)"
        )
    return url.rstrip("/")


@dataclass(frozen=True)
class ShopifyEndpoint:
    """`access_token` is a pasted token; a store that renews its token (client credentials,
    authorization code) passes `token_provider` instead and leaves `access_token` empty."""

    shop_domain: str
    access_token: str = field(default="", repr=False)
    api_version: str = DEFAULT_API_VERSION
    endpoint_override: str | None = None
    token_provider: TokenProvider | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shop_domain", normalize_shop_domain(self.shop_domain))
        check_api_version(self.api_version)
        if self.token_provider is None and (not self.access_token or not self.access_token.strip()):
            raise EndpointError(f"no access token for {self.shop_domain}")
        if self.endpoint_override is not None:
            object.__setattr__(self, "endpoint_override", check_endpoint_override(self.endpoint_override))
        if self.token_provider is None:
            from .auth import StaticToken

            # One provider per endpoint: every client of a run shares it (and its renewals).
            object.__setattr__(self, "token_provider", StaticToken(self.access_token))

    @property
    def base_url(self) -> str:
        return self.endpoint_override or f"https://{self.shop_domain}"

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/admin/api/{self.api_version}/graphql.json"

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint (client credentials, code exchange, refresh)."""
        return f"{self.base_url}/admin/oauth/access_token"
