"""The background job: one inventory run for one store, from ERPNext's Bins to a Shopify Log."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import frappe
from frappe import _
from frappe.utils import cint, flt, now_datetime, time_diff_in_seconds

from ..sync.endpoint import EndpointError
from ..sync.quantity import QuantityError, shopify_quantity
from ..sync.results import Resolution, RowFailure, RunResult, StockRow
from ..sync.run import SyncOptions, sync_inventory
from ..sync.versions import UnsupportedApiVersion
from .connection import store_endpoint
from .constants import (
    ITEM_STORE_DOCTYPE,
    ITEM_STORES_FIELD,
    LOG_DOCTYPE,
    PROGRESS_EVENT,
    STORE_DOCTYPE,
)
from .scheduling import is_due, is_kill_switched
from .stock_levels import stock_rows

_BULK_CHUNK = 1000


def run_store_sync(store_name: str, trigger: str = "Scheduled", force: bool = False) -> str | None:
    """Returns the Shopify Log's name, or None when a scheduled run found nothing to do
    (another path synced the store since it was queued)."""
    store = frappe.get_doc(STORE_DOCTYPE, store_name)
    started = now_datetime()
    # The kill switch wins over everything, force included.
    if is_kill_switched(store.shop_domain):
        return write_skipped_log(
            store,
            trigger,
            _("Inventory sync is switched off for {0} in site config").format(store.shop_domain),
        )
    if not (store.enabled and store.inventory_sync_enabled):
        return write_skipped_log(store, trigger, _("The store or its inventory sync is disabled"))
    if not force and not is_due(store.last_inventory_sync, store.sync_interval, started):
        return None
    try:
        store.lock()
    except frappe.DocumentLockedError:
        if trigger == "Manual":
            return write_skipped_log(store, trigger, _("Another inventory sync of this store is running"))
        return None
    frappe.db.savepoint("shopify_inventory_sync")
    try:
        return _run(store, trigger, started)
    except Exception as exc:
        # Whatever broke, the run ends in a log the admin can see, not only in the worker's
        # error log; the half-done writes of this run are undone first.
        frappe.db.rollback(save_point="shopify_inventory_sync")
        frappe.log_error(title=_("Shopify inventory sync failed: {0}").format(store.name))
        return _finish(
            store, trigger, started, None, None, [], error=f"{type(exc).__name__}: {exc}", status="Failed"
        )
    finally:
        store.unlock()


def _run(store, trigger: str, started) -> str:
    rows = list(stock_rows(store.name, store.sku_field))
    run_id = frappe.generate_hash(length=16)
    try:
        endpoint = store_endpoint(store)
    except (EndpointError, UnsupportedApiVersion) as exc:
        return _finish(store, trigger, started, run_id, None, rows, error=str(exc))
    result = sync_inventory(
        endpoint,
        rows,
        options=SyncOptions(run_id=run_id, safety_buffer=flt(store.safety_buffer)),
        progress=_progress_publisher(store.name),
    )
    save_resolutions(store.name, rows, result.resolved)
    return _finish(store, trigger, started, run_id, result, rows)


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


def save_resolutions(store_name: str, rows: Iterable[StockRow], resolved: Iterable[Resolution]) -> int:
    """Cache what resolution learnt on Item Shopify Store: one multi-row upsert per 1,000
    items, never one save per item. Returns the number of items written."""
    by_key = {}
    for row in rows:
        if row.variant_id:
            by_key.setdefault(("variant", row.variant_id), row.ref)
        if row.sku:
            by_key.setdefault(("sku", row.sku), row.ref)
    learnt: dict[str, Resolution] = {}
    for resolution in resolved:
        item = by_key.get(("variant", resolution.variant_id)) or by_key.get(("sku", resolution.sku))
        if item:
            learnt[item] = resolution
    if not learnt:
        return 0
    items = list(learnt)
    existing = {
        r.parent: r
        for r in frappe.get_all(
            ITEM_STORE_DOCTYPE,
            filters={"parenttype": "Item", "parent": ["in", items], "shopify_store": store_name},
            fields=["name", "parent", "idx"],
        )
    }
    next_idx = dict(
        frappe.db.sql(
            f"SELECT parent, MAX(idx) FROM `tab{ITEM_STORE_DOCTYPE}` WHERE parenttype = 'Item' AND parent IN %(items)s GROUP BY parent",
            {"items": items},
        )
    )
    now = now_datetime()
    user = frappe.session.user
    values = []
    for item, resolution in learnt.items():
        current = existing.get(item)
        values.append(
            (
                current.name if current else frappe.generate_hash(length=10),
                item,
                "Item",
                ITEM_STORES_FIELD,
                current.idx if current else cint(next_idx.get(item)) + 1,
                store_name,
                resolution.variant_id,
                resolution.inventory_item_id,
                1 if resolution.tracked else 0,
                now,
                now,
                now,
                user,
                user,
            )
        )
    for start in range(0, len(values), _BULK_CHUNK):
        chunk = values[start : start + _BULK_CHUNK]
        placeholders = ", ".join(["(" + ", ".join(["%s"] * 14) + ")"] * len(chunk))
        frappe.db.sql(
            f"""
            INSERT INTO `tab{ITEM_STORE_DOCTYPE}`
                (name, parent, parenttype, parentfield, idx, shopify_store, variant_id, inventory_item_id,
                 tracked, last_resolved, creation, modified, owner, modified_by)
            VALUES {placeholders}
            ON DUPLICATE KEY UPDATE
                variant_id = VALUES(variant_id), inventory_item_id = VALUES(inventory_item_id),
                tracked = VALUES(tracked), last_resolved = VALUES(last_resolved), modified = VALUES(modified)
            """,
            [value for row in chunk for value in row],
        )
    return len(values)


def _finish(
    store,
    trigger: str,
    started,
    run_id: str | None,
    result: RunResult | None,
    rows: list,
    error: str | None = None,
    status: str = "Aborted",
) -> str:
    finished = now_datetime()
    log = frappe.new_doc(LOG_DOCTYPE)
    log.update(
        {
            "shopify_store": store.name,
            "trigger": trigger,
            "started_at": started,
            "finished_at": finished,
            "duration": time_diff_in_seconds(finished, started),
            "api_version": store.api_version,
            "run_id": run_id,
        }
    )
    if result is None:
        log.status = status
        log.error = error
        log.considered = len(rows)
    else:
        log.status = result.status.value
        log.error = run_error(log.status, result.abort_reason, result.failures)
        log.update(
            {
                "considered": result.considered,
                "pushed": result.pushed,
                "unchanged_skipped": result.unchanged_skipped,
                "skipped_untracked": result.untracked,
                "skipped_unmapped": result.unresolved,
                "failed": result.failed,
                "conflicts": result.conflicts,
                "batches_ok": result.batches_ok,
                "batches_failed": result.batches_failed,
                "api_calls": result.api_calls,
                "retries": result.retries,
                "throttled_answers": result.throttled_answers,
                "throttle_waits": result.throttle_waits,
                "seconds_waited": result.seconds_waited,
                "query_cost": result.query_cost,
            }
        )
        for failure in (*result.failures, *result.unresolved_rows):
            log.append(
                "failed_rows",
                {
                    "item_code": failure.row.ref,
                    "sku": failure.row.sku,
                    "shopify_location_id": failure.row.location_id,
                    "quantity": quantity_to_send(failure, store.safety_buffer),
                    "code": failure.code,
                    "message": failure.message,
                },
            )
    log.insert(ignore_permissions=True)
    updates = {"last_run_status": log.status, "last_log": log.name}
    # Advance only when something landed: a broken token must not hide behind a fresh timestamp.
    if result is not None and result.any_batch_succeeded:
        updates["last_inventory_sync"] = started
    frappe.db.set_value(STORE_DOCTYPE, store.name, updates, update_modified=False)
    frappe.publish_realtime(
        PROGRESS_EVENT,
        {"store": store.name, "log": log.name, "status": log.status},
        doctype=STORE_DOCTYPE,
        docname=store.name,
        after_commit=True,
    )
    return log.name


def quantity_to_send(failure: RowFailure, safety_buffer: float | None) -> int | None:
    """The figure the row would have set on Shopify. The engine knows it only for rows that got
    as far as a batch; for the others (not found on Shopify, a lookup that failed) it is the
    quantity rule applied to the ERPNext figure, so the log never shows a made-up 0."""
    if failure.quantity is not None:
        return failure.quantity
    try:
        return shopify_quantity(failure.row.quantity, flt(safety_buffer))
    except QuantityError:
        return None  # the row's own message says why there is no figure


def run_error(status: str, engine_reason: str | None, failures: Iterable[RowFailure]) -> str | None:
    """A Failed or Aborted run always names a cause at the top: the engine's when it gave one,
    else the commonest row failure, so the admin need not read hundreds of rows."""
    if engine_reason or status not in ("Failed", "Aborted"):
        return engine_reason
    failures = list(failures)
    if not failures:
        return _("The run ended {0} without a cause from Shopify and without failed rows").format(status)
    by_code = Counter(f.code for f in failures)
    code, count = by_code.most_common(1)[0]
    example = next(f for f in failures if f.code == code)
    summary = _("{0} of {1} failed rows: {2}: {3}").format(count, len(failures), code, example.message)
    if len(by_code) > 1:
        summary += " " + _("(and {0} other causes)").format(len(by_code) - 1)
    return summary


def write_skipped_log(store, trigger: str, reason: str) -> str:
    now = now_datetime()
    log = frappe.get_doc(
        {
            "doctype": LOG_DOCTYPE,
            "shopify_store": store.name,
            "trigger": trigger,
            "status": "Skipped",
            "started_at": now,
            "finished_at": now,
            "duration": 0,
            "api_version": store.api_version,
            "error": reason,
        }
    ).insert(ignore_permissions=True)
    frappe.db.set_value(
        STORE_DOCTYPE, store.name, {"last_run_status": "Skipped", "last_log": log.name}, update_modified=False
    )
    return log.name
