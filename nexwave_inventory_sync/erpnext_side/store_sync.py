"""The background job: one inventory run for one store, from ERPNext's Bins to a Shopify Log."""

from __future__ import annotations

from collections.abc import Iterable

import frappe
from frappe import _
from frappe.utils import cint, now_datetime, time_diff_in_seconds

from ..sync.endpoint import EndpointError, ShopifyEndpoint
from ..sync.results import Resolution, RunResult, StockRow
from ..sync.run import sync_inventory
from ..sync.versions import UnsupportedApiVersion
from .constants import (
    ENDPOINT_OVERRIDES_KEY,
    ITEM_STORE_DOCTYPE,
    ITEM_STORES_FIELD,
    LOG_DOCTYPE,
    PROGRESS_EVENT,
    STORE_DOCTYPE,
)
from .scheduling import is_due, is_kill_switched
from .stock_levels import rows_to_resolve
from .stock_truth import PushPlan, conflict_rows, log_fields, plan_push, record, sync_options

_BULK_CHUNK = 1000


def run_store_sync(
    store_name: str, trigger: str = "Scheduled", force: bool = False, scope: str | None = None
) -> str | None:
    """Returns the Shopify Log's name, or None when a scheduled run found nothing to do
    (another path synced the store since it was queued). `scope` "all" pushes every row;
    otherwise only rows that differ from what Shopify confirmed (a full push when due)."""
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
        return _run(store, trigger, started, scope)
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


def _run(store, trigger: str, started, scope: str | None = None) -> str:
    run_id = frappe.generate_hash(length=16)
    try:
        endpoint = ShopifyEndpoint(
            store.shop_domain,
            store.get_password("access_token", raise_exception=False) or "",
            store.api_version,
            endpoint_override=_endpoint_override(store.shop_domain),
        )
    except (EndpointError, UnsupportedApiVersion) as exc:
        return _finish(store, trigger, started, run_id, None, [], error=str(exc))
    plan = plan_push(store, scope, started)
    # Items without cached ids are resolved first and the stock read after (the engine calls
    # the plan's reader then): a cold run pushes figures as fresh as a warm one.
    identifiers = rows_to_resolve(store.name, store.sku_field)
    read = plan.reader(store)
    result = sync_inventory(
        endpoint,
        identifiers if identifiers else read(),
        options=sync_options(store, run_id),
        progress=_progress_publisher(store.name),
        read_stock=read if identifiers else None,
    )
    save_resolutions(store.name, [*identifiers, *plan.stock], result.resolved)
    record(store, plan, result, started)
    return _finish(store, trigger, started, run_id, result, plan.stock, plan=plan)


def _endpoint_override(shop_domain: str) -> str | None:
    overrides = frappe.get_site_config().get(ENDPOINT_OVERRIDES_KEY) or {}
    return overrides.get(shop_domain.strip().lower()) if isinstance(overrides, dict) else None


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
    plan: PushPlan | None = None,
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
        log.error = result.abort_reason
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
                    "quantity": failure.quantity,
                    "code": failure.code,
                    "message": failure.message,
                },
            )
        if plan is not None:
            _add_stock_truth(log, plan, result, rows)
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


def _add_stock_truth(log, plan: PushPlan, result: RunResult, rows: list[StockRow]) -> None:
    """Delta counts (changed, zeroed, full push) and one row per conflict with ERPNext's,
    the confirmed and Shopify's figures."""
    log.update(log_fields(plan, result))
    skus = {row.ref: row.sku for row in rows}
    for row in conflict_rows(result, skus):
        log.append("conflict_rows", row)


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
