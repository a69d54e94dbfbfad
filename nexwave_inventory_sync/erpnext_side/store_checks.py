"""What the Shopify Store form checks with the engine's rules (shop domain, API version,
location ids, the install link), each refusal thrown in the words the admin reads: the
controller calls these, never the engine's modules."""

from __future__ import annotations

import frappe
from frappe import _

from ..sync.api import (
    EndpointError,
    IdError,
    UnsupportedApiVersion,
    check_api_version,
    normalize_shop_domain,
    to_gid,
)


def shop_domain(value: str | None) -> str:
    """`value` as the store's name (shop.myshopify.com), or a refusal."""
    try:
        return normalize_shop_domain(value)
    except EndpointError as exc:
        frappe.throw(str(exc), title=_("Invalid Shopify Store"))


def api_version(value: str | None) -> None:
    """Refuses a version this app does not speak."""
    try:
        check_api_version(value)
    except UnsupportedApiVersion as exc:
        frappe.throw(str(exc), title=_("Invalid Shopify Store"))


def location_gid(row) -> str:
    """A location row's Shopify id as a gid (a bare number is taken too), or a refusal naming
    the row."""
    try:
        return to_gid("Location", row.shopify_location_id)
    except IdError as exc:
        frappe.throw(_("Row {0}: {1}").format(row.idx, exc))


def install_url(store) -> str:
    """Shopify's authorize URL with a one-time state (oauth_install.py), or a refusal."""
    from .oauth_install import install_url as authorize_url

    try:
        return authorize_url(store)
    except EndpointError as exc:
        frappe.throw(str(exc), title=_("Install on Shopify"))
