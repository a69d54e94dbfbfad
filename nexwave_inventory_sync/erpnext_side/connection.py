"""A store's endpoint, Test Connection and Fetch Locations: the ERPNext side of sync/shop_info.py."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import now_datetime

from ..sync.endpoint import EndpointError, ShopifyEndpoint
from ..sync.shop_info import ShopInfoError, check_connection, fetch_locations
from ..sync.versions import UnsupportedApiVersion
from .constants import ENDPOINT_OVERRIDES_KEY, STORE_DOCTYPE


def endpoint_override(shop_domain: str) -> str | None:
    overrides = frappe.get_site_config().get(ENDPOINT_OVERRIDES_KEY) or {}
    return overrides.get(shop_domain.strip().lower()) if isinstance(overrides, dict) else None


def store_endpoint(store) -> ShopifyEndpoint:
    """Raises EndpointError / UnsupportedApiVersion with a message fit for the admin."""
    return ShopifyEndpoint(
        store.shop_domain,
        store.get_password("access_token", raise_exception=False) or "",
        store.api_version,
        endpoint_override=endpoint_override(store.shop_domain),
    )


def _endpoint_or_throw(store) -> ShopifyEndpoint:
    try:
        return store_endpoint(store)
    except (EndpointError, UnsupportedApiVersion) as exc:
        frappe.throw(str(exc), title=_("Cannot reach Shopify"))


def test_store_connection(store) -> dict:
    """One ShopInfo call; what it found is kept on the store (shop name, plan, problems) and
    returned for the dialog. A call that fails is reported, not raised: the admin reads why."""
    endpoint = _endpoint_or_throw(store)
    checked_at = now_datetime()
    try:
        report = check_connection(endpoint)
    except ShopInfoError as exc:
        problems = [_("Shopify did not answer the check: {0}").format(exc.message)]
        _remember(store.name, checked_at, problems)
        return {"ok": False, "reached": False, "problems": problems, "error_kind": exc.kind}
    problems = report.problems()
    _remember(store.name, checked_at, problems, report.shop_name, report.plan)
    return {
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
