"""Subscribing a store to Shopify's inventory webhooks at this site's public address.

Without a public URL for the site (site config WEBHOOK_BASE_URL_KEY) no webhook is subscribed
and finding changes made in Shopify is the scheduled reconciliation's job. The desk's button
calls webhooks.subscribe_webhooks; the per-minute sweep (webhooks.sweep) subscribes a store not
yet subscribed at the current address.
"""

from __future__ import annotations

import frappe
from frappe import _

from ..sync.api import EndpointError, UnsupportedApiVersion
from ..sync.api import webhooks as shopify_webhooks
from .connection import store_endpoint
from .constants import STORE_DOCTYPE, WEBHOOK_BASE_URL_KEY
from .webhook_delivery import webhook_secret

RECEIVE_PATH = "/api/method/nexwave_inventory_sync.erpnext_side.webhooks.receive"
SUBSCRIBED = "Subscribed at {0}"


def webhook_base_url() -> str | None:
    value = (frappe.get_site_config().get(WEBHOOK_BASE_URL_KEY) or "").strip().rstrip("/")
    return value or None


def callback_url() -> str | None:
    base = webhook_base_url()
    return base + RECEIVE_PATH if base else None


def subscribed_at(status: str | None, uri: str) -> bool:
    return (status or "").startswith(SUBSCRIBED.format(uri))


def subscribe_store(store) -> str:
    """webhookSubscriptionCreate for each topic at this site's address; the outcome goes to the
    store's Webhook Subscriptions field (and is returned)."""
    uri = callback_url()
    if not uri:
        status = _(
            "No public address for this site (site config {0}): changes made in Shopify are found by "
            "the scheduled reconciliation only"
        ).format(WEBHOOK_BASE_URL_KEY)
    elif not webhook_secret(store):
        status = _("Set the Webhook Secret first: Shopify signs every delivery with it")
    else:
        try:
            results = shopify_webhooks.subscribe(store_endpoint(store), uri)
        except (EndpointError, UnsupportedApiVersion) as exc:
            results = None
            status = _("Not subscribed: {0}").format(exc)
        if results is not None:
            failed = [f"{r.topic}: {r.message}" for r in results if not r.ok]
            status = (
                _("Not subscribed: {0}").format("; ".join(failed))
                if failed
                else SUBSCRIBED.format(uri) + ": " + ", ".join(r.topic for r in results)
            )
    frappe.db.set_value(STORE_DOCTYPE, store.name, "webhook_status", status, update_modified=False)
    return status
