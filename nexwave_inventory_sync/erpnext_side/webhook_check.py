"""The targeted check: the levels Shopify's webhooks marked, read on Shopify and put under the
reconciliation's rules.

The marked levels are read by id, not the whole location (sync.reconcile with read_method
"levels"), and get the reconciliation's rules (tolerance, the shortfall rule, correct or not, the
conflict policy for a row that moves meanwhile); the levels read become the confirmed ones. A
shortfall it leaves is looked at again later (webhook_rechecks.py). A deleted inventory item, or
one whose tracking changed, has its cached ids forgotten and its ERPNext item queued for the fast
path, which looks it up again. The job that runs this, with its lock and pacing, is
webhooks.run_webhook_check.
"""

from __future__ import annotations

import json
from dataclasses import replace

import frappe
from frappe import _
from frappe.utils import now_datetime

from ..sync.api import ALL_LOCATIONS, EndpointError, UnsupportedApiVersion, reconcile
from ..sync.api import webhooks as shopify_webhooks
from . import confirmed_levels
from .connection import store_endpoint
from .constants import ITEM_STORE_DOCTYPE, STORE_DOCTYPE, WEBHOOK_TRIGGER
from .quantity_names import quantity_name
from .reconciliation import (
    add_counts,
    add_differences,
    new_record,
    reconcile_options,
    refresh_confirmed_levels,
)
from .webhook_rechecks import looks_again, schedule_rechecks

# Beyond this many marked levels one full reconciliation is cheaper than a targeted read.
MAX_TARGETED_LEVELS = 2000


def check_levels(store, members: set[str]) -> str | None:
    """Read the marked levels on Shopify and apply the reconciliation's rules to them. Returns
    the Shopify Reconciliation recording drift it found, else None."""
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
        if looks_again(quantity_name(store)):
            schedule_rechecks(store.name, result.plan.drifted)
    if not result.plan.drifted and not result.aborted:
        return None  # Shopify already shows ERPNext's figure: nothing worth a record
    return _record(store, started, run_id, result, {row.ref: row.sku for row in stock})


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
