"""What ERPNext can sell, per item and Shopify location: one aggregated query per run.

available = actual − reserved for open Sales Orders (Shopify's own orders included) − reserved
for production, subcontracting and production plans, summed over the warehouses that feed a
location. Stock Reservation Entries are not subtracted again: they reserve part of a Sales
Order that reserved_qty already counts. The safety buffer and the floor/clamp are the engine's
quantity rule (sync/quantity.py); this module returns ERPNext's figure untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import frappe
from frappe import _

from ..sync.ids import IdError, to_gid
from ..sync.results import StockRow
from .constants import ITEM_STORE_DOCTYPE, STORE_LOCATION_DOCTYPE

_STANDARD_SKU_FIELDS = {"name", "item_code", "item_name"}
# Fields that hold one short value in a column of their own. Layout fields have no column and
# tables live elsewhere: either made every run fail with an SQL error.
_SKU_FIELDTYPES = {
    "Data",
    "Link",
    "Dynamic Link",
    "Select",
    "Read Only",
    "Barcode",
    "Int",
    "Long Int",
    "Small Text",
    "Autocomplete",
}


def sku_column(sku_field: str | None) -> str:
    """The Item column matched to Shopify SKUs, checked against Item's meta (never raw input)."""
    field = (sku_field or "item_code").strip()
    if field in _STANDARD_SKU_FIELDS:
        return field
    df = frappe.get_meta("Item").get_field(field)
    if df is None:
        frappe.throw(_("Item has no field {0} to match Shopify SKUs against").format(field))
    if df.fieldtype not in _SKU_FIELDTYPES or df.get("is_virtual"):
        frappe.throw(
            _("Item field {0} is a {1} field; a Shopify SKU is matched against a data field").format(
                field, df.fieldtype
            )
        )
    return field


def _same_variant(a: str | None, b: str | None) -> bool:
    try:
        return to_gid("ProductVariant", a) == to_gid("ProductVariant", b)
    except IdError:
        return False


# One cache row per item, picked whole (lowest idx): aggregating columns separately could pair
# one row's variant with another row's inventory item.
_QUERY = """
    SELECT
        bin.item_code AS item_code,
        loc.shopify_location_id AS location_id,
        SUM(bin.actual_qty - bin.reserved_qty - bin.reserved_qty_for_production
            - bin.reserved_qty_for_sub_contract - bin.reserved_qty_for_production_plan) AS available,
        item.`{column}` AS sku,
        cache.variant_id AS variant_id,
        cache.inventory_item_id AS inventory_item_id,
        cache.tracked AS tracked,
        cache.resolved_variant_id AS resolved_variant_id,
        cache.last_resolved AS last_resolved
    FROM `tabBin` bin
    JOIN `tab{stores}` loc
        ON loc.parenttype = 'Shopify Store' AND loc.parent = %(store)s AND loc.warehouse = bin.warehouse
    JOIN `tabWarehouse` wh ON wh.name = loc.warehouse  -- a deleted warehouse's Bins stay behind
    JOIN `tabItem` item
        ON item.name = bin.item_code AND item.disabled = 0 AND item.is_stock_item = 1
    LEFT JOIN (
        SELECT parent, MIN(idx) AS idx
        FROM `tab{cache}`
        WHERE parenttype = 'Item' AND shopify_store = %(store)s
        GROUP BY parent
    ) pick ON pick.parent = item.name
    LEFT JOIN `tab{cache}` cache
        ON cache.parenttype = 'Item' AND cache.parent = pick.parent AND cache.idx = pick.idx
        AND cache.shopify_store = %(store)s
    GROUP BY bin.item_code, loc.shopify_location_id, item.`{column}`, cache.name, cache.variant_id,
        cache.inventory_item_id, cache.tracked, cache.resolved_variant_id, cache.last_resolved
    ORDER BY bin.item_code, loc.shopify_location_id
"""


def stock_rows(
    store_name: str,
    sku_field: str | None = None,
    recheck_untracked_hours: int | None = None,
    now: datetime | None = None,
) -> Iterator[StockRow]:
    """Rows for the engine. A cached id is used as is, except where it cannot be trusted: the
    variant id was edited by hand since it was resolved, or the item was cached as untracked
    longer ago than `recheck_untracked_hours` (0: never): those go by variant id (or SKU)
    again, and the engine reports what it finds. Consume it before the next query: the rows
    stream from an unbuffered cursor (500,000 Bins never sit in memory as dicts at once)."""
    column = sku_column(sku_field)
    recheck_before = (
        (now or frappe.utils.now_datetime()) - timedelta(hours=recheck_untracked_hours)
        if recheck_untracked_hours and recheck_untracked_hours > 0
        else None
    )
    with frappe.db.unbuffered_cursor():
        records = frappe.db.sql(
            _QUERY.format(column=column, stores=STORE_LOCATION_DOCTYPE, cache=ITEM_STORE_DOCTYPE),
            {"store": store_name},
            as_dict=True,
            as_iterator=True,
        )
        # Rows come ordered by item: an item's strings are shared by its rows (one per
        # location) instead of being five copies each.
        previous: dict = {}
        for record in records:
            yield _stock_row(record, recheck_before, previous)


def _stock_row(record, recheck_before: datetime | None, previous: dict) -> StockRow:
    # A store has a handful of locations: one string each.
    record.location_id = previous.setdefault(("location", record.location_id), record.location_id)
    for key in ("item_code", "sku", "variant_id", "inventory_item_id"):
        value = record[key]
        if isinstance(value, str) and value == previous.get(key):
            record[key] = previous[key]
        else:
            previous[key] = value
    inventory_item_id = record.inventory_item_id or None
    tracked = bool(record.tracked) if inventory_item_id else None
    edited = (
        inventory_item_id
        and record.variant_id
        and record.resolved_variant_id
        and not _same_variant(record.variant_id, record.resolved_variant_id)
    )
    stale_untracked = (
        tracked is False
        and recheck_before is not None
        and (record.last_resolved is None or record.last_resolved < recheck_before)
    )
    if edited or stale_untracked:
        inventory_item_id, tracked = None, None
    return StockRow(
        location_id=record.location_id.strip(),
        quantity=record.available,
        sku=(str(record.sku).strip() or None) if record.sku is not None else None,
        inventory_item_id=inventory_item_id,
        variant_id=record.variant_id or None,
        tracked=tracked,
        ref=record.item_code,
    )
