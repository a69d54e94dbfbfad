"""When a store's inventory sync runs: due-ness, back-off, the kill switch, and the enqueue."""

from __future__ import annotations

from datetime import datetime, timedelta

import frappe
from croniter import croniter

from .constants import (
    BACKOFF_AFTER_RUNS,
    BACKOFF_CAP_MINUTES,
    DEFAULT_RUN_DEADLINE_MINUTES,
    JOB_TIMEOUT_MARGIN_S,
    KILL_SWITCH_KEY,
    LOCK_GRACE_S,
    RECONCILE_JOB_METHOD,
    SCHEDULE_CRON,
    STORE_DOCTYPE,
    SYNC_JOB_METHOD,
    SYNC_QUEUE,
)
from .run_lock import forget_dead_job, job_in_progress


def is_due(last_sync: datetime | None, interval_minutes: int | None, now: datetime) -> bool:
    """A store that never synced is due; otherwise when last sync + interval has passed."""
    if not last_sync:
        return True
    return last_sync + timedelta(minutes=max(int(interval_minutes or 0), 0)) <= now


def is_backed_off(backoff_until: datetime | None, now: datetime) -> bool:
    return bool(backoff_until) and backoff_until > now


def run_deadline_minutes(value: int | None) -> int:
    return int(value) if value and int(value) > 0 else DEFAULT_RUN_DEADLINE_MINUTES


def job_timeout_seconds(deadline_minutes: int | None) -> int:
    """RQ kills a job at its timeout; the engine's own deadline must come first."""
    return run_deadline_minutes(deadline_minutes) * 60 + JOB_TIMEOUT_MARGIN_S


def lock_ttl_seconds(deadline_minutes: int | None) -> int:
    """The run lock outlives the job by a grace only: a holder nobody can ask about (another
    host, not a job) keeps the store no longer than its job could have run."""
    return job_timeout_seconds(deadline_minutes) + LOCK_GRACE_S


def failure_signature(status: str, abort_kind: str | None, codes: list[str]) -> str | None:
    """How a run failed, to tell "the same way again" from a new problem. None: it did not fail
    (a run where anything landed, or that was skipped, resets the count)."""
    if status not in ("Failed", "Aborted"):
        return None
    if status == "Aborted":
        return f"Aborted:{abort_kind or '?'}"
    return "Failed:" + (",".join(sorted(set(codes))[:5]) or abort_kind or "?")


def next_backoff(
    previous_signature: str | None,
    previous_count: int,
    signature: str | None,
    interval_minutes: int | None,
    now: datetime,
) -> tuple[int, datetime | None]:
    """(runs in a row failing this way, when scheduled runs may resume or None). From the
    BACKOFF_AFTER_RUNS-th such run on, the pause doubles from two intervals, capped."""
    if signature is None:
        return 0, None
    count = previous_count + 1 if signature == previous_signature else 1
    if count < BACKOFF_AFTER_RUNS:
        return count, None
    interval = max(int(interval_minutes or 0), 1)
    minutes = min(interval * 2 ** (count - BACKOFF_AFTER_RUNS + 1), BACKOFF_CAP_MINUTES)
    return count, now + timedelta(minutes=minutes)


def next_run_at(
    last_sync: datetime | None,
    interval_minutes: int | None,
    now: datetime,
    cron: str = SCHEDULE_CRON,
    backoff_until: datetime | None = None,
) -> datetime:
    """The scheduler tick that will queue the store next: the first tick at or after the moment
    it is due (the next tick when it is due already), and not before a back-off ends. A store
    that keeps failing stays due, since last_inventory_sync only advances when something landed."""
    due = (
        now
        if is_due(last_sync, interval_minutes, now)
        else last_sync + timedelta(minutes=int(interval_minutes or 0))
    )
    if is_backed_off(backoff_until, due):
        due = backoff_until
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


def enqueue_store_sync(store_name: str, trigger: str, force: bool = False, scope: str | None = None) -> bool:
    """Queue one run for the store unless one is already queued or running. True if queued.
    `scope` "all" asks for a full push (the button's "all items"); by default changed rows."""
    extra = {"scope": scope} if scope else {}
    return _enqueue_once(SYNC_JOB_METHOD, job_id(store_name), store_name, trigger, force, **extra)


def _enqueue_once(method: str, stable_id: str, store_name: str, trigger: str, force: bool, **extra) -> bool:
    if job_in_progress(stable_id):
        return False
    # A job whose worker was killed reads "started" until a worker's maintenance settles it
    # (up to 10 minutes); frappe.enqueue's deduplicate would refuse the stable id till then.
    forget_dead_job(stable_id)
    deadline = frappe.db.get_value(STORE_DOCTYPE, store_name, "run_deadline")
    # deduplicate=True makes frappe.enqueue answer None when a racing caller queued it first.
    job = frappe.enqueue(
        method,
        queue=SYNC_QUEUE,
        timeout=job_timeout_seconds(deadline),
        job_id=stable_id,
        deduplicate=True,
        store_name=store_name,
        trigger=trigger,
        force=force,
        **extra,
    )
    return job is not None


def due_stores(now: datetime | None = None) -> list[str]:
    now = now or frappe.utils.now_datetime()
    switched_off = kill_switched_domains()
    stores = frappe.get_all(
        STORE_DOCTYPE,
        filters={"enabled": 1, "inventory_sync_enabled": 1},
        fields=["name", "shop_domain", "last_inventory_sync", "sync_interval", "backoff_until"],
    )
    return [
        s.name
        for s in stores
        if s.shop_domain.lower() not in switched_off
        and not is_backed_off(s.backoff_until, now)
        and is_due(s.last_inventory_sync, s.sync_interval, now)
    ]


def enqueue_due_stores() -> list[str]:
    """The cron hook (*/10): one background job per due store."""
    return [name for name in due_stores() if enqueue_store_sync(name, trigger="Scheduled")]


# -- reconciliation: its own interval, the same queue, dedup and kill switch as the sync ------


def reconcile_job_id(store_name: str) -> str:
    return f"shopify_reconciliation::{store_name}"


def enqueue_store_reconciliation(store_name: str, trigger: str, force: bool = False) -> bool:
    """Queue one reconciliation unless one is already queued or running. True if queued."""
    return _enqueue_once(RECONCILE_JOB_METHOD, reconcile_job_id(store_name), store_name, trigger, force)


def due_reconciliations(now: datetime | None = None) -> list[str]:
    now = now or frappe.utils.now_datetime()
    switched_off = kill_switched_domains()
    stores = frappe.get_all(
        STORE_DOCTYPE,
        filters={"enabled": 1, "inventory_sync_enabled": 1, "reconcile_enabled": 1},
        fields=["name", "shop_domain", "last_reconciliation", "reconcile_interval"],
    )
    return [
        s.name
        for s in stores
        if s.shop_domain.lower() not in switched_off
        and is_due(s.last_reconciliation, s.reconcile_interval, now)
    ]


def enqueue_due_reconciliations() -> list[str]:
    """The cron hook (*/10): one background reconciliation per due store."""
    return [name for name in due_reconciliations() if enqueue_store_reconciliation(name, trigger="Scheduled")]
