"""When a store's inventory sync runs: due-ness, the kill switch, and the enqueue."""

from __future__ import annotations

from datetime import datetime, timedelta

import frappe
from croniter import croniter
from frappe.utils.background_jobs import is_job_enqueued

from .constants import (
    KILL_SWITCH_KEY,
    SCHEDULE_CRON,
    STORE_DOCTYPE,
    SYNC_JOB_METHOD,
    SYNC_QUEUE,
    SYNC_TIMEOUT,
)


def is_due(last_sync: datetime | None, interval_minutes: int | None, now: datetime) -> bool:
    """A store that never synced is due; otherwise when last sync + interval has passed."""
    if not last_sync:
        return True
    return last_sync + timedelta(minutes=max(int(interval_minutes or 0), 0)) <= now


def next_run_at(
    last_sync: datetime | None, interval_minutes: int | None, now: datetime, cron: str = SCHEDULE_CRON
) -> datetime:
    """The scheduler tick that will queue the store next: the first tick at or after the moment
    it is due (the next tick when it is due already). A store that keeps failing stays due,
    since last_inventory_sync only advances when something landed."""
    due = (
        now
        if is_due(last_sync, interval_minutes, now)
        else last_sync + timedelta(minutes=int(interval_minutes or 0))
    )
    # croniter's get_next is strictly after its base: step back a second so a tick exactly at
    # `due` counts.
    return croniter(cron, due - timedelta(seconds=1)).get_next(datetime)


def kill_switched_domains() -> set[str]:
    """Read fresh from site_config.json on every call, so `bench set-config` takes effect on
    the next run without restarting workers (frappe.conf is cached per process)."""
    value = frappe.get_site_config().get(KILL_SWITCH_KEY) or []
    if isinstance(value, str):
        value = [value]
    return {str(domain).strip().lower() for domain in value if str(domain).strip()}


def is_kill_switched(shop_domain: str) -> bool:
    return shop_domain.strip().lower() in kill_switched_domains()


def job_id(store_name: str) -> str:
    return f"shopify_inventory_sync::{store_name}"


def enqueue_store_sync(store_name: str, trigger: str, force: bool = False) -> bool:
    """Queue one run for the store unless one is already queued or running. True if queued."""
    if is_job_enqueued(job_id(store_name)):
        return False
    # deduplicate=True makes frappe.enqueue answer None when a racing caller queued it first.
    job = frappe.enqueue(
        SYNC_JOB_METHOD,
        queue=SYNC_QUEUE,
        timeout=SYNC_TIMEOUT,
        job_id=job_id(store_name),
        deduplicate=True,
        store_name=store_name,
        trigger=trigger,
        force=force,
    )
    return job is not None


def due_stores(now: datetime | None = None) -> list[str]:
    now = now or frappe.utils.now_datetime()
    switched_off = kill_switched_domains()
    stores = frappe.get_all(
        STORE_DOCTYPE,
        filters={"enabled": 1, "inventory_sync_enabled": 1},
        fields=["name", "shop_domain", "last_inventory_sync", "sync_interval"],
    )
    return [
        s.name
        for s in stores
        if s.shop_domain.lower() not in switched_off and is_due(s.last_inventory_sync, s.sync_interval, now)
    ]


def enqueue_due_stores() -> list[str]:
    """The cron hook (*/10): one background job per due store."""
    return [name for name in due_stores() if enqueue_store_sync(name, trigger="Scheduled")]
