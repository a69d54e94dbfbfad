"""What ERPNext can sell, per item and Shopify location: one aggregated query per run.

available = actual − reserved for open Sales Orders (Shopify's own orders included) − reserved
for production, subcontracting and production plans, summed over the warehouses that feed a
location. Stock Reservation Entries are not subtracted again: they reserve part of a Sales
Order that reserved_qty already counts. The safety buffer and the floor/clamp are the engine's
quantity rule (sync/quantity.py); this module returns ERPNext's figure untouched.

In `on_hand` mode (a store setting) Shopify is told its on_hand figure instead, and Shopify
subtracts its own unfulfilled orders (`committed`) itself. ERPNext's figure then leaves out the
reservations of the Sales Orders that came from this store, which Shopify already counts;
every other reservation is still subtracted. Still one query: the store's own reservations
are a grouped subquery joined to the Bins.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

import frappe
from frappe import _

from ..sync.api import IdError, StockRow, item_figure, to_gid
from . import item_choice, item_units
from .constants import DEFAULT_ORDER_MARKER_FIELD, ITEM_STORE_DOCTYPE, STORE_LOCATION_DOCTYPE
from .quantity_names import AVAILABLE, ON_HAND

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


def item_codes_param(items: Iterable[str]) -> tuple[str, ...]:
    """Item codes for `IN %(items)s`: never empty (`IN ()` is not SQL; no item is named "")."""
    return tuple(items) or ("",)


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


def order_marker_column(field: str | None) -> str | None:
    """The Sales Order column that marks a store's own orders, checked against Sales Order's
    meta (never raw input); empty means ecommerce_integrations' shopify_order_id when present."""
    field = (field or "").strip()
    meta = frappe.get_meta("Sales Order")
    if not field:
        return DEFAULT_ORDER_MARKER_FIELD if meta.has_field(DEFAULT_ORDER_MARKER_FIELD) else None
    if field != "name" and not meta.has_field(field):
        frappe.throw(_("Sales Order has no field {0} to mark this store's orders").format(field))
    return field


def _own_orders_join(marker_field: str) -> str:
    """Open, submitted Sales Order lines marked as this store's, reserved per item and warehouse
    as ERPNext computes Bin.reserved_qty (erpnext/stock/stock_balance.py::get_reserved_qty):
    stock_qty × undelivered share of qty, less returns when Selling Settings says so, On Hold
    and Closed orders and drop-shipped lines left out. Product bundles' packed items are not
    counted: a Shopify order names the variants it sells."""
    return f"""
        LEFT JOIN (
            SELECT so_item.item_code, so_item.warehouse,
                SUM(so_item.stock_qty * (so_item.qty - so_item.delivered_qty
                    - IF(returns.value = '1', so_item.returned_qty, 0)) / so_item.qty) AS qty
            FROM `tabSales Order Item` so_item
            JOIN `tabSales Order` so ON so.name = so_item.parent
            LEFT JOIN `tabSingles` returns ON returns.doctype = 'Selling Settings'
                AND returns.field = 'dont_reserve_sales_order_qty_on_sales_return'
            WHERE so.docstatus = 1 AND so.status NOT IN ('On Hold', 'Closed')
                AND IFNULL(so_item.delivered_by_supplier, 0) = 0
                AND so_item.qty > 0 AND so_item.qty >= so_item.delivered_qty
                AND IFNULL(so.`{marker_field}`, '') != ''
                AND (%(marker_value)s = '' OR so.`{marker_field}` = %(marker_value)s)
            GROUP BY so_item.item_code, so_item.warehouse
        ) own ON own.item_code = bin.item_code AND own.warehouse = bin.warehouse"""


def _same_variant(a: str | None, b: str | None) -> bool:
    try:
        return to_gid("ProductVariant", a) == to_gid("ProductVariant", b)
    except IdError:
        return False


# One cache row per item, picked whole (lowest idx): aggregating columns separately could pair
# one row's variant with another row's inventory item. {reserved} and {own_orders}: the on_hand
# mode's own-orders subquery (empty in available mode). {bin_items}, {cache_items}: the items of
# a read limited to some (stock_changes.py), else empty. {choice}: the items the store syncs
# (item_choice.py).
_QUERY = """
    SELECT
        bin.item_code AS item_code,
        loc.shopify_location_id AS location_id,
        SUM(bin.actual_qty - {reserved} - bin.reserved_qty_for_production
            - bin.reserved_qty_for_sub_contract - bin.reserved_qty_for_production_plan) AS available,
        item.`{column}` AS sku,
        cache.variant_id AS variant_id,
        cache.inventory_item_id AS inventory_item_id,
        cache.tracked AS tracked,
        cache.resolved_variant_id AS resolved_variant_id,
        cache.last_resolved AS last_resolved,
        cache.own_safety_stock AS own_safety_stock,
        cache.safety_stock AS safety_stock,
        cache.shopify_unit AS shopify_unit,
        item.stock_uom AS stock_uom,
        item.sales_uom AS sales_uom,
        sales_uom.conversion_factor AS sales_factor
    FROM `tabBin` bin
    JOIN `tab{stores}` loc
        ON loc.parenttype = 'Shopify Store' AND loc.parent = %(store)s AND loc.warehouse = bin.warehouse
    JOIN `tabWarehouse` wh ON wh.name = loc.warehouse  -- a deleted warehouse's Bins stay behind
    JOIN `tabItem` item
        ON item.name = bin.item_code AND item.disabled = 0 AND item.is_stock_item = 1
    {sales_uom_join}
    {own_orders}
    LEFT JOIN (
        SELECT parent, MIN(idx) AS idx
        FROM `tab{cache}`
        WHERE parenttype = 'Item' AND shopify_store = %(store)s {cache_items}
        GROUP BY parent
    ) pick ON pick.parent = item.name
    LEFT JOIN `tab{cache}` cache
        ON cache.parenttype = 'Item' AND cache.parent = pick.parent AND cache.idx = pick.idx
        AND cache.shopify_store = %(store)s
    WHERE 1 = 1 {bin_items} {choice}
    GROUP BY bin.item_code, loc.shopify_location_id, item.`{column}`, cache.name, cache.variant_id,
        cache.inventory_item_id, cache.tracked, cache.resolved_variant_id, cache.last_resolved,
        cache.own_safety_stock, cache.safety_stock, cache.shopify_unit, item.stock_uom, item.sales_uom,
        sales_uom.conversion_factor
    ORDER BY bin.item_code, loc.shopify_location_id
"""


def stock_rows(
    store_name: str,
    sku_field: str | None = None,
    recheck_untracked_hours: int | None = None,
    now: datetime | None = None,
    quantity_name: str = AVAILABLE,
    marker_field: str | None = None,
    marker_value: str | None = None,
    items: Iterable[str] | None = None,
    store_buffer: float = 0,
    choice: item_choice.ItemChoice | None = None,
    sell_in_sales_uom: bool = False,
    in_stock_uom: bool = False,
) -> Iterator[StockRow]:
    """Rows for the engine: ERPNext's figure per item and Shopify location. A cached id is used
    as is, except where it cannot be trusted: the variant id was edited by hand since it was
    resolved, or the item was cached as untracked longer ago than `recheck_untracked_hours`
    (0: never): those go by variant id (or SKU) again, and the engine reports what it finds.
    In on_hand mode `marker_field` (a column checked by order_marker_column) names the Sales
    Orders that are the store's own. `items` limits the read to those item codes (None: all).
    Only the items the store syncs are read (`choice`: item_choice.load(store)). An item with a
    safety stock of its own comes as quantity.item_figure with `store_buffer`, the buffer the
    engine is given; one Shopify sells in its Sales UOM (`sell_in_sales_uom`, the store's
    setting, or the item's own) comes divided by its conversion factor (item_units.py), unless
    `in_stock_uom` (a bundle's components are counted in their stock UOM).
    Consume it before the next query: the rows stream from an
    unbuffered cursor (500,000 Bins never sit in memory as dicts at once)."""
    recheck_before = (
        (now or frappe.utils.now_datetime()) - timedelta(hours=recheck_untracked_hours)
        if recheck_untracked_hours and recheck_untracked_hours > 0
        else None
    )
    query, params = _stock_query(
        store_name, sku_field, quantity_name, marker_field, marker_value, items, choice
    )
    with frappe.db.unbuffered_cursor():
        records = frappe.db.sql(query, params, as_dict=True, as_iterator=True)
        # Rows come ordered by item: an item's strings are shared by its rows (one per
        # location) instead of being five copies each.
        previous: dict = {}
        for record in records:
            yield _stock_row(record, recheck_before, previous, store_buffer, sell_in_sales_uom, in_stock_uom)


def _stock_query(
    store_name: str,
    sku_field: str | None,
    quantity_name: str,
    marker_field: str | None,
    marker_value: str | None,
    items: Iterable[str] | None,
    choice: item_choice.ItemChoice | None,
) -> tuple[str, dict]:
    """stock_rows' query and its parameters."""
    column = sku_column(sku_field)
    own_orders = quantity_name == ON_HAND and marker_field
    # Never below 0: a reservation recorded twice must not make on_hand exceed actual.
    reserved = "GREATEST(bin.reserved_qty - IFNULL(own.qty, 0), 0)" if own_orders else "bin.reserved_qty"
    params = {"store": store_name}
    if own_orders:
        params["marker_value"] = (marker_value or "").strip()
    limited = items is not None
    if limited:
        params["items"] = item_codes_param(items)
    # Without the store's choice (read_store_stock passes it), only the per-item switch applies.
    choice_sql, choice_params = (choice or item_choice.ItemChoice(store_name)).condition("item")
    params.update(choice_params)
    query = _QUERY.format(
        choice=choice_sql,
        sales_uom_join=item_units.SALES_UOM_JOIN,
        bin_items="AND bin.item_code IN %(items)s" if limited else "",
        cache_items="AND parent IN %(items)s" if limited else "",
        column=column,
        stores=STORE_LOCATION_DOCTYPE,
        cache=ITEM_STORE_DOCTYPE,
        reserved=reserved,
        own_orders=_own_orders_join(own_orders) if own_orders else "",
    )
    return query, params


def _stock_row(
    record,
    recheck_before: datetime | None,
    previous: dict,
    store_buffer: float = 0,
    sell_in_sales_uom: bool = False,
    in_stock_uom: bool = False,
) -> StockRow:
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
    # A negative safety stock can only come from a raw write (Item validation refuses it).
    item_buffer = max(record.safety_stock or 0, 0) if record.own_safety_stock else None
    unit = item_units.unit_rule(
        store_sells_in_sales_uom=sell_in_sales_uom,
        override=item_units.STOCK_UOM if in_stock_uom else record.get("shopify_unit"),
        stock_uom=record.get("stock_uom"),
        sales_uom=record.get("sales_uom"),
        sales_factor=record.get("sales_factor"),
    )
    return StockRow(
        location_id=record.location_id.strip(),
        quantity=item_figure(
            record.available, factor=unit.factor, item_buffer=item_buffer, store_buffer=store_buffer
        ),
        sku=(str(record.sku).strip() or None) if record.sku is not None else None,
        inventory_item_id=inventory_item_id,
        variant_id=record.variant_id or None,
        tracked=tracked,
        ref=record.item_code,
    )


def rows_to_resolve(
    store_name: str,
    sku_field: str | None = None,
    items: Iterable[str] | None = None,
    choice: item_choice.ItemChoice | None = None,
) -> list[StockRow]:
    """The store's items with no Shopify ids cached yet, among `items` when given (no
    quantities: a cold run resolves these first and reads stock after, so the figures it pushes
    are fresh). Quantity 0 is a placeholder; these rows are never pushed. Items the store does
    not sync (`choice`, the store's by default) are not looked up."""
    column = sku_column(sku_field)
    choice_sql, params = (choice or item_choice.load(store_name)).condition("item")
    params["store"] = store_name
    if items is not None:
        params["items"] = item_codes_param(items)
    records = frappe.db.sql(
        f"""
        SELECT item.name AS item_code, item.`{column}` AS sku, MAX(cache.variant_id) AS variant_id
        FROM `tabItem` item
        LEFT JOIN `tab{ITEM_STORE_DOCTYPE}` cache
            ON cache.parent = item.name AND cache.parenttype = 'Item' AND cache.shopify_store = %(store)s
        WHERE item.disabled = 0 AND item.is_stock_item = 1
            {"AND item.name IN %(items)s" if items is not None else ""}
            {choice_sql}
            AND EXISTS (
                SELECT 1 FROM `tabBin` bin
                JOIN `tab{STORE_LOCATION_DOCTYPE}` loc
                    ON loc.parenttype = 'Shopify Store' AND loc.parent = %(store)s AND loc.warehouse = bin.warehouse
                WHERE bin.item_code = item.name
            )
        GROUP BY item.name, item.`{column}`
        HAVING IFNULL(MAX(cache.inventory_item_id), '') = ''
        """,
        params,
        as_dict=True,
    )
    return [
        StockRow(
            location_id="", quantity=0, sku=r.sku or None, variant_id=r.variant_id or None, ref=r.item_code
        )
        for r in records
    ]
