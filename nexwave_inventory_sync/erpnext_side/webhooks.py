"""Shopify tells us when its figure moves: the webhook receiver and the targeted check.

The receiver (`receive`, a guest POST at /api/method/nexwave_inventory_sync.erpnext_side.
webhooks.receive) makes no Shopify call and writes no document: it refuses what is too large,
from an unknown shop or not signed with the store's secret (401), ignores stale deliveries,
repeats of one event (X-Shopify-Event-Id) and deliveries older than one already seen for the
same level (updated_at: they come late and out of order), and the echo of our own writes (the
figure equals the level Shopify last confirmed to us). What is left marks the level in a
per-store set (pending.py) and arms one check job per store.

The check job waits what is left of CHECK_COALESCE_S after the mark that armed it and of
CHECK_MIN_INTERVAL_S since the store's last check (a bulk import in Shopify admin sends
thousands of deliveries, which make one check run; a job that waited that long in the queue
starts at once), takes every marked level, reads those levels on Shopify (by id, not the whole location:
sync.reconcile with read_method "levels") and applies the reconciliation's rules to them (tolerance, the shortfall
rule, correct or not, the conflict policy for a row that moves meanwhile); the levels read become the confirmed ones. A
shortfall it leaves (Shopify below ERPNext, first seen: maybe an order not imported yet) is
marked again once the rule's 15 minutes have passed (`schedule_rechecks`, picked up by the
per-minute sweep), so an edit down in Shopify admin is put right then. A deleted
inventory item, or one whose tracking changed, has its cached ids forgotten and its ERPNext
item queued for the fast path, which looks it up again. Without a public URL for the site no
webhook is subscribed and all of this is the scheduled reconciliation's job.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime, timezone

import frappe
from frappe import _
from frappe.utils import cint, now_datetime

from ..sync.api import (
    ALL_LOCATIONS,
    MAX_BODY_BYTES,
    EndpointError,
    UnsupportedApiVersion,
    Verdict,
    normalize_shop_domain,
    reconcile,
)
from ..sync.api import webhooks as shopify_webhooks
from . import confirmed_levels
from .connection import store_endpoint
from .constants import (
    CONFIRMED_LEVEL_DOCTYPE,
    ITEM_STORE_DOCTYPE,
    STORE_DOCTYPE,
    SYNC_QUEUE,
    WEBHOOK_BASE_URL_KEY,
    WEBHOOK_CHECK_METHOD,
    WEBHOOK_TRIGGER,
)
from .fast_path import coalesce_wait
from .pending import PendingSet
from .quantity_names import ON_HAND, quantity_name
from .reconciliation import (
    add_counts,
    add_differences,
    new_record,
    reconcile_options,
    refresh_confirmed_levels,
)
from .scheduling import is_kill_switched, job_timeout_seconds
from .store_job import refusal, store_lock

PENDING = PendingSet("webhook")
CHECK_COALESCE_S = 5.0
CHECK_MIN_INTERVAL_S = 15.0
LOCK_WAIT_S = 45.0
# Event ids are remembered as long as Shopify may retry one (48 hours).
EVENT_TTL_S = 48 * 3600
# Beyond this many marked levels one full reconciliation is cheaper than a targeted read.
MAX_TARGETED_LEVELS = 2000
RECEIVE_PATH = "/api/method/nexwave_inventory_sync.erpnext_side.webhooks.receive"

# Store the newer updated_at only: an older delivery of the same level is out of order.
_NEWER = (
    "local cur = redis.call('get', KEYS[1]) "
    "if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end "
    "redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2]) return 1"
)


def _key(*parts: str) -> str:
    return frappe.cache.make_key("nexwave_inventory_sync:webhook:" + ":".join(parts))


def webhook_secret(store) -> str:
    """The store's Webhook Secret, else its client secret (Dev Dashboard apps sign webhooks
    with it) when the store has that field."""
    secret = store.get_password("webhook_secret", raise_exception=False)
    if not secret and store.meta.has_field("client_secret"):
        secret = store.get_password("client_secret", raise_exception=False)
    return secret or ""


def webhook_base_url() -> str | None:
    value = (frappe.get_site_config().get(WEBHOOK_BASE_URL_KEY) or "").strip().rstrip("/")
    return value or None


def callback_url() -> str | None:
    base = webhook_base_url()
    return base + RECEIVE_PATH if base else None


# -- the receiver ------------------------------------------------------------------------


@frappe.whitelist(allow_guest=True, methods=["POST"])
def receive():
    request = frappe.request
    if cint(request.content_length) > MAX_BODY_BYTES:
        verdict = Verdict(413, "too large")
    else:
        verdict = handle_delivery(request.headers, request.get_data(cache=True), datetime.now(timezone.utc))
    frappe.local.response.http_status_code = verdict.status
    # Nothing in this answer tells a stranger more than the status does.
    return {"outcome": verdict.outcome if verdict.status == 200 else "refused"}


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
    event_key = _key("event", store.name, event_id) if event_id else None
    if event_key and not frappe.cache.set(event_key, 1, nx=True, ex=EVENT_TTL_S):
        return Verdict(200, "duplicate", change)
    try:
        if change.updated_at and change.location_id != ALL_LOCATIONS:
            stamp = change.updated_at.timestamp()
            level_key = _key("level", store.name, change.member)
            if not frappe.cache.eval(_NEWER, 1, level_key, repr(stamp), EVENT_TTL_S):
                return Verdict(200, "out of order", change)
        if quantity_name(store) != ON_HAND and shopify_webhooks.is_echo(
            change, _confirmed(store.name, change)
        ):
            # The payload's figure is `available`; in on_hand mode it cannot be compared with
            # what we set, so every delivery there is checked.
            return Verdict(200, "echo", change)
        token = PENDING.mark(store.name, [change.member])
        if token:
            _enqueue_check(store.name, token, store.run_deadline)
        return Verdict(200, "accepted", change)
    except Exception:
        if event_key:
            frappe.cache.delete(event_key)  # Shopify's retry is then acted on
        raise


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


def check_job_id(store_name: str, token: str) -> str:
    return f"shopify_webhook_check::{store_name}::{token}"


def _enqueue_check(store_name: str, token: str, run_deadline=None, marked_at: float | None = None) -> None:
    """`marked_at`: when the arming mark was made (None: now), where the job's window starts."""
    frappe.enqueue(
        WEBHOOK_CHECK_METHOD,
        queue=SYNC_QUEUE,
        timeout=job_timeout_seconds(run_deadline),
        job_id=check_job_id(store_name, token),
        deduplicate=True,
        store_name=store_name,
        marked_at=time.time() if marked_at is None else marked_at,
    )


def sweep() -> list[str]:
    """Per-minute cron: a store whose marks outlived their job is armed again, and the levels
    due for a second look (`schedule_rechecks`) are marked; with a public URL set, a store not
    yet subscribed at it is subscribed (one attempt an hour per store)."""
    now = time.time()
    queued = []
    uri = callback_url()
    for store in frappe.get_all(
        STORE_DOCTYPE,
        filters={"enabled": 1, "inventory_sync_enabled": 1},
        fields=["name", "run_deadline", "webhook_status", "shop_domain"],
    ):
        if uri and not subscribed_at(store.webhook_status, uri) and not is_kill_switched(store.shop_domain):
            if frappe.cache.set(_key("subscribe", store.name), 1, nx=True, ex=3600):
                subscribe_store(frappe.get_doc(STORE_DOCTYPE, store.name))
        due = _take_due_rechecks(store.name, now)
        token = PENDING.mark(store.name, due) if due else None
        token = token or PENDING.rearm(store.name)
        if token:
            # Marks a dead job left, or due ones, are older than any window: only the interval
            # since the last check is waited.
            _enqueue_check(store.name, token, store.run_deadline, marked_at=0.0)
            queued.append(store.name)
    return queued


# -- subscriptions -----------------------------------------------------------------------

SUBSCRIBED = "Subscribed at {0}"


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


@frappe.whitelist(methods=["POST"])
def subscribe_webhooks(store_name: str) -> str:
    store = frappe.get_doc(STORE_DOCTYPE, store_name)
    store.check_permission("write")
    return subscribe_store(store)


# -- the targeted check ------------------------------------------------------------------


def run_webhook_check(
    store_name: str, coalesce_s: float | None = None, marked_at: float | None = None
) -> str | None:
    """Returns the Shopify Reconciliation recording drift it found, else None. `marked_at`: when
    the mark that armed the job was made (epoch seconds; 0 for marks a sweep re-armed)."""
    _wait_between_checks(store_name, CHECK_COALESCE_S if coalesce_s is None else coalesce_s, marked_at)
    store = frappe.get_doc(STORE_DOCTYPE, store_name)
    if refusal(store, now_datetime(), force=True):  # switched off or disabled
        PENDING.forget(store_name)
        return None
    with store_lock(store, wait_s=LOCK_WAIT_S) as lock:
        if not lock.ok:
            PENDING.put_back(store_name, PENDING.take(store_name))  # the sweep tries again
            return None
        frappe.cache.set(_key("checked", store_name), time.time(), ex=3600)
        members = PENDING.take(store_name)
        return check_levels(store, members)


def check_wait(
    marked_at: float | None,
    last_checked: float | None,
    now: float,
    coalesce_s: float = CHECK_COALESCE_S,
    min_interval_s: float = CHECK_MIN_INTERVAL_S,
) -> float:
    """Pure: what is left, when the job starts, of its two windows: `coalesce_s` since the mark
    that armed it and `min_interval_s` since the store's last check, each by the fast path's
    rule (fast_path.coalesce_wait): a job that already waited that long in the queue starts at
    once, a worker never sleeps for a window that has passed. No coalescing, no interval."""
    if coalesce_s <= 0:
        return 0.0
    wait = coalesce_wait(marked_at, now, coalesce_s)
    if last_checked is not None:
        wait = max(wait, coalesce_wait(last_checked, now, min_interval_s))
    return wait


def _wait_between_checks(store_name: str, coalesce_s: float, marked_at: float | None) -> None:
    last = frappe.cache.get(_key("checked", store_name))
    wait = check_wait(marked_at, None if last is None else float(last), time.time(), coalesce_s)
    if wait > 0:
        time.sleep(wait)


def check_levels(store, members: set[str]) -> str | None:
    """Read the marked levels on Shopify and apply the reconciliation's rules to them."""
    levels, whole_items = set(), set()
    for member in members:
        item, location = shopify_webhooks.split_member(member)
        (whole_items.add(item) if location == ALL_LOCATIONS else levels.add((item, location)))
    if whole_items:
        _look_up_again(store.name, whole_items)
    if not levels:
        return None
    if len(levels) > MAX_TARGETED_LEVELS:
        from .scheduling import enqueue_store_reconciliation

        enqueue_store_reconciliation(store.name, trigger="Scheduled", force=True)
        return None
    from .stock_truth import read_store_stock, sync_options

    items = _items_of(store.name, {item for item, _location in levels})
    stock = [
        row for row in read_store_stock(store, items) if (row.inventory_item_id, row.location_id) in levels
    ]
    if not stock:
        return None
    started = now_datetime()
    try:
        endpoint = store_endpoint(store)
    except (EndpointError, UnsupportedApiVersion):
        return None  # the store's own runs report this
    stored = confirmed_levels.load(store.name, {row.ref for row in stock})
    run_id = frappe.generate_hash(length=16)
    # The marked levels only, read by id: not every level of the location (~22,000 points at
    # 7,300 items, docs/benchmarks.md §12), under the reconciliation's own rules.
    options = reconcile_options(store, stored, sync_options(store, run_id))
    result = reconcile(endpoint, stock, options=replace(options, read_method="levels"))
    if not result.aborted or result.plan.compared:
        refresh_confirmed_levels(store.name, result)
        schedule_rechecks(store.name, result.plan.drifted)
    if not result.plan.drifted and not result.aborted:
        return None  # Shopify already shows ERPNext's figure: nothing worth a record
    return _record(store, started, run_id, result, {row.ref: row.sku for row in stock})


# -- a second look at a shortfall a check left --------------------------------------------
# Shopify below ERPNext, first seen, may be an order ERPNext has not imported: a check leaves
# it (sync/drift.py's shortfall rule) and counts it only once its first sighting is
# SHORTFALL_MIN_AGE_S old. No webhook comes for a level nobody touches again, so without a
# second look an edit down in Shopify admin stayed until the hourly reconciliation. Each level
# left waits in a per-store sorted set, scored by when it is due; the per-minute sweep marks the
# due ones for the next check.
WAITING_ACTIONS = ("wait", "partial")
RECHECK_TTL_S = 2 * 3600  # an entry Redis lost is the hourly reconciliation's, as before


def recheck_due(action: str, since: datetime | None, now: datetime) -> datetime:
    """Pure: when a level a check left is looked at again: once its shortfall's first sighting
    (`since`, the stored shortfall_since) is SHORTFALL_MIN_AGE old; the new part of a grown
    shortfall ("partial") and one not stored were first seen now."""
    first_seen = since if action == "wait" and since is not None and since <= now else now
    return first_seen + confirmed_levels.SHORTFALL_MIN_AGE


def schedule_rechecks(store_name: str, drifted) -> None:
    waiting = {drift.key: drift.action for drift in drifted if drift.action in WAITING_ACTIONS}
    if not waiting:
        return
    since = {
        (item, location): first_seen
        for item, location, first_seen in frappe.db.sql(
            f"""SELECT inventory_item_id, shopify_location_id, shortfall_since
            FROM `tab{CONFIRMED_LEVEL_DOCTYPE}`
            WHERE shopify_store = %(store)s AND inventory_item_id IN %(ids)s""",
            {"store": store_name, "ids": tuple({item for item, _location in waiting})},
        )
    }
    now, epoch = now_datetime(), time.time()
    # Scores in epoch seconds, as the sweep's clock; shortfall_since is in the site's time zone.
    due = {
        f"{item}|{location}": epoch
        + (recheck_due(action, since.get((item, location)), now) - now).total_seconds()
        for (item, location), action in waiting.items()
    }
    key = _key("recheck", store_name)
    pipe = frappe.cache.pipeline()
    pipe.zadd(key, due)
    pipe.expire(key, RECHECK_TTL_S)
    pipe.execute()


def _take_due_rechecks(store_name: str, now: float) -> list[str]:
    key = _key("recheck", store_name)
    pipe = frappe.cache.pipeline(transaction=True)
    pipe.zrangebyscore(key, "-inf", now)
    pipe.zremrangebyscore(key, "-inf", now)
    members = pipe.execute()[0] or []
    return [m.decode() if isinstance(m, bytes) else str(m) for m in members]


def _items_of(store_name: str, inventory_item_ids: set[str]) -> list[str]:
    return frappe.get_all(
        ITEM_STORE_DOCTYPE,
        filters={
            "parenttype": "Item",
            "shopify_store": store_name,
            "inventory_item_id": ["in", list(inventory_item_ids)],
        },
        pluck="parent",
    )


def _look_up_again(store_name: str, inventory_item_ids: set[str]) -> None:
    """An inventory item deleted or changed on Shopify: forget what we cached about it and let
    the fast path look its ERPNext item up again (by SKU or variant id)."""
    items = _items_of(store_name, inventory_item_ids)
    if not items:
        return
    frappe.db.sql(
        f"""UPDATE `tab{ITEM_STORE_DOCTYPE}` SET inventory_item_id = NULL, resolved_variant_id = NULL,
            last_resolved = NULL WHERE parenttype = 'Item' AND shopify_store = %(store)s
            AND inventory_item_id IN %(ids)s""",
        {"store": store_name, "ids": tuple(inventory_item_ids)},
    )
    recheck = frappe.db.get_value(STORE_DOCTYPE, store_name, "stock_recheck")
    try:
        listed = set(json.loads(recheck or "[]"))
    except ValueError:
        listed = set()
    frappe.db.set_value(
        STORE_DOCTYPE,
        store_name,
        "stock_recheck",
        json.dumps(sorted(listed | set(items))),
        update_modified=False,
    )
    from . import fast_path

    store = next((s for s in fast_path.fast_stores() if s.name == store_name), None)
    if store is not None:
        token = fast_path.PENDING.mark(store_name, items)
        if token:
            fast_path.enqueue_fast_run(store, token)


def _record(store, started, run_id: str, result, skus: dict) -> str:
    """A Shopify Reconciliation of the levels checked (trigger Webhook). It leaves the store's
    last_reconciliation alone: a few levels are not the whole catalog."""
    correction = result.correction
    landed = {level.key for level in correction.confirmed} if correction else set()
    doc = new_record(store, WEBHOOK_TRIGGER, started, run_id, error=result.abort_reason)
    add_counts(doc, result)
    doc.status = "Aborted" if result.aborted else ("Success" if not result.remaining else "Partial")
    add_differences(
        doc, result.plan, skus, lambda drift: _("Corrected") if drift.key in landed else _("Not corrected")
    )
    doc.insert(ignore_permissions=True)
    return doc.name
