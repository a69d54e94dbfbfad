"""The webhook check's queue: levels marked for a check, the one job per store they arm, and
its pacing.

A delivery (webhook_delivery.py) or the per-minute sweep marks levels in a per-store set and
arms one check job per store (webhooks.run_webhook_check). The job waits what is left of
CHECK_COALESCE_S after the mark that armed it and of CHECK_MIN_INTERVAL_S since the store's last
check: a bulk import in Shopify admin sends thousands of deliveries, which make one check run; a
job that waited that long in the queue starts at once.
"""

from __future__ import annotations

import time

import frappe

from .constants import SYNC_QUEUE, WEBHOOK_CHECK_METHOD
from .fast_path import coalesce_wait
from .pending import PendingSet
from .scheduling import job_timeout_seconds

PENDING = PendingSet("webhook")
CHECK_COALESCE_S = 5.0
CHECK_MIN_INTERVAL_S = 15.0


def cache_key(*parts: str) -> str:
    """The Redis key of one piece of the webhooks' state (events seen, levels' last
    updated_at, the last check, second looks due, subscription attempts)."""
    return frappe.cache.make_key("nexwave_inventory_sync:webhook:" + ":".join(parts))


def check_job_id(store_name: str, token: str) -> str:
    return f"shopify_webhook_check::{store_name}::{token}"


def enqueue_check(store_name: str, token: str, run_deadline=None, marked_at: float | None = None) -> None:
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


def wait_between_checks(store_name: str, coalesce_s: float, marked_at: float | None) -> None:
    last = frappe.cache.get(cache_key("checked", store_name))
    wait = check_wait(marked_at, None if last is None else float(last), time.time(), coalesce_s)
    if wait > 0:
        time.sleep(wait)


def note_checked(store_name: str) -> None:
    """The store's last check starts now (the next one's CHECK_MIN_INTERVAL_S counts from it)."""
    frappe.cache.set(cache_key("checked", store_name), time.time(), ex=3600)
