"""One delivery from Shopify, judged: what the receiver (webhooks.receive) does with it.

It makes no Shopify call and writes no document: it refuses what is too large, from an unknown
shop or not signed with the store's secret (401), ignores stale deliveries, repeats of one event
(X-Shopify-Event-Id) and deliveries older than one already seen for the same level (updated_at:
they come late and out of order), and the echo of our own writes (the figure equals the level
Shopify last confirmed to us). What is left marks the level for a check and arms one check job
per store (webhook_queue.py).
"""

from __future__ import annotations

from datetime import datetime

import frappe

from ..sync.api import ALL_LOCATIONS, MAX_BODY_BYTES, EndpointError, Verdict, normalize_shop_domain
from ..sync.api import webhooks as shopify_webhooks
from . import webhook_queue
from .constants import CONFIRMED_LEVEL_DOCTYPE, STORE_DOCTYPE
from .quantity_names import ON_HAND, quantity_name
from .store_job import refusal
from .webhook_queue import PENDING, cache_key

# Event ids are remembered as long as Shopify may retry one (48 hours).
EVENT_TTL_S = 48 * 3600

# Store the newer updated_at only: an older delivery of the same level is out of order.
_NEWER = (
    "local cur = redis.call('get', KEYS[1]) "
    "if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end "
    "redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2]) return 1"
)


def webhook_secret(store) -> str:
    """The store's Webhook Secret, else its client secret (Dev Dashboard apps sign webhooks
    with it) when the store has that field."""
    secret = store.get_password("webhook_secret", raise_exception=False)
    if not secret and store.meta.has_field("client_secret"):
        secret = store.get_password("client_secret", raise_exception=False)
    return secret or ""


def handle_delivery(headers, body: bytes, now: datetime) -> Verdict:
    if len(body) > MAX_BODY_BYTES:
        return Verdict(413, "too large")
    store = _store_for(headers.get("X-Shopify-Shop-Domain"))
    if store is None:
        return Verdict(401, "unknown shop")
    if not shopify_webhooks.verify(body, webhook_secret(store), headers.get("X-Shopify-Hmac-Sha256")):
        return Verdict(401, "bad signature")
    topic = (headers.get("X-Shopify-Topic") or "").strip()
    change = shopify_webhooks.read_change(topic, body)
    if change is None:
        return Verdict(200, "ignored")
    age = shopify_webhooks.check_age(
        shopify_webhooks.parse_time(headers.get("X-Shopify-Triggered-At")), change.updated_at, now
    )
    if age:
        return Verdict(200, age, change)
    if refusal(store, now, force=True):  # switched off or disabled
        return Verdict(200, "store off", change)
    event_id = (headers.get("X-Shopify-Event-Id") or "").strip()
    event_key = cache_key("event", store.name, event_id) if event_id else None
    if event_key and not frappe.cache.set(event_key, 1, nx=True, ex=EVENT_TTL_S):
        return Verdict(200, "duplicate", change)
    try:
        return _mark(store, change)
    except Exception:
        if event_key:
            frappe.cache.delete(event_key)  # Shopify's retry is then acted on
        raise


def _mark(store, change) -> Verdict:
    """A new event: marked for a check unless it is out of order or our own echo."""
    if change.updated_at and change.location_id != ALL_LOCATIONS:
        stamp = change.updated_at.timestamp()
        level_key = cache_key("level", store.name, change.member)
        if not frappe.cache.eval(_NEWER, 1, level_key, repr(stamp), EVENT_TTL_S):
            return Verdict(200, "out of order", change)
    if quantity_name(store) != ON_HAND and shopify_webhooks.is_echo(change, _confirmed(store.name, change)):
        # The payload's figure is `available`; in on_hand mode it cannot be compared with
        # what we set, so every delivery there is checked.
        return Verdict(200, "echo", change)
    token = PENDING.mark(store.name, [change.member])
    if token:
        webhook_queue.enqueue_check(store.name, token, store.run_deadline)
    return Verdict(200, "accepted", change)


def _store_for(shop_domain: str | None):
    if not shop_domain:
        return None
    try:
        domain = normalize_shop_domain(shop_domain)
    except (EndpointError, ValueError):
        return None
    name = frappe.db.get_value(STORE_DOCTYPE, {"shop_domain": domain}, "name")
    return frappe.get_doc(STORE_DOCTYPE, name) if name else None


def _confirmed(store_name: str, change) -> int | None:
    value = frappe.db.get_value(
        CONFIRMED_LEVEL_DOCTYPE,
        {
            "shopify_store": store_name,
            "inventory_item_id": change.inventory_item_id,
            "shopify_location_id": change.location_id,
            "unconfirmed": 0,
        },
        "quantity",
    )
    return None if value is None else int(value)
