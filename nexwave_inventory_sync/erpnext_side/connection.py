"""A store's endpoint, Test Connection and Fetch Locations: the ERPNext side of sync/shop_info.py.

A store connects one of three ways (its Authentication field): a pasted token, the client
credentials of a Dev Dashboard app, or an app installed by the authorization code (Install on
Shopify). The last two renew their token (sync/auth.py), kept by store_tokens.py.
"""

from __future__ import annotations

import datetime

import frappe
from frappe import _
from frappe.utils import convert_utc_to_system_timezone, now_datetime

from ..sync.api import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    AuthGrantError,
    EndpointError,
    GrantEndpoint,
    RenewingProvider,
    ShopifyEndpoint,
    ShopInfoError,
    TokenProvider,
    UnsupportedApiVersion,
    check_connection,
    check_endpoint_override,
    client_credentials_grant,
    fetch_locations,
    normalize_shop_domain,
    refresh_token_grant,
    token_url,
)
from .constants import (
    AUTH_ACCESS_TOKEN,
    AUTH_AUTHORIZATION_CODE,
    AUTH_CLIENT_CREDENTIALS,
    ENDPOINT_OVERRIDES_KEY,
    STORE_DOCTYPE,
)
from .store_tokens import StoreTokenStore, TokenStoreError

_ENGINE_METHOD = {AUTH_CLIENT_CREDENTIALS: CLIENT_CREDENTIALS, AUTH_AUTHORIZATION_CODE: AUTHORIZATION_CODE}


def endpoint_override(shop_domain: str) -> str | None:
    overrides = frappe.get_site_config().get(ENDPOINT_OVERRIDES_KEY) or {}
    return overrides.get(shop_domain.strip().lower()) if isinstance(overrides, dict) else None


def auth_method(store) -> str:
    """The store's way of connecting; a store saved before the field existed used a token."""
    return store.get("auth_method") or AUTH_ACCESS_TOKEN


def shop_base_url(store) -> str:
    """https://the-shop.myshopify.com, or the site config's emulator address (tests, demos)."""
    override = endpoint_override(store.shop_domain)
    return (
        check_endpoint_override(override)
        if override
        else f"https://{normalize_shop_domain(store.shop_domain)}"
    )


def grant_endpoint(store) -> GrantEndpoint:
    client_id = (store.get_password("client_id", raise_exception=False) or "").strip()
    client_secret = (store.get_password("client_secret", raise_exception=False) or "").strip()
    if not (client_id and client_secret):
        raise EndpointError(
            _("Enter the Client ID and Client Secret of the store's app (Dev Dashboard, the app's Settings)")
        )
    return GrantEndpoint(token_url(shop_base_url(store)), client_id, client_secret)


def token_provider(store) -> TokenProvider | None:
    """The renewing provider of a store on client credentials or the authorization code."""
    method = auth_method(store)
    if method not in _ENGINE_METHOD:
        return None
    endpoint = grant_endpoint(store)
    grant = (
        client_credentials_grant(endpoint)
        if method == AUTH_CLIENT_CREDENTIALS
        else refresh_token_grant(endpoint)
    )
    return RenewingProvider(_ENGINE_METHOD[method], grant, StoreTokenStore(store.name))


def store_endpoint(store) -> ShopifyEndpoint:
    """Raises EndpointError / UnsupportedApiVersion with a message fit for the admin."""
    provider = token_provider(store)
    return ShopifyEndpoint(
        store.shop_domain,
        "" if provider else store.get_password("access_token", raise_exception=False) or "",
        store.api_version,
        endpoint_override=endpoint_override(store.shop_domain),
        token_provider=provider,
    )


def token_renewals(endpoint: ShopifyEndpoint) -> int:
    """Tokens Shopify issued to the endpoint's provider so far: the Shopify Log's Token Renewals
    (0 for a pasted token)."""
    provider = endpoint.token_provider
    return provider.status().renewals if provider is not None else 0


def _endpoint_or_throw(store) -> ShopifyEndpoint:
    try:
        return store_endpoint(store)
    except (EndpointError, UnsupportedApiVersion) as exc:
        frappe.throw(str(exc), title=_("Cannot reach Shopify"))


def _expiry_text(expires_at: float | None) -> str | None:
    if expires_at is None:
        return None
    utc = datetime.datetime.fromtimestamp(expires_at, datetime.timezone.utc).replace(tzinfo=None)
    return str(convert_utc_to_system_timezone(utc).replace(microsecond=0, tzinfo=None))


def _renew_for_test(endpoint: ShopifyEndpoint, method: str) -> tuple[dict, str | None]:
    """Test Connection renews a renewing store's token now, so the admin learns whether renewal
    works today, not when the token runs out at night. Returns (what to show, a problem)."""
    provider = endpoint.token_provider
    shown = {"auth_method": method, "renewable": bool(provider and provider.renewable)}
    if provider is None or not provider.renewable:
        return shown, None
    try:
        provider.force_renewal()
    except AuthGrantError as exc:
        shown["renewable"] = False
        return shown, exc.message
    except TokenStoreError as exc:
        shown["renewable"] = False
        return shown, str(exc)
    shown["token_expires_at"] = _expiry_text(provider.status().expires_at)
    return shown, None


def test_store_connection(store) -> dict:
    """One ShopInfo call; what it found is kept on the store (shop name, plan, problems) and
    returned for the dialog. A call that fails is reported, not raised: the admin reads why.
    It says which way the store connects, when its token expires and whether it was renewed."""
    endpoint = _endpoint_or_throw(store)
    checked_at = now_datetime()
    auth, refused = _renew_for_test(endpoint, auth_method(store))
    if refused is not None:
        problems = [_("Shopify gave no token: {0}").format(refused)]
        _remember(store.name, checked_at, problems)
        return {"ok": False, "reached": False, "problems": problems, "error_kind": "auth_grant", **auth}
    try:
        report = check_connection(endpoint)
    except ShopInfoError as exc:
        problems = [_("Shopify did not answer the check: {0}").format(exc.message)]
        _remember(store.name, checked_at, problems)
        return {"ok": False, "reached": False, "problems": problems, "error_kind": exc.kind, **auth}
    problems = report.problems()
    _remember(store.name, checked_at, problems, report.shop_name, report.plan)
    return {
        **auth,
        "ok": report.ok,
        "reached": True,
        "shop_name": report.shop_name,
        "shop_domain": report.shop_domain,
        "plan": report.plan,
        "shopify_plus": report.shopify_plus,
        "granted_scopes": list(report.granted_scopes),
        "missing_scopes": list(report.missing_scopes),
        "requested_version": report.requested_version,
        "served_version": report.served_version,
        "problems": problems,
    }


def _remember(store_name: str, checked_at, problems: list[str], shop_name=None, plan=None) -> None:
    values = {"connection_checked_at": checked_at, "connection_problems": "\n".join(problems) or None}
    if shop_name is not None:
        values.update(shop_name=shop_name, shop_plan=plan)
    # Not a document save: the admin may have unsaved edits open in the form.
    frappe.db.set_value(STORE_DOCTYPE, store_name, values, update_modified=False)


def fetch_store_locations(store) -> list[dict]:
    """Every Shopify location, for the mapping dialog; names of mapped rows are refreshed."""
    endpoint = _endpoint_or_throw(store)
    try:
        found = fetch_locations(endpoint)
    except ShopInfoError as exc:
        frappe.throw(
            _("Shopify did not list the locations: {0}").format(exc.message), title=_("Fetch Locations")
        )
    names = {loc.id: loc.name for loc in found}
    for row in store.locations:
        if row.shopify_location_id in names and row.location_name != names[row.shopify_location_id]:
            frappe.db.set_value(
                row.doctype, row.name, "location_name", names[row.shopify_location_id], update_modified=False
            )
    return [
        {
            "id": loc.id,
            "name": loc.name,
            "active": loc.active,
            "fulfills_online_orders": loc.fulfills_online_orders,
        }
        for loc in found
    ]
