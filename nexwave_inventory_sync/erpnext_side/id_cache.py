"""The Item id cache: what resolution learnt (variant id, inventory item id, tracked) kept on
each Item's Item Shopify Store row, so the next run sends without looking the item up again.

Written in multi-row upserts (bulk_sql.insert_rows), never one save per item: a cold run of
100,000 items learns 100,000 ids."""

from __future__ import annotations

from collections.abc import Iterable

import frappe
from frappe.utils import cint, now_datetime

from ..sync.api import IdError, Resolution, StockRow, to_gid
from .bulk_sql import insert_rows
from .constants import ITEM_STORE_DOCTYPE, ITEM_STORES_FIELD
from .stock_levels import item_codes_param

# The first columns of every Item Shopify Store row written in bulk (new_row_head's values).
ROW_HEAD = ("name", "parent", "parenttype", "parentfield", "idx", "shopify_store")
_COLUMNS = (
    *ROW_HEAD,
    "variant_id",
    "resolved_variant_id",
    "inventory_item_id",
    "tracked",
    "last_resolved",
)
_ON_DUPLICATE = """variant_id = VALUES(variant_id), resolved_variant_id = VALUES(resolved_variant_id),
        inventory_item_id = VALUES(inventory_item_id), tracked = VALUES(tracked),
        last_resolved = VALUES(last_resolved), modified = VALUES(modified)"""


def _variant_gid(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return to_gid("ProductVariant", value)
    except IdError:
        return None


class ResolutionIndex:
    """Which ERPNext item a Resolution belongs to: by variant id (hand-typed numbers and gids
    alike), else by SKU."""

    def __init__(self, rows: Iterable[StockRow]):
        self.by_key: dict[tuple[str, str], str] = {}
        for row in rows:
            variant = _variant_gid(row.variant_id)
            if variant:
                self.by_key.setdefault(("variant", variant), row.ref)
            if row.sku:
                self.by_key.setdefault(("sku", row.sku), row.ref)

    def item_of(self, resolution: Resolution) -> str | None:
        variant = _variant_gid(resolution.variant_id)
        return (variant and self.by_key.get(("variant", variant))) or self.by_key.get(("sku", resolution.sku))


def resolution_key(resolution: Resolution) -> tuple:
    """What makes two Resolutions the same fact (a checkpoint's and the run's end report)."""
    return (resolution.inventory_item_id, resolution.variant_id, resolution.sku, resolution.tracked)


def save_resolutions(
    store_name: str, rows: Iterable[StockRow] | ResolutionIndex, resolved: Iterable[Resolution]
) -> int:
    """Cache what resolution learnt on Item Shopify Store: one multi-row upsert per 1,000
    items, never one save per item. Returns the number of items written."""
    index = rows if isinstance(rows, ResolutionIndex) else ResolutionIndex(rows)
    learnt: dict[str, Resolution] = {}
    for resolution in resolved:
        item = index.item_of(resolution)
        if item:
            learnt[item] = resolution
    if not learnt:
        return 0
    existing = _cache_rows(store_name, list(learnt))
    highest = highest_row_idx(item for item in learnt if item not in existing)
    now = now_datetime()
    values = []
    # By item, so two stores' runs writing rows of the same Items take their locks in one order
    # (fewer deadlocks; checkpoint.py writes a deadlock's victim again).
    for item, resolution in sorted(learnt.items()):
        current = existing.get(item)
        head = (
            (current.name, item, "Item", ITEM_STORES_FIELD, current.idx, store_name)
            if current
            else new_row_head(item, store_name, highest)
        )
        values.append(
            (
                *head,
                resolution.variant_id,
                resolution.variant_id,
                resolution.inventory_item_id,
                1 if resolution.tracked else 0,
                now,
            )
        )
    return insert_rows(ITEM_STORE_DOCTYPE, _COLUMNS, values, _ON_DUPLICATE, stamp=now)


def _cache_rows(store_name: str, items: list[str]) -> dict:
    """{item: its row for this store}: the row stock_levels reads is the lowest idx, so that
    one is updated."""
    existing = {}
    for r in frappe.get_all(
        ITEM_STORE_DOCTYPE,
        filters={"parenttype": "Item", "parent": ["in", items], "shopify_store": store_name},
        fields=["name", "parent", "idx"],
        order_by="idx desc",
    ):
        existing[r.parent] = r
    return existing


def highest_row_idx(items: Iterable[str]) -> dict[str, int]:
    """{item: the highest idx of its Item Shopify Store rows (any store)}: a new row goes after."""
    return dict(
        frappe.db.sql(
            f"""SELECT parent, MAX(idx) FROM `tab{ITEM_STORE_DOCTYPE}`
            WHERE parenttype = 'Item' AND parent IN %(items)s GROUP BY parent""",
            {"items": item_codes_param(items)},
        )
    )


def new_row_head(item: str, store_name: str, highest: dict[str, int]) -> tuple:
    """ROW_HEAD's values for a new row of the item for the store, after its last row."""
    return (
        frappe.generate_hash(length=10),
        item,
        "Item",
        ITEM_STORES_FIELD,
        cint(highest.get(item)) + 1,
        store_name,
    )
