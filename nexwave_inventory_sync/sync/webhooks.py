"""Shopify's inventory webhooks: which topics we subscribe to, how a delivery is verified and
read, and what it asks for. Pure functions; the receiver (erpnext_side/webhooks.py) does the I/O.

Facts (shopify.dev "Deliver webhooks through HTTPS", "Verify webhooks"): each delivery carries
X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(raw body, app secret)), X-Shopify-Topic,
X-Shopify-Shop-Domain, X-Shopify-Event-Id (the same on every retry of one event),
X-Shopify-Triggered-At. Delivery is at least once, out of order, and may come up to a day late;
inventory_levels/update also fires for the app's own writes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .ids import IdError, to_gid

# WebhookSubscriptionTopic (admin 2026-07): a level's figure moved, a level was disconnected
# from a location, an inventory item changed (its `tracked` flag) or was deleted.
LEVEL_UPDATE = "inventory_levels/update"
LEVEL_DISCONNECT = "inventory_levels/disconnect"
ITEM_UPDATE = "inventory_items/update"
ITEM_DELETE = "inventory_items/delete"
TOPICS = {
    LEVEL_UPDATE: "INVENTORY_LEVELS_UPDATE",
    LEVEL_DISCONNECT: "INVENTORY_LEVELS_DISCONNECT",
    ITEM_UPDATE: "INVENTORY_ITEMS_UPDATE",
    ITEM_DELETE: "INVENTORY_ITEMS_DELETE",
}

# An inventory payload is well under 2 KB; anything far larger is not Shopify's.
MAX_BODY_BYTES = 64 * 1024
# Shopify retries a failed delivery for up to 48 hours and delivers late by up to a day; a
# delivery older than this is what the scheduled reconciliation has already covered, or a
# replay of a captured body.
MAX_AGE = timedelta(hours=26)
# A sender's clock a little ahead of ours is not a forgery.
CLOCK_SKEW = timedelta(minutes=5)
# The whole item at every mapped location (item topics).
ALL_LOCATIONS = "*"


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(body: bytes, secret: str, header: str | None) -> bool:
    """Constant time: a mismatch at the first byte costs what one at the last does."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(body, secret).encode(), header.strip().encode())


def parse_time(value) -> datetime | None:
    """Shopify's ISO 8601 times ("2026-12-03T10:00:00-05:00", "...Z"), as aware UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class Change:
    """What a delivery says moved: one level, or (location_id ALL_LOCATIONS) an item."""

    topic: str
    inventory_item_id: str  # gid
    location_id: str  # gid, or ALL_LOCATIONS
    available: int | None  # inventory_levels/update only
    updated_at: datetime | None

    @property
    def member(self) -> str:
        """The mark kept for the targeted check."""
        return f"{self.inventory_item_id}|{self.location_id}"


def split_member(member: str) -> tuple[str, str]:
    item, _, location = member.partition("|")
    return item, location


def read_change(topic: str, body: bytes) -> Change | None:
    """None: not a topic we act on, or a body without the ids it must have."""
    if topic not in TOPICS:
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    try:
        if topic in (LEVEL_UPDATE, LEVEL_DISCONNECT):
            item = to_gid("InventoryItem", payload.get("inventory_item_id"))
            location = to_gid("Location", payload.get("location_id"))
        else:
            item, location = to_gid("InventoryItem", payload.get("id")), ALL_LOCATIONS
    except (IdError, TypeError, ValueError):
        return None
    available = payload.get("available") if topic == LEVEL_UPDATE else None
    if available is not None and (isinstance(available, bool) or not isinstance(available, int)):
        return None
    return Change(topic, item, location, available, parse_time(payload.get("updated_at")))


@dataclass(frozen=True)
class Verdict:
    status: int  # the HTTP status to answer
    outcome: str  # a word for the answer and the tests: accepted, duplicate, stale, ...
    change: Change | None = None


def check_age(triggered_at: datetime | None, updated_at: datetime | None, now: datetime) -> str | None:
    """ "stale" when the delivery is too old to act on, "future" when dated ahead of us; None
    when fine. The header is the time Shopify fired the event; the level's updated_at is the
    fallback."""
    moment = triggered_at or updated_at
    if moment is None:
        return None
    if moment > now + CLOCK_SKEW:
        return "future"
    if now - moment > MAX_AGE:
        return "stale"
    return None


def is_echo(change: Change, confirmed: int | None) -> bool:
    """Our own write coming back (or no change at all): the figure equals what Shopify last
    confirmed to us for that level."""
    return change.topic == LEVEL_UPDATE and change.available is not None and change.available == confirmed


@dataclass(frozen=True)
class Subscription:
    topic: str  # e.g. inventory_levels/update
    ok: bool
    message: str = ""  # Shopify's userError, or why the call failed


def subscribe(
    endpoint, uri: str, topics=tuple(TOPICS), *, clock=None, policy=None
) -> tuple[Subscription, ...]:
    """webhookSubscriptionCreate per topic (2026-04+ shape: `uri`). A topic already subscribed
    at that address counts as done: Shopify answers "has already been taken"."""
    from .client import CallFailed, ShopifyClient
    from .documents import WEBHOOK_SUBSCRIBE
    from .versions import uses_idempotency

    if not uses_idempotency(endpoint.api_version):
        return tuple(
            Subscription(t, False, "webhook subscriptions need API version 2026-04 or newer") for t in topics
        )
    results = []
    with ShopifyClient(endpoint, clock=clock, policy=policy) as client:
        for topic in topics:
            try:
                data = client.execute(
                    WEBHOOK_SUBSCRIBE, {"topic": TOPICS[topic], "uri": uri}, operation="SubscribeWebhook"
                )
            except CallFailed as failed:
                results.append(Subscription(topic, False, str(failed.error)))
                continue
            payload = data.get("webhookSubscriptionCreate") or {}
            errors = [e.get("message") or "" for e in payload.get("userErrors") or []]
            taken = errors and all("already been taken" in e for e in errors)
            results.append(Subscription(topic, not errors or bool(taken), "; ".join(errors)))
    return tuple(results)
