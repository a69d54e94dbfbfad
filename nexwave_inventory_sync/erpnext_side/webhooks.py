"""Shopify tells us when its figure moves: the webhooks' public face, the four entry points
Frappe calls by their dotted path here (the URL Shopify posts to, the desk's Subscribe button,
the per-minute cron and the queued check), each over the module that does the job.

- `receive` (a guest POST at /api/method/nexwave_inventory_sync.erpnext_side.webhooks.receive)
  judges a delivery in webhook_delivery.py: size, shop, HMAC, age, event id seen, order of
  updated_at, our own echo. What is left marks the level in a per-store set and arms one check
  job per store (webhook_queue.py).
- `run_webhook_check`, that job, waits what is left of its coalescing window and of the minimum
  interval since the store's last check (webhook_queue.py: a bulk import in Shopify admin sends
  thousands of deliveries, which make one check), takes the store's run lock and every marked
  level, and checks them (webhook_check.py: read by id on Shopify under the reconciliation's
  rules, the levels read becoming the confirmed ones; a deleted or untracked inventory item
  looked up again by the fast path).
- `sweep`, every minute, re-arms a store whose marks outlived their job, marks the levels due for
  a second look (webhook_rechecks.py: a shortfall a check left, once the shortfall rule's
  15 minutes have passed, so an edit down in Shopify admin is put right then) and subscribes a
  store not yet subscribed.
- `subscribe_webhooks` subscribes a store at once (webhook_subscriptions.py). Without a public
  URL for the site no webhook is subscribed and all of this is the scheduled reconciliation's job.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import frappe
from frappe.utils import cint, now_datetime

from ..sync.api import MAX_BODY_BYTES, Verdict
from . import webhook_queue
from .constants import STORE_DOCTYPE
from .scheduling import is_kill_switched
from .store_job import refusal, store_lock
from .webhook_check import check_levels
from .webhook_delivery import handle_delivery
from .webhook_queue import CHECK_COALESCE_S, PENDING, cache_key, note_checked, wait_between_checks
from .webhook_rechecks import take_due_rechecks
from .webhook_subscriptions import callback_url, subscribe_store, subscribed_at

LOCK_WAIT_S = 45.0


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


@frappe.whitelist(methods=["POST"])
def subscribe_webhooks(store_name: str) -> str:
    store = frappe.get_doc(STORE_DOCTYPE, store_name)
    store.check_permission("write")
    return subscribe_store(store)


def run_webhook_check(
    store_name: str, coalesce_s: float | None = None, marked_at: float | None = None
) -> str | None:
    """Returns the Shopify Reconciliation recording drift it found, else None. `marked_at`: when
    the mark that armed the job was made (epoch seconds; 0 for marks a sweep re-armed)."""
    wait_between_checks(store_name, CHECK_COALESCE_S if coalesce_s is None else coalesce_s, marked_at)
    store = frappe.get_doc(STORE_DOCTYPE, store_name)
    if refusal(store, now_datetime(), force=True):  # switched off or disabled
        PENDING.forget(store_name)
        return None
    with store_lock(store, wait_s=LOCK_WAIT_S) as lock:
        if not lock.ok:
            PENDING.put_back(store_name, PENDING.take(store_name))  # the sweep tries again
            return None
        note_checked(store_name)
        members = PENDING.take(store_name)
        return check_levels(store, members)


def sweep() -> list[str]:
    """Per-minute cron: a store whose marks outlived their job is armed again, and the levels
    due for a second look (`webhook_rechecks`) are marked; with a public URL set, a store not
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
            if frappe.cache.set(cache_key("subscribe", store.name), 1, nx=True, ex=3600):
                subscribe_store(frappe.get_doc(STORE_DOCTYPE, store.name))
        due = take_due_rechecks(store.name, now)
        token = PENDING.mark(store.name, due) if due else None
        token = token or PENDING.rearm(store.name)
        if token:
            # Marks a dead job left, or due ones, are older than any window: only the interval
            # since the last check is waited.
            webhook_queue.enqueue_check(store.name, token, store.run_deadline, marked_at=0.0)
            queued.append(store.name)
    return queued
