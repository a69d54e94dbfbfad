"""Install on Shopify: the authorization code grant for a store of another organization.

The store's button opens Shopify's authorize URL (the app's client ID, the scopes the push
needs, this site's callback, a one-time `state`). Shopify sends the admin back to `callback`
with `code`, `hmac`, `host`, `shop`, `state`, `timestamp`. The callback checks, before it
changes anything: the `state` is one this site issued and not used; the `hmac` (hex
HMAC-SHA256 of the other parameters sorted, keyed with the store's client secret, compared in
constant time: documented, "Implement authorization code grant manually", verification step);
the `shop` is a `*.myshopify.com` domain and the store's own. Only then is the code exchanged for
an expiring offline token and its refresh token (sync/grants.exchange_authorization_code), kept
encrypted (store_tokens.py). A callback that fails a check answers 400 and changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from urllib.parse import urlencode

import frappe
from frappe import _

from ..sync.api import (
    REQUIRED_SCOPES,
    EndpointError,
    ShopifyError,
    exchange_authorization_code,
    normalize_shop_domain,
    redirect_signed,
)
from .connection import grant_endpoint, shop_base_url
from .constants import INSTALL_CALLBACK_METHOD, STORE_DOCTYPE
from .store_tokens import StoreTokenStore

STATE_TTL_S = 15 * 60
_STATE_KEY = "nexwave_shopify_install_state:"


class InstallRefused(frappe.ValidationError):
    """A callback that fails a check: 400, nothing changed."""

    http_status_code = 400


def callback_url() -> str:
    return frappe.utils.get_url(f"/api/method/{INSTALL_CALLBACK_METHOD}")


def install_url(store) -> str:
    """Shopify's authorize URL for this store, with a fresh one-time state."""
    endpoint = grant_endpoint(store)  # raises EndpointError without the app's credentials
    state = secrets.token_urlsafe(32)
    frappe.cache.set_value(_STATE_KEY + state, store.name, expires_in_sec=STATE_TTL_S)
    query = urlencode(
        {
            "client_id": endpoint.client_id,
            "scope": ",".join(REQUIRED_SCOPES),
            "redirect_uri": callback_url(),
            "state": state,
        }
    )
    return f"{shop_base_url(store)}/admin/oauth/authorize?{query}"


def check_callback(params: Mapping[str, str], secret: str, store_domain: str) -> str | None:
    """Why a callback is refused, or None. Pure: the state was looked up by the caller."""
    if not redirect_signed(params, secret):
        return _("the request's signature (hmac) does not match the store's client secret")
    try:
        shop = normalize_shop_domain(params.get("shop") or "")
    except EndpointError:
        return _("the shop is not a myshopify.com domain")
    if shop != store_domain:
        return _("the shop {0} is not this store's ({1})").format(shop, store_domain)
    if not params.get("code"):
        return _("Shopify sent no authorization code")
    return None


def complete_install(params: Mapping[str, str]) -> str:
    """Check a callback and exchange its code; returns the store's name. Raises InstallRefused
    (nothing changed) or a ShopifyError from the code exchange."""
    state = params.get("state") or ""
    store_name = frappe.cache.get_value(_STATE_KEY + state) if state else None
    if not store_name or not frappe.db.exists(STORE_DOCTYPE, store_name):
        raise InstallRefused(_("Install on Shopify: unknown or expired state; start again from the store"))
    store = frappe.get_doc(STORE_DOCTYPE, store_name)
    try:
        endpoint = grant_endpoint(store)
    except EndpointError as exc:
        raise InstallRefused(str(exc)) from None
    refused = check_callback(params, endpoint.client_secret, store.shop_domain)
    if refused:
        raise InstallRefused(_("Install on Shopify refused: {0}").format(refused))
    # From here the state is spent: a replayed callback meets "unknown state".
    frappe.cache.delete_value(_STATE_KEY + state)
    token = exchange_authorization_code(endpoint, params["code"])
    StoreTokenStore(store.name).save(token)
    return store.name


@frappe.whitelist(allow_guest=True, methods=["GET"])
def callback(**kwargs) -> None:
    """Where Shopify sends the admin back. Guest: the admin's session may be on another
    domain; the state and hmac are what authenticate the request."""
    request = getattr(frappe.local, "request", None)
    params = {k: str(v) for k, v in (request.args if request is not None else kwargs).items()}
    params.pop("cmd", None)
    try:
        store_name = complete_install(params)
    except ShopifyError as exc:
        raise InstallRefused(_("Shopify did not exchange the code: {0}").format(exc.message)) from None
    frappe.local.response["type"] = "redirect"
    frappe.local.response["location"] = f"/app/shopify-store/{store_name}"
