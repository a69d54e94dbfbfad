"""The background job: one inventory run for one store, from ERPNext's Bins to a Shopify Log.

A run holds the store's run lock (store_job.py, run_lock.py), opens its log as Running
(run_log.py), and saves as it goes: ids learnt and counts confirmed are committed at checkpoints
inside a worker (checkpoint.py), so a worker killed mid-run leaves a log saying what landed and
a cache that keeps what it learnt. The next run marks such a log Interrupted. What ERPNext's
own data keeps from a sure answer is held back before anything is looked up (screening.py)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import now_datetime

from ..sync.api import EndpointError, StockRow, UnsupportedApiVersion, sync_inventory
from . import confirmed_levels, flight_marks, run_lock, stock_changes, zero_guard
from .checkpoint import Checkpointer
from .connection import store_endpoint, token_renewals
from .constants import FAST_TRIGGER, STORE_DOCTYPE
from .id_cache import ResolutionIndex
from .run_log import (
    close_interrupted_logs,
    finish_log,
    start_log,
    without_token,
    write_skipped_log,
)
from .scheduling import is_due, run_deadline_minutes
from .screening import configuration_problem, data_warnings, screen_rows
from .stock_levels import rows_to_resolve
from .stock_truth import StockRead, plan_push, read_screened, read_stock, record, sync_options
from .store_job import Refusal, Refused, refusal, run_store_job


def run_store_sync(
    store_name: str, trigger: str = "Scheduled", force: bool = False, scope: str | None = None
) -> str:
    """Returns the Shopify Log's name. Every run leaves one, a skipped run too. `scope` "all"
    pushes every row; otherwise only rows that differ from what Shopify confirmed (a full push
    when due)."""
    store = frappe.get_doc(STORE_DOCTYPE, store_name)
    started = now_datetime()
    refused = refusal(store, started, force=force, backoff=True, not_due=_not_due(store, trigger, started))
    if refused is None:
        problem = configuration_problem(store)
        refused = Refusal(Refused.CONFIGURATION, problem) if problem else None
    if refused:
        return write_skipped_log(store, trigger, refused.reason, keep_store_status=refused.keep_store_status)
    return run_store_job(_SyncJob(store, trigger, started, scope))


def _not_due(store, trigger: str, now) -> str | None:
    # A fast run (fast_path.py) exists because something changed: never "not due".
    if trigger == FAST_TRIGGER or is_due(store.last_inventory_sync, store.sync_interval, now):
        return None
    return _("Not due: the store synced at {0}, after this run was queued").format(store.last_inventory_sync)


class _SyncJob:
    """The sync in store_job's frame: its log is opened under the lock, before the savepoint."""

    savepoint = flight_marks.SAVEPOINT

    def __init__(self, store, trigger: str, started, scope: str | None):
        self.store, self.trigger, self.started, self.scope = store, trigger, started, scope
        self.log = None

    def busy(self, holder: run_lock.Holder) -> str:
        reason = _("Another inventory sync of this store is running ({0})").format(holder.describe())
        return write_skipped_log(self.store, self.trigger, reason, keep_store_status=True)

    def start(self) -> None:
        if close_interrupted_logs(self.store.name):
            stock_changes.clear(self.store)
        self.log = start_log(self.store, self.trigger, self.started)
        flight_marks.commit_in_worker()

    def run(self) -> str:
        return _run(self.store, self.log, self.started, self.scope)

    def failed(self, exc: Exception) -> str:
        store = self.store
        self.log.reload()  # the counts its last checkpoint confirmed
        stock_changes.clear(store)
        frappe.log_error(
            title=_("Shopify inventory sync failed: {0}").format(store.name),
            message=without_token(frappe.get_traceback(), store),
        )
        error = without_token(f"{type(exc).__name__}: {exc}", store)
        return finish_log(store, self.log, self.started, None, error=error, status="Failed")


def _run(store, log, started, scope: str | None = None) -> str:
    warnings = data_warnings(store)
    try:
        endpoint = store_endpoint(store)
    except (EndpointError, UnsupportedApiVersion) as exc:
        rows, failed, unmapped = read_screened(store)
        return finish_log(
            store, log, started, None, (failed, unmapped, warnings), error=str(exc), considered=len(rows)
        )
    flight_marks.settle(store, endpoint)
    plan = plan_push(store, scope, started)
    # Items without cached ids (among those this run reads) are resolved first and the stock
    # read after (the engine calls `read` then): a cold run pushes figures as fresh
    # as a warm one. ERPNext's own data problems (no SKU, one SKU on two items) are held back
    # before anything is looked up.
    identifiers, failed, unmapped = screen_rows(
        rows_to_resolve(store.name, store.sku_field, plan.scope.items), store.sku_field or "item_code"
    )
    saver = Checkpointer(store.name, log.name, identifiers)
    reads: list[StockRead] = []

    def read() -> list[StockRow]:
        reads.append(read_stock(store, plan))
        # Ids learnt from here on belong to the rows that passed the screen: an item held back
        # (its SKU on another item too) must not have another item's variant cached.
        saver.index = ResolutionIndex(reads[-1].stock)
        return list(reads[-1].sent)

    result = sync_inventory(
        endpoint,
        identifiers if identifiers else read(),
        options=sync_options(
            store,
            log.run_id,
            deadline_s=run_deadline_minutes(store.run_deadline) * 60,
            on_checkpoint=saver,
            on_sending=saver.sending,
        ),
        progress=_progress_publisher(store.name),
        read_stock=read if identifiers else None,
    )
    # The engine reads once, or not at all when it stopped while ids were looked up.
    stock = reads[-1] if reads else StockRead(plan)
    log.token_renewals = token_renewals(endpoint)  # connection.py: how often the token was renewed
    saver.save_rest(result.resolved)
    saver.marker.save_rest(result.confirmed)
    # Levels of items Shopify no longer has (there), or replaced by a re-created product:
    # nothing is left to compare with or to zero.
    confirmed_levels.forget_levels(store.name, [level.key for level in result.forget])
    untracked = {saver.index.item_of(r) for r in result.resolved if not r.tracked} - {None}
    # An item whose SKU is on another item too is read again until that is fixed (the fix may
    # be on the other item); one without a SKU is read again when its Item changes.
    held_back = {f.row.ref for f in (*failed, *stock.held_back)}
    shopify_bundles = record(store, stock, result, started, untracked, held_back)
    if stock.hold:
        zero_guard.notify(store, log.name, stock.hold)
    screened = (stock.held_back, stock.unmapped, warnings)
    return finish_log(store, log, started, result, screened, read=stock, shopify_bundles=shopify_bundles)


def _progress_publisher(store_name: str):
    last = {"percent": -1}

    def publish(done: int, total: int | None) -> None:
        percent = int(done * 100 / total) if total else 0
        if percent == last["percent"] and done != total:
            return  # a 2,000-batch run sends ~100 events, not 2,000
        last["percent"] = percent
        frappe.publish_progress(
            percent,
            title=_("Syncing inventory to Shopify"),
            doctype=STORE_DOCTYPE,
            docname=store_name,
            description=_("{0} of {1} batches").format(done, total or "?"),
        )

    return publish
