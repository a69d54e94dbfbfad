"""Preview Next Sync: what the store's next run would send, row by row, with ERPNext's figure (as
the quantity rule makes it), the level Shopify last confirmed, Shopify's figure now (one read)
and the conflicts it expects; and whether the zero guard would hold the run.

It plans exactly as a run does (stock_truth.plan_push and read_stock, the same screen of
ERPNext's own data) and writes nothing: no mutation on Shopify, no store field, no confirmed
level, no log. The figures are read now; the run reads again when it runs.

Rows an earlier run left in flight (the crash rule) are settled by the run before it plans; the
preview reads them the same way and settles them in memory (sync/preview_in_flight.py), so it
shows what the run will do; not read (Shopify not asked, or the read failed), they are in doubt."""

from __future__ import annotations

from dataclasses import asdict, replace

import frappe
from frappe import _
from frappe.utils import flt, now_datetime

from ..sync.api import (
    EndpointError,
    UnsupportedApiVersion,
    check_in_flight,
    levels_after_check,
    preview_rows,
    read_current,
    summarise,
    with_in_flight_notes,
)
from . import confirmed_levels, item_units
from .connection import store_endpoint
from .constants import LOG_ROWS_KEPT
from .quantity_names import quantity_name
from .scheduling import is_kill_switched
from .stock_truth import plan_push, read_stock
from .store_job import kill_switch_message


def preview_next_sync(
    store, scope: str | None = None, read_shopify: bool = True, shown: int = LOG_ROWS_KEPT
) -> dict:
    """`scope`: as the Sync Inventory button ("all" for every row; else what the next run reads).
    Returns the rows (the first `shown`) and the counts."""
    # The store as saved, as the run reads it: the form's button sends the browser's copy, whose
    # dates are strings and whose unsaved edits the run would not see.
    store = frappe.get_doc(store.doctype, store.name)
    plan = plan_push(store, scope, now_datetime())
    endpoint, shopify, shopify_note = None, {}, None
    if not read_shopify:
        shopify_note = _("Shopify's figures were not read")
    elif is_kill_switched(store.shop_domain):
        shopify_note = kill_switch_message(store.shop_domain) + ": " + _("Shopify was not read")
    else:
        try:
            endpoint = store_endpoint(store)
        except (EndpointError, UnsupportedApiVersion) as exc:
            shopify_note = str(exc)
    # The run settles an earlier run's rows in flight before it plans: so does the preview, in
    # memory, for the items it plans (the run's other marks do not touch this delta).
    items = plan.scope.items
    marks = [m for m in confirmed_levels.in_flight(store.name) if items is None or m.ref in items]
    check = None
    if marks and endpoint is not None:
        check = check_in_flight(endpoint, marks, quantity_name=quantity_name(store))
        if not check.unread:
            plan = replace(
                plan, stored=replace(plan.stored, levels=tuple(levels_after_check(plan.stored.levels, check)))
            )
    stock = read_stock(store, plan)
    rows = stock.would_send
    if endpoint is not None:
        answer = read_current(endpoint, rows, quantity_name(store))
        shopify = answer.figures
        if answer.error:
            shopify_note = _("Shopify's figures could not be read: {0}").format(answer.error)
    previewed = with_in_flight_notes(preview_rows(rows, flt(store.safety_buffer), shopify), marks, check)
    units = item_units.rules_for(store, {row.ref for row in previewed[:shown] if row.ref}, always=True)
    return {
        "scope": plan.scope.describe(),
        "full": plan.full,
        "total": len(previewed),
        "unchanged": stock.unchanged,
        "zeroed": sum(1 for row in rows if row.zeroing),
        "conflicts": sum(1 for row in previewed if row.conflict),
        "held": stock.hold.message() if stock.hold else None,
        "shopify_note": shopify_note,
        "in_flight": summarise(marks, check).describe(),
        "held_back": [
            {"item_code": f.row.ref, "code": f.code, "message": f.message}
            for f in (*stock.held_back, *stock.unmapped)[:shown]
        ],
        "rows": [
            {**asdict(row), "unit": units[row.ref].describe() if row.ref in units else ""}
            for row in previewed[:shown]
        ],
    }
