"""The CLI's credentials from the environment: a pasted Admin API token, or a Dev Dashboard
app's client ID and secret (client credentials grant, renewed during a long run). Neither is
ever printed."""

from __future__ import annotations

from collections.abc import Mapping

from ..sync.api import (
    CLIENT_CREDENTIALS,
    EndpointError,
    GrantEndpoint,
    RenewingProvider,
    ShopifyEndpoint,
    client_credentials_grant,
)

TOKEN_ENV = "SHOPIFY_ACCESS_TOKEN"
CLIENT_ID_ENV = "SHOPIFY_CLIENT_ID"
CLIENT_SECRET_ENV = "SHOPIFY_CLIENT_SECRET"

MISSING = (
    f"set {TOKEN_ENV} to the store's Admin API access token, or {CLIENT_ID_ENV} and "
    f"{CLIENT_SECRET_ENV} to your Dev Dashboard app's client ID and secret"
)


def endpoint_from_env(
    shop: str, api_version: str, endpoint_override: str | None, environ: Mapping[str, str]
) -> ShopifyEndpoint:
    """A pasted token wins when both are set (it is what the store used before 2026)."""
    token = environ.get(TOKEN_ENV, "").strip()
    if token:
        return ShopifyEndpoint(shop, token, api_version, endpoint_override=endpoint_override)
    client_id = environ.get(CLIENT_ID_ENV, "").strip()
    client_secret = environ.get(CLIENT_SECRET_ENV, "").strip()
    if not (client_id and client_secret):
        raise EndpointError(MISSING)
    # The grant's URL is the endpoint's, so it is checked the same way (https, or loopback).
    probe = ShopifyEndpoint(shop, "-", api_version, endpoint_override=endpoint_override)
    grant = client_credentials_grant(GrantEndpoint(probe.token_url, client_id, client_secret))
    return ShopifyEndpoint(
        shop,
        api_version=api_version,
        endpoint_override=endpoint_override,
        token_provider=RenewingProvider(CLIENT_CREDENTIALS, grant),
    )
