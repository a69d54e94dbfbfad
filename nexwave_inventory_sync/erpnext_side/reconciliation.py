"""The reconciliation job: read what Shopify holds for every mapped item and location, compare it
with ERPNext's figure, correct the drift (when the store allows), refresh the confirmed levels
and record a Shopify Reconciliation; notify the store's users when drift passes its threshold.

The comparison rule (tolerance; a shortfall on Shopify is corrected only when the previous
reconciliation saw it too, in either mode; items Shopify does not track are counted apart, not
compared) is the engine's (sync/drift.py), so are the reads (sync/levels.py: pages for a small
catalog, one bulk operation for a large one, falling back to pages when the bulk read fails)
and the settling of a correction that meets a sale (sync/conflicts.py:settle_correction). Same queue,
dedup, kill switch and run lock (run_lock.py) as the sync: a reconciliation never runs while
the store's sync does, and the other way round.
"""

from __future__ import annotations

from collections.abc import Callable

import frappe
from frappe import _
from frappe.utils import cint, flt, now_datetime, time_diff_in_seconds

from ..sync.api import (
    Checkpoint,
    EndpointError,
    LevelDrift,
    ReconcileOptions,
    ReconciliationResult,
    SyncOptions,
    UnsupportedApiVersion,
    reconcile,
)
from . import confirmed_levels, flight_marks
from .confirmed_levels import RECONCILIATION, StoredLevels
from .connection import store_endpoint
from .constants import RECONCILE_PROGRESS_EVENT, RECONCILIATION_DOCTYPE, STORE_DOCTYPE
from .quantity_names import quantity_name
from .scheduling import is_due
from .stock_truth import read_store_stock, sync_options
from .store_job import refusal, run_store_job
from .store_tokens import mask_secrets

# The record lists the largest differences, not every drifted row: a broken sync can leave
# 100,000 of them, and the list is for a person to read.
LARGEST_DIFFERENCES = 50

ACTIONS = {
    "correct": "Corrected",
    "partial": "Partly corrected",
    "wait": "Shortfall seen first time: corrected if still there next time",
}


def run_store_reconciliation(store_name: str, trigger: str = "Scheduled", force: bool = False) -> str | None:
    """Returns the Shopify Reconciliation's name, or None when a scheduled run found it was
    not due any more or the store was busy (the next tick tries again)."""
    store = frappe.get_doc(STORE_DOCTYPE, store_name)
    started = now_datetime()
    refused = refusal(store, started, force=force)
    if refused:
        return _record_skipped(store, trigger, refused.reason)
    if not force and not is_due(store.last_reconciliation, store.reconcile_interval, started):
        return None
    return run_store_job(_ReconciliationJob(store, trigger, started))


class _ReconciliationJob:
    """The reconciliation in store_job's frame."""

    savepoint = "shopify_reconciliation"

    def __init__(self, store, trigger: str, started):
        self.store, self.trigger, self.started = store, trigger, started

    def busy(self, holder) -> str | None:
        if self.trigger != "Manual":
            return None
        reason = _("A sync or reconciliation of this store is running ({0})").format(holder.describe())
        return _record_skipped(self.store, self.trigger, reason)

    def start(self) -> None:
        pass

    def run(self) -> str:
        return _reconcile(self.store, self.trigger, self.started)

    def failed(self, exc: Exception) -> str:
        # Frame variables left out and every secret of the store masked (store_tokens.py).
        frappe.log_error(
            title=_("Shopify reconciliation failed: {0}").format(self.store.name),
            message=mask_secrets(frappe.get_traceback(), self.store),
        )
        error = mask_secrets(f"{type(exc).__name__}: {exc}", self.store)
        return _record(self.store, self.trigger, self.started, None, status="Failed", error=error)


def _reconcile(store, trigger: str, started) -> str:
    run_id = frappe.generate_hash(length=16)
    try:
        endpoint = store_endpoint(store)
    except (EndpointError, UnsupportedApiVersion) as exc:
        return _record(store, trigger, started, run_id, status="Aborted", error=str(exc))
    # Marks a killed run left are settled first: the stored levels then match Shopify's writes.
    flight_marks.settle(store, endpoint)
    stock = read_store_stock(store)
    stored = confirmed_levels.load(store.name)
    marker = flight_marks.Marker(store.name)

    def checkpoint(point: Checkpoint) -> None:
        marker.landed(point)
        flight_marks.commit_in_worker()

    stages = {
        "read": _("Reading Shopify's levels of {0} rows").format(len(stock)),
        "correct": _("Correcting the drifted rows"),
    }

    def progress(percent: int, stage: str) -> None:
        # "done" is published below with the figures, once the levels are stored.
        if stage != "done":
            _progress(store.name, percent, stages.get(stage, stage))

    result = reconcile(
        endpoint,
        stock,
        # Corrections follow the crash rule as a push does: marked before they leave, saved as
        # they land.
        options=reconcile_options(
            store, stored, sync_options(store, run_id, on_sending=marker.sending, on_checkpoint=checkpoint)
        ),
        progress=progress,
    )
    if result.aborted and not result.plan.compared:
        # Shopify could not be read (bad token, locked shop, a failed read): nothing compared.
        _progress(store.name, 100, _("Aborted"))
        return _record(store, trigger, started, run_id, status="Aborted", error=result.abort_reason)
    refresh_confirmed_levels(store.name, result)
    _progress(
        store.name, 100, _("{0} of {1} rows drifted").format(len(result.plan.drifted), result.plan.compared)
    )
    skus = {row.ref: row.sku for row in stock}
    return _record(store, trigger, started, run_id, result=result, skus=skus)


def reconcile_options(store, stored: StoredLevels, sync: SyncOptions, **extra) -> ReconcileOptions:
    """The store's comparison settings, with what the stored levels remember (the shortfalls
    seen last time, the levels last confirmed)."""
    return ReconcileOptions(
        tolerance=cint(store.drift_tolerance),
        correct=bool(cint(store.auto_correct)),
        previous_shortfalls=stored.shortfalls,
        previous_levels={level.key: level for level in stored.levels},
        sync=sync,
        **extra,
    )


def refresh_confirmed_levels(store_name: str, result: ReconciliationResult) -> int:
    """The result's confirmed levels become the stored ones, so the next delta run starts from
    Shopify's real figures even after edits in Shopify admin; the shortfalls seen are kept for
    the next reconciliation. The engine already left a shortfall seen for the first time (or
    inside the tolerance) at its old level (drift.levels_to_confirm: it may be an order ERPNext
    has not imported yet). Only levels that changed are written (confirmed_levels.upsert), so
    the next delta run reads only their items."""
    return confirmed_levels.upsert(
        store_name, result.confirmed, RECONCILIATION, shortfalls=dict(result.shortfalls)
    )


def _progress(store_name: str, percent: int, description: str) -> None:
    frappe.publish_progress(
        min(max(percent, 0), 100),
        title=_("Reconciling with Shopify"),
        doctype=STORE_DOCTYPE,
        docname=store_name,
        description=description,
    )


def _action(drift: LevelDrift, landed: set, correcting: bool) -> str:
    if drift.action == "wait":
        return ACTIONS["wait"]
    if not correcting:
        return _("Not corrected (Correct Drift is off)")
    if drift.key not in landed:
        return _("Correction did not land (see the message)")
    return ACTIONS[drift.action]


def _record(
    store,
    trigger: str,
    started,
    run_id: str | None,
    *,
    result: ReconciliationResult | None = None,
    skus: dict[str, str | None] | None = None,
    status: str | None = None,
    error: str | None = None,
) -> str:
    doc = new_record(store, trigger, started, run_id, error=error)
    if result is not None:
        status = _fill_result(doc, store, result, skus or {})
    doc.status = status
    doc.insert(ignore_permissions=True)
    updates = {"last_reconciliation_doc": doc.name}
    # Advance only when Shopify was read: a broken token must not hide behind a fresh timestamp.
    if result is not None:
        updates["last_reconciliation"] = started
    frappe.db.set_value(STORE_DOCTYPE, store.name, updates, update_modified=False)
    if result is not None:
        notify_drift(store, doc)
    frappe.publish_realtime(
        RECONCILE_PROGRESS_EVENT,
        {
            "store": store.name,
            "reconciliation": doc.name,
            "status": doc.status,
            "compared": doc.rows_compared or 0,
            "drifted": doc.rows_drifted or 0,
        },
        doctype=STORE_DOCTYPE,
        docname=store.name,
        after_commit=True,
    )
    return doc.name


def _fill_result(doc, store, result: ReconciliationResult, skus: dict[str, str | None]) -> str:
    """The counts and largest differences of a reconciliation that read Shopify; returns its status."""
    plan, correction = result.plan, result.correction
    landed = {level.key for level in correction.confirmed} if correction else set()
    failures = {}
    for failure in correction.failures if correction else ():
        failures[(failure.inventory_item_id, failure.row.location_id)] = failure
    add_counts(doc, result)
    doc.update(
        {
            # Not compared, not drift: a push skips them, so no correction could land.
            "rows_untracked": len(plan.untracked),
            "held": sum(1 for d in plan.drifted if d.action == "wait")
            + (correction.held if correction else 0),
            "failed": correction.failed if correction else 0,
            "query_cost": correction.query_cost if correction else 0,
        }
    )
    correcting = bool(cint(store.auto_correct))

    def message(drift: LevelDrift) -> str | None:
        failure = failures.get(drift.key)
        return f"{failure.code}: {failure.message}" if failure else None

    add_differences(doc, plan, skus, lambda drift: _action(drift, landed, correcting), message)
    if result.aborted:
        doc.error = result.abort_reason
        return "Aborted"
    if correction is not None and (correction.failed or correction.held):
        return "Partial"
    return "Success"


def new_record(store, trigger: str, started, run_id: str | None, *, error: str | None = None):
    """A Shopify Reconciliation of the store, not inserted yet: who, when, which quantity."""
    finished = now_datetime()
    doc = frappe.new_doc(RECONCILIATION_DOCTYPE)
    doc.update(
        {
            "shopify_store": store.name,
            "trigger": trigger,
            "quantity_name": quantity_name(store),
            "started_at": started,
            "finished_at": finished,
            "duration": time_diff_in_seconds(finished, started),
            "run_id": run_id,
            "tolerance": cint(store.drift_tolerance),
            "error": error,
        }
    )
    return doc


def add_counts(doc, result: ReconciliationResult) -> None:
    """The counts every record of a comparison carries (a full one or a webhook's check)."""
    plan = result.plan
    doc.update(
        {
            "rows_compared": plan.compared,
            "rows_drifted": len(plan.drifted),
            "drift_percent": plan.drift_percent,
            "corrected": result.corrected,
            "read_method": result.read_method,
            "api_calls": result.api_calls,
        }
    )


def add_differences(
    doc,
    plan,
    skus: dict[str, str | None],
    action: Callable[[LevelDrift], str],
    message: Callable[[LevelDrift], str | None] = lambda drift: None,
) -> None:
    """The largest differences (LARGEST_DIFFERENCES), with what was done about each."""
    for drift in plan.largest(LARGEST_DIFFERENCES):
        doc.append(
            "differences",
            {
                "item_code": drift.ref,
                "sku": skus.get(drift.ref),
                "shopify_location_id": drift.key[1],
                "erpnext_quantity": drift.erpnext,
                "shopify_quantity": drift.shopify,
                "difference": drift.difference,
                "action": action(drift),
                "message": message(drift),
            },
        )


def _record_skipped(store, trigger: str, reason: str) -> str:
    return _record(store, trigger, now_datetime(), None, status="Skipped", error=reason)


def notify_drift(store, doc) -> list[str]:
    """Drift above the store's threshold (% of rows compared) notifies its users through
    Frappe's notifications (the bell). Returns the users notified."""
    users = [row.user for row in store.get("drift_notify_users") or [] if row.user]
    if not users or not doc.rows_compared or flt(doc.drift_percent) <= flt(store.drift_threshold):
        return []
    from frappe.desk.doctype.notification_log.notification_log import make_notification_logs

    make_notification_logs(
        frappe._dict(
            {
                "type": "Alert",
                "document_type": RECONCILIATION_DOCTYPE,
                "document_name": doc.name,
                "from_user": "Administrator",
                "subject": _("Shopify stock drift {0}% on {1}: {2} of {3} rows ({4} corrected)").format(
                    flt(doc.drift_percent, 2), store.name, doc.rows_drifted, doc.rows_compared, doc.corrected
                ),
            }
        ),
        users,
    )
    frappe.db.set_value(RECONCILIATION_DOCTYPE, doc.name, "notified", 1, update_modified=False)
    return users
