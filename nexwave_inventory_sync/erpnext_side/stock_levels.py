"""What ERPNext can sell, per item and Shopify location: one aggregated query per run.

available = actual − reserved for open Sales Orders (Shopify's own orders included) − reserved
for production, subcontracting and production plans, summed over the warehouses that feed a
location. Stock Reservation Entries are not subtracted again: they reserve part of a Sales
Order that reserved_qty already counts. The safety buffer and the floor/clamp are the engine's
quantity rule (sync/quantity.py); this module returns ERPNext's figure untouched.
"""

from __future__ import annotations

from collections.abc import Iterator

import frappe
from frappe import _

from ..sync.results import StockRow
from .constants import ITEM_STORE_DOCTYPE, STORE_LOCATION_DOCTYPE

_STANDARD_SKU_FIELDS = {"name", "item_code", "item_name"}


def sku_column(sku_field: str | None) -> str:
    """The Item column matched to Shopify SKUs, checked against Item's meta (never raw input)."""
    field = (sku_field or "item_code").strip()
    if field not in _STANDARD_SKU_FIELDS and not frappe.get_meta("Item").has_field(field):
        frappe.throw(_("Item has no field {0} to match Shopify SKUs against").format(field))
    return field


def stock_rows(store_name: str, sku_field: str | None = None) -> Iterator[StockRow]:
    column = sku_column(sku_field)
    records = frappe.db.sql(
        f"""
        SELECT
            bin.item_code AS item_code,
            loc.shopify_location_id AS location_id,
            SUM(bin.actual_qty - bin.reserved_qty - bin.reserved_qty_for_production
                - bin.reserved_qty_for_sub_contract - bin.reserved_qty_for_production_plan) AS available,
            item.`{column}` AS sku,
            cache.variant_id AS variant_id,
            cache.inventory_item_id AS inventory_item_id,
            cache.tracked AS tracked
        FROM `tabBin` bin
        JOIN `tab{STORE_LOCATION_DOCTYPE}` loc
            ON loc.parenttype = 'Shopify Store' AND loc.parent = %(store)s AND loc.warehouse = bin.warehouse
        JOIN `tabItem` item
            ON item.name = bin.item_code AND item.disabled = 0 AND item.is_stock_item = 1
        LEFT JOIN (
            SELECT parent, MAX(variant_id) AS variant_id, MAX(inventory_item_id) AS inventory_item_id,
                MIN(tracked) AS tracked
            FROM `tab{ITEM_STORE_DOCTYPE}`
            WHERE parenttype = 'Item' AND shopify_store = %(store)s
            GROUP BY parent
        ) cache ON cache.parent = item.name
        GROUP BY bin.item_code, loc.shopify_location_id, item.`{column}`,
            cache.variant_id, cache.inventory_item_id, cache.tracked
        ORDER BY bin.item_code, loc.shopify_location_id
        """,
        {"store": store_name},
        as_dict=True,
    )
    for record in records:
        resolved = bool(record.inventory_item_id)
        yield StockRow(
            location_id=record.location_id.strip(),
            quantity=record.available,
            sku=record.sku or None,
            inventory_item_id=record.inventory_item_id or None,
            variant_id=record.variant_id or None,
            # A cached "untracked" is only trusted next to a cached id; otherwise resolve again.
            tracked=bool(record.tracked) if resolved else None,
            ref=record.item_code,
        )
