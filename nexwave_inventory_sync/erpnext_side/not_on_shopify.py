"""Items ERPNext has and Shopify does not: a state of the catalog, not a failure of the run.

Nearly every ERPNext catalog holds stock items that are not sold online. A run that found only
those missing ends Success with their count on a line of its own, and the store stays healthy.
Each such item is marked on its Item Shopify Store row (`not_on_shopify`, `last_resolved`: when
Shopify last said so) and left out of the changed-items read until the Item changes or the mark
is older than NOT_ON_SHOPIFY_RECHECK_HOURS (a full push, daily by default, looks them all up
again too): a catalog with 50,000 of them keeps its delta reads, and its SKUs are not searched
for on every run.

A SKU that two Shopify variants share (AMBIGUOUS_SKU) or a variant id typed by hand that Shopify
does not know (VARIANT_NOT_FOUND) is a problem to fix, not a state: those stay failures.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import frappe
from frappe import _
from frappe.utils import now_datetime

from ..sync.api import RunResult, RunStatus, StockRow
from . import flight_marks
from .bulk_sql import insert_rows, update_by_name
from .constants import ITEM_STORE_DOCTYPE
from .id_cache import ROW_HEAD, highest_row_idx, new_row_head
from .stock_levels import item_codes_param

# The engine's code for a SKU no variant of the shop carries. (An item with nothing in the
# store's SKU field, the app's NO_SKU, cannot be on Shopify either: run_log.log_status.)
NOT_FOUND = "SKU_NOT_FOUND"
NOT_ON_SHOPIFY_RECHECK_HOURS = 24
_CHUNK = 1000


def only_missing_items(result: RunResult) -> bool:
    """True when the engine's Partial comes only from items not on Shopify: nothing failed, was
    held or left unsent, and every row it listed as unresolved is a SKU Shopify lacks. (The
    engine lists the first 200 such rows with their code and counts the rest: beyond those,
    the rows are taken to be of the same kind, as the log's summary words them.)"""
    return (
        result.status is RunStatus.PARTIAL
        and result.unresolved > 0
        and not (result.failed or result.held or result.not_sent or result.deadline_reached)
        and all(row.code == NOT_FOUND for row in result.unresolved_rows)
    )


def log_line(rows: int) -> str:
    """The Shopify Log's line for them (its Warnings), on a run that is otherwise a Success."""
    return _(
        "{0:,} rows are items ERPNext has and Shopify does not (not sold online, or not yet): "
        "not a failure. Each is looked up again when its Item changes, or after a day; the "
        "first ones are listed below."
    ).format(rows)


def missing_items(sent: Iterable[StockRow], result: RunResult, store_name: str) -> set[str]:
    """Items this run looked up and Shopify does not have: rows sent without an inventory item
    id whose item has none cached after the run (the run saved every id it learnt), less those
    that failed otherwise (a lookup that failed, a SKU two variants share)."""
    looked_up = {row.ref for row in sent if row.ref and not row.inventory_item_id}
    if not looked_up:
        return set()
    other = {f.row.ref for f in result.failures} | {
        f.row.ref for f in result.unresolved_rows if f.code != NOT_FOUND
    }
    found = set(
        frappe.get_all(
            ITEM_STORE_DOCTYPE,
            filters={
                "parenttype": "Item",
                "shopify_store": store_name,
                "parent": ["in", list(looked_up)],
                "inventory_item_id": ["is", "set"],
            },
            pluck="parent",
        )
    )
    return looked_up - found - other


def mark(store_name: str, items: Iterable[str], now: datetime | None = None) -> None:
    """Mark the items not on Shopify as of `now` (their row for the store, made if missing), and
    unmark the store's rows that now have ids (found since). The rows to change are read first
    and written by name (bulk_sql.update_by_name: an UPDATE over the store's rows locked them
    all at the end of every run)."""
    now = now or now_datetime()
    found = frappe.db.sql_list(
        f"""SELECT name FROM `tab{ITEM_STORE_DOCTYPE}`
        WHERE parenttype = 'Item' AND shopify_store = %(store)s AND not_on_shopify = 1
            AND IFNULL(inventory_item_id, '') != '' ORDER BY parent, name""",
        {"store": store_name},
    )
    if found:
        flight_marks.in_own_transaction(
            lambda: update_by_name(ITEM_STORE_DOCTYPE, found, "not_on_shopify = 0")
        )
    items = sorted(set(items))
    for start in range(0, len(items), _CHUNK):
        _mark_chunk(store_name, items[start : start + _CHUNK], now)


def _mark_chunk(store_name: str, items: list[str], now: datetime) -> None:
    rows = frappe.db.sql(
        f"""SELECT name, parent, IFNULL(inventory_item_id, '') = '' AS missing
        FROM `tab{ITEM_STORE_DOCTYPE}`
        WHERE parenttype = 'Item' AND shopify_store = %(store)s AND parent IN %(items)s
        ORDER BY parent, name""",
        {"store": store_name, "items": item_codes_param(items)},
    )
    update_by_name(
        ITEM_STORE_DOCTYPE,
        [name for name, _parent, missing in rows if missing],
        "not_on_shopify = 1, last_resolved = %(now)s",
        {"now": now},
    )
    has_row = {parent for _name, parent, _missing in rows}
    missing = [item for item in items if item not in has_row]
    if not missing:
        return
    highest = highest_row_idx(missing)
    values = [(*new_row_head(item, store_name, highest), 1, 1, now) for item in missing]
    insert_rows(
        ITEM_STORE_DOCTYPE,
        (*ROW_HEAD, "tracked", "not_on_shopify", "last_resolved"),
        values,
        stamp=now,
    )


def resting_items(store_name: str, now: datetime) -> list[str]:
    """Marked items a changed-items read leaves out: the mark is younger than the re-check
    interval, the Item was not changed since (a new SKU, say, is looked up at once) and no
    variant id was put on the row since (typed, or adopted from ecommerce_integrations)."""
    return [
        row[0]
        for row in frappe.db.sql(
            f"""SELECT DISTINCT cache.parent FROM `tab{ITEM_STORE_DOCTYPE}` cache
            JOIN `tabItem` item ON item.name = cache.parent
            WHERE cache.parenttype = 'Item' AND cache.shopify_store = %(store)s
                AND cache.not_on_shopify = 1 AND IFNULL(cache.inventory_item_id, '') = ''
                AND IFNULL(cache.variant_id, '') = ''
                AND cache.last_resolved >= %(fresh)s AND item.modified <= cache.last_resolved""",
            {"store": store_name, "fresh": now - timedelta(hours=NOT_ON_SHOPIFY_RECHECK_HOURS)},
        )
    ]


def count(store_names: Iterable[str] | str) -> int:
    """Items marked not on Shopify, for the store form's note and the workspace card."""
    names = [store_names] if isinstance(store_names, str) else list(store_names)
    if not names:
        return 0
    return frappe.db.sql(
        f"""SELECT COUNT(DISTINCT parent) FROM `tab{ITEM_STORE_DOCTYPE}`
        WHERE parenttype = 'Item' AND shopify_store IN %(stores)s AND not_on_shopify = 1
            AND IFNULL(inventory_item_id, '') = '' AND IFNULL(variant_id, '') = ''""",
        {"stores": tuple(names)},
    )[0][0]
