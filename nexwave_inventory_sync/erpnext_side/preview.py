"""Preview Next Sync: what the store's next run would send, row by row, with ERPNext's figure (as
the quantity rule makes it), the level Shopify last confirmed, Shopify's figure now (one read)
and the conflicts it expects; and whether the zero guard would hold the run.

It plans exactly as a run does (stock_truth.plan_push and the plan's reader, the same screen of
ERPNext's own data) and writes nothing: no mutation on Shopify, no store field, no confirmed
level, no log. The figures are read now; the run reads again when it runs."""

from __future__ import annotations

from dataclasses import asdict

from frappe import _
from frappe.utils import flt, now_datetime

from ..sync.endpoint import EndpointError
from ..sync.preview import preview_rows, read_current
from ..sync.versions import UnsupportedApiVersion
from . import item_units
from .connection import store_endpoint
from .constants import LOG_ROWS_KEPT
from .quantity_names import quantity_name
from .scheduling import is_kill_switched
from .screening import screen_rows
from .stock_truth import plan_push, read_store_stock
from .store_job import kill_switch_message


def preview_next_sync(
    store, scope: str | None = None, read_shopify: bool = True, shown: int = LOG_ROWS_KEPT
) -> dict:
    """`scope`: as the Sync Inventory button ("all" for every row; else what the next run reads).
    Returns the rows (the first `shown`) and the counts."""
    sku_field = store.sku_field or "item_code"
    held_back: list = []

    def read(items):
        rows, failed, unmapped = screen_rows(read_store_stock(store, items), sku_field)
        held_back.extend((*failed, *unmapped))
        return rows

    plan = plan_push(store, scope, now_datetime())
    plan.reader(store, read)()
    rows = plan.would_send
    shopify, shopify_note = {}, None
    if not read_shopify:
        shopify_note = _("Shopify's figures were not read")
    elif is_kill_switched(store.shop_domain):
        shopify_note = kill_switch_message(store.shop_domain) + ": " + _("Shopify was not read")
    else:
        try:
            answer = read_current(store_endpoint(store), rows, quantity_name(store))
        except (EndpointError, UnsupportedApiVersion) as exc:
            shopify_note = str(exc)
        else:
            shopify = answer.figures
            if answer.error:
                shopify_note = _("Shopify's figures could not be read: {0}").format(answer.error)
    previewed = preview_rows(rows, flt(store.safety_buffer), shopify)
    units = item_units.rules_for(store, {row.ref for row in previewed[:shown] if row.ref}, always=True)
    return {
        "scope": plan.scope.describe(),
        "full": plan.full,
        "total": len(previewed),
        "unchanged": plan.unchanged,
        "zeroed": sum(1 for row in rows if row.zeroing),
        "conflicts": sum(1 for row in previewed if row.conflict),
        "held": plan.hold.message() if plan.hold else None,
        "shopify_note": shopify_note,
        "held_back": [
            {"item_code": f.row.ref, "code": f.code, "message": f.message} for f in held_back[:shown]
        ],
        "rows": [
            {**asdict(row), "unit": units[row.ref].describe() if row.ref in units else ""}
            for row in previewed[:shown]
        ],
    }
