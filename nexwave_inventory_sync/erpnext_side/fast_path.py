"""The fast path: a change in ERPNext reaches Shopify within a minute, not at the next tick.

Which hooks see every change of a store's figure (ERPNext 15 and 16, read from their sources):
- Stock Ledger Entry `on_submit`: every posting goes through stock_ledger.make_entry, which
  submits an SLE; a cancellation submits the reversing SLEs the same way. Bin quantities are
  written with frappe.db.set_value / db_set, which fire no Bin doc event, so Bin is not hooked.
- Sales Order and Stock Reservation Entry `on_change`: submit, cancel, update after submit and
  db_set (close, hold, re-open) all run it; reservations move the `available` figure, and in
  on_hand mode the store's own orders are added back.
- Item `on_update` / `on_trash`: disabled, no longer a stock item, its SKU field changed.
A repost (Repost Item Valuation) rewrites Bins without any of these: the scheduled tick finds
it through Bin.modified (stock_changes.py).

The hooks only collect (item, warehouse) pairs in memory: nothing is written and Shopify is
never called inside the user's transaction, and a failure here never fails it. After the
commit, one flush marks the items for the stores whose warehouses they touch (pending.py: a
Redis set per store) and enqueues one job per store that is not armed yet. The job waits for
more marks until COALESCE_S after the mark that armed it (a job that waited in the queue that
long starts at once: a worker never sleeps for a window that has passed), then runs the
store's ordinary delta run (store_sync, trigger "Fast"): it reads what changed since the store's watermark, so a mark needs to say only "run
soon". A Stock Reconciliation of 10,000 rows is one commit, one flush, one job per store.
Marks are never the only record: the scheduled tick reads the same watermark, and the
per-minute sweep arms a store whose marks outlived a dead job.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import frappe
from frappe.utils import now_datetime

from . import run_lock
from .constants import (
    FAST_JOB_METHOD,
    FAST_TRIGGER,
    LOG_DOCTYPE,
    STORE_DOCTYPE,
    STORE_LOCATION_DOCTYPE,
    SYNC_QUEUE,
)
from .pending import PendingSet
from .scheduling import job_timeout_seconds, kill_switched_domains
from .store_job import refusal

# Marks that arrive within this time of the arming mark join the run (a burst of
# transactions, one run).
COALESCE_S = 3.0
# How long a fast job waits for the store's other run (scheduled, reconciliation) to end
# before leaving its marks to the sweep.
LOCK_WAIT_S = 45.0
LOCK_POLL_S = 1.0

PENDING = PendingSet("fast")
_LOCAL_KEY = "nexwave_fast_path_marks"
# An item changed as an Item (disabled, SKU): every warehouse of every store.
ANY_WAREHOUSE = ""


@dataclass(frozen=True)
class FastStore:
    name: str
    shop_domain: str
    warehouses: frozenset[str]
    run_deadline: int | None = None


def items_for_store(marks: Iterable[tuple[str, str]], warehouses: frozenset[str]) -> set[str]:
    """The items among (item, warehouse) marks whose figure this store may show."""
    return {item for item, warehouse in marks if warehouse == ANY_WAREHOUSE or warehouse in warehouses}


# -- the hooks (inside the user's transaction: collect only) -------------------------------


def note_stock_ledger_entry(doc, method=None) -> None:
    _collect([(doc.item_code, doc.warehouse)])


def note_reservation(doc, method=None) -> None:
    """Sales Order (its rows) or Stock Reservation Entry; drafts reserve nothing."""
    if doc.docstatus == 0:
        return
    if doc.doctype == "Sales Order":
        _collect([(row.item_code, row.warehouse or "") for row in doc.get("items") or []])
    else:
        _collect([(doc.item_code, doc.warehouse)])


def note_item(doc, method=None) -> None:
    """A new Item has no stock yet: only edits and deletions move a figure."""
    if method == "on_update" and doc.get_doc_before_save() is None:
        return
    _collect([(doc.name, ANY_WAREHOUSE)])


def _collect(pairs: list[tuple[str, str]]) -> None:
    try:
        marks = getattr(frappe.local, _LOCAL_KEY, None)
        if marks is None:
            marks = set()
            setattr(frappe.local, _LOCAL_KEY, marks)
            frappe.db.after_commit.add(flush)
            frappe.db.after_rollback.add(_forget)
        marks.update((item, warehouse or ANY_WAREHOUSE) for item, warehouse in pairs if item)
    except Exception:
        # Never the user's transaction's failure: the scheduled tick still finds the change.
        _log_failure("collecting")


def _forget() -> None:
    setattr(frappe.local, _LOCAL_KEY, None)


# -- after the commit --------------------------------------------------------------------


def flush() -> list[str]:
    """Mark the committed changes for their stores; returns the stores a job was queued for."""
    marks = getattr(frappe.local, _LOCAL_KEY, None) or set()
    _forget()
    if not marks or not _active():
        return []
    try:
        queued = []
        for store in fast_stores():
            items = items_for_store(marks, store.warehouses)
            if items:
                token = PENDING.mark(store.name, items)
                if token and enqueue_fast_run(store, token):
                    queued.append(store.name)
        return queued
    except Exception:
        _log_failure("marking")
        return []


def _active() -> bool:
    """Installs, migrations and patches post stock too: the tick covers them. Test runs enqueue
    only when a test asks (frappe.flags.nexwave_fast_path_test): a job queued by another
    module's test would run against its stores while the tests go on."""
    flags = frappe.flags
    if flags.in_install or flags.in_migrate or flags.in_patch:
        return False
    return not flags.in_test or bool(flags.nexwave_fast_path_test)


def fast_stores() -> list[FastStore]:
    """Enabled stores with the fast path on and not switched off in site config: one query."""
    rows = frappe.db.sql(
        f"""SELECT store.name, store.shop_domain, store.run_deadline, location.warehouse
        FROM `tab{STORE_DOCTYPE}` store
        JOIN `tab{STORE_LOCATION_DOCTYPE}` location
            ON location.parent = store.name AND location.parenttype = %(doctype)s
        WHERE store.enabled = 1 AND store.inventory_sync_enabled = 1 AND store.fast_push = 1""",
        {"doctype": STORE_DOCTYPE},
        as_dict=True,
    )
    switched_off = kill_switched_domains()
    stores: dict[str, dict] = {}
    for row in rows:
        if (row.shop_domain or "").strip().lower() in switched_off:
            continue
        entry = stores.setdefault(row.name, {"row": row, "warehouses": set()})
        entry["warehouses"].add(row.warehouse)
    return [
        FastStore(name, e["row"].shop_domain, frozenset(e["warehouses"]), e["row"].run_deadline)
        for name, e in stores.items()
    ]


def coalesce_wait(marked_at: float | None, now: float, window: float = COALESCE_S) -> float:
    """What is left of the coalescing window when the job starts: the window from the mark that
    armed the job (epoch seconds), nothing once the job waited longer in the queue. Without a
    mark time (a job queued by an older version) the whole window."""
    if marked_at is None:
        return window
    return max(0.0, min(window, marked_at + window - now))


def fast_job_id(store_name: str, token: str) -> str:
    return f"shopify_fast_sync::{store_name}::{token}"


def enqueue_fast_run(store: FastStore, token: str, marked_at: float | None = None) -> bool:
    """`marked_at`: when the arming mark was made (None: now), where the job's window starts."""
    job = frappe.enqueue(
        FAST_JOB_METHOD,
        queue=SYNC_QUEUE,
        timeout=job_timeout_seconds(store.run_deadline),
        job_id=fast_job_id(store.name, token),
        deduplicate=True,
        store_name=store.name,
        marked_at=time.time() if marked_at is None else marked_at,
    )
    return job is not None


def sweep() -> list[str]:
    """Per-minute cron: a store with marks and no armed job (its job died, or found the store
    busy) is armed again."""
    if not _active():
        return []
    queued = []
    for store in fast_stores():
        token = PENDING.rearm(store.name)
        # Marks a dead job left are older than any window: their job starts at once.
        if token and enqueue_fast_run(store, token, marked_at=0.0):
            queued.append(store.name)
    return queued


# -- the job -----------------------------------------------------------------------------


def run_fast_sync(
    store_name: str, coalesce_s: float | None = None, marked_at: float | None = None
) -> str | None:
    """Wait for the burst to end (what is left of the window since `marked_at`), then one delta
    run of the store. Returns its Shopify Log, or None when the store no longer takes fast runs
    or was busy (the sweep tries again)."""
    wait = coalesce_wait(marked_at, time.time(), COALESCE_S if coalesce_s is None else coalesce_s)
    if wait > 0:
        time.sleep(wait)
    store = frappe.db.get_value(
        STORE_DOCTYPE,
        store_name,
        ["name", "shop_domain", "enabled", "inventory_sync_enabled", "fast_push", "backoff_until"],
        as_dict=True,
    )
    # Switched off, disabled, or paused (the store keeps failing: its paused schedule decides,
    # through the same watermark): the marks go.
    if store is None or not store.fast_push or refusal(store, now_datetime(), backoff=True):
        PENDING.forget(store_name)
        return None
    if not _wait_for_lock(store_name):
        PENDING.put_back(store_name, PENDING.take(store_name))
        return None
    marked = PENDING.take(store_name)
    from .store_sync import run_store_sync

    log = run_store_sync(store_name, trigger=FAST_TRIGGER)
    status, error = frappe.db.get_value(LOG_DOCTYPE, log, ["status", "error"])
    if status == "Skipped" and _lost_the_lock(error):
        # Another run took the lock between our look and our run: it may have read before the
        # change committed. The sweep runs again. (Other skips, a store's configuration, would
        # only repeat every minute.)
        PENDING.put_back(store_name, marked)
    return log


def _lost_the_lock(error: str | None) -> bool:
    from frappe import _

    # store_sync's words for a store whose run lock is held, up to the holder's description.
    return (error or "").startswith(
        _("Another inventory sync of this store is running ({0})").split("{0}")[0]
    )


def _wait_for_lock(store_name: str) -> bool:
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        holder = run_lock.current_holder(store_name)
        if holder is None or not run_lock.is_alive(holder):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(LOCK_POLL_S)


def _log_failure(what: str) -> None:
    try:
        # Without frame variables: log_error's default prints them, and its redaction goes by
        # variable name, which a header dict escapes (run_log.without_token).
        frappe.log_error(title=f"Shopify fast path: {what} failed", message=frappe.get_traceback())
    except Exception:
        pass
