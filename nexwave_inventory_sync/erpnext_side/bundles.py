"""Kits: an ERPNext Product Bundle whose parent item carries a Shopify SKU gets a figure of its
own, per Shopify location: the minimum over its components of floor(component figure ÷
quantity per bundle), each component figure by the store's quantity rule (available or on_hand,
less the component's safety buffer) in the component's stock UOM.

A component sold alone and in bundles is counted once per figure: its own figure is what ERPNext
has of it, and each bundle's figure is how many bundles that stock could make. The figures
overlap (they share the units), they are not split between them: 10 mugs and a 2-mug gift set
show 10 mugs and 5 sets, and selling either lowers the other once ERPNext records it (Shopify's
orders reserve the components in ERPNext: a bundle's Sales Order reserves its packed items).

The bundle's figure is already net of its components' buffers: the store's buffer is not taken
off again; an own Safety Stock on the bundle's Item row is.

ERPNext keeps a bundle's parent a non-stock item: it has no Bin, so the stock read never sees it
and its rows come from here. A change to a component (its Bin or Item) or to the bundle brings
the bundle into a changed-items read (`parents_of`, stock_changes.py)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

import frappe

from ..sync.api import QuantityError, StockRow, shopify_quantity
from . import flight_marks
from .bulk_sql import update_by_name
from .constants import ITEM_STORE_DOCTYPE
from .item_choice import ItemChoice
from .stock_levels import _stock_row, item_codes_param, sku_column, stock_rows


def bundle_figure(components: dict[str, float], figures: dict[str, int]) -> int:
    """Pure: bundles the components' figures make (a component without a figure there has 0)."""
    made = None
    for component, per_bundle in components.items():
        if per_bundle <= 0:
            continue
        figure = figures.get(component, 0)
        count = math.floor(Decimal(figure) / Decimal(str(per_bundle))) if figure > 0 else 0
        made = count if made is None else min(made, count)
    return made or 0


def _bundles(store_name: str, column: str, choice: ItemChoice, items: Iterable[str] | None) -> dict:
    """{parent item: {component: quantity per bundle}} of enabled bundles whose parent has a SKU
    and syncs to the store."""
    choice_sql, params = choice.condition("item")
    params["store"] = store_name
    if items is not None:
        params["items"] = item_codes_param(items)
    records = frappe.db.sql(
        f"""SELECT bundle.new_item_code AS parent, part.item_code AS component, SUM(part.qty) AS qty
        FROM `tabProduct Bundle` bundle
        JOIN `tabProduct Bundle Item` part ON part.parent = bundle.name AND part.parenttype = 'Product Bundle'
        JOIN `tabItem` item ON item.name = bundle.new_item_code AND item.disabled = 0
        WHERE IFNULL(bundle.disabled, 0) = 0 AND IFNULL(item.`{column}`, '') != ''
            {"AND bundle.new_item_code IN %(items)s" if items is not None else ""}
            {choice_sql}
        GROUP BY bundle.new_item_code, part.item_code""",
        params,
        as_dict=True,
    )
    out: dict[str, dict[str, float]] = {}
    for r in records:
        out.setdefault(r.parent, {})[r.component] = float(r.qty or 0)
    return out


def _parents(store_name: str, column: str, parents: Iterable[str]) -> list:
    """The parents' SKU and cached Shopify ids (the lowest-idx row for the store, as stock_rows)."""
    return frappe.db.sql(
        f"""SELECT item.name AS item_code, item.`{column}` AS sku, cache.variant_id, cache.inventory_item_id,
            cache.tracked, cache.resolved_variant_id, cache.last_resolved, cache.own_safety_stock,
            cache.safety_stock
        FROM `tabItem` item
        LEFT JOIN (
            SELECT parent, MIN(idx) AS idx FROM `tab{ITEM_STORE_DOCTYPE}`
            WHERE parenttype = 'Item' AND shopify_store = %(store)s AND parent IN %(items)s
            GROUP BY parent
        ) pick ON pick.parent = item.name
        LEFT JOIN `tab{ITEM_STORE_DOCTYPE}` cache
            ON cache.parenttype = 'Item' AND cache.parent = pick.parent AND cache.idx = pick.idx
            AND cache.shopify_store = %(store)s
        WHERE item.name IN %(items)s""",
        {"store": store_name, "items": item_codes_param(parents)},
        as_dict=True,
    )


def bundle_rows(
    store_name: str,
    sku_field: str | None = None,
    recheck_untracked_hours: int | None = None,
    *,
    choice: ItemChoice,
    store_buffer: float = 0,
    items: Iterable[str] | None = None,
    now: datetime | None = None,
    **read,
) -> list[StockRow]:
    """One row per bundle and Shopify location where any of its components has a Bin. `read`:
    stock_rows' quantity mode (quantity_name, marker_field, marker_value). Three queries."""
    column = sku_column(sku_field)
    bundles = _bundles(store_name, column, choice, items)
    if not bundles:
        return []
    components = {component for parts in bundles.values() for component in parts}
    figures: dict[str, dict[str, int]] = {}  # location -> component -> figure
    # Every component counts, whatever the store syncs of it alone, in its stock UOM.
    for row in stock_rows(
        store_name,
        sku_field,
        items=components,
        store_buffer=store_buffer,
        choice=ItemChoice(store_name, everything=True),
        in_stock_uom=True,
        **read,
    ):
        try:
            figure = shopify_quantity(row.quantity, store_buffer)
        except QuantityError:
            figure = 0  # a component with no sure figure makes no bundle
        figures.setdefault(row.location_id, {})[row.ref] = figure
    recheck_before = None
    if recheck_untracked_hours and recheck_untracked_hours > 0:
        recheck_before = (now or frappe.utils.now_datetime()) - timedelta(hours=recheck_untracked_hours)
    rows: list[StockRow] = []
    previous: dict = {}
    for parent in _parents(store_name, column, bundles):
        parts = bundles[parent.item_code]
        for location_id in sorted(figures):
            at = figures[location_id]
            if not any(component in at for component in parts):
                continue
            # Net of the components' buffers already: the bundle's own Safety Stock only (0
            # unless set), never the store's buffer a second time.
            record = frappe._dict(
                parent,
                location_id=location_id,
                available=bundle_figure(parts, at),
                own_safety_stock=1,
                safety_stock=(parent.safety_stock or 0) if parent.own_safety_stock else 0,
            )
            rows.append(_stock_row(record, recheck_before, previous, store_buffer, in_stock_uom=True))
    return rows


def parents_of(items: Iterable[str]) -> list[str]:
    """Parents of enabled bundles with any of `items` as a component (a changed component
    brings its bundles into the read)."""
    items = tuple(items)
    if not items:
        return []
    return [
        row[0]
        for row in frappe.db.sql(
            """SELECT DISTINCT bundle.new_item_code FROM `tabProduct Bundle` bundle
            JOIN `tabProduct Bundle Item` part ON part.parent = bundle.name AND part.parenttype = 'Product Bundle'
            WHERE part.item_code IN %(items)s""",
            {"items": items},
        )
    ]


def changed_bundles(since: datetime) -> list[str]:
    """Parents of bundles edited (components, quantities, disabled) since `since`."""
    return [
        row[0]
        for row in frappe.db.sql(
            "SELECT new_item_code FROM `tabProduct Bundle` WHERE modified > %(since)s", {"since": since}
        )
    ]


SHOPIFY_BUNDLE_MESSAGE = "Shopify bundle: stock comes from its components"


def mark_shopify_bundles(store_name: str, resolved: Iterable) -> None:
    """Cache which inventory items are Shopify bundles (Resolution.requires_components), so the
    log and the Item form can say why they are never sent; an item no longer a bundle is cleared.
    The rows to change are read first and written by name, usually none: an UPDATE over the
    store's 7,300 rows locked them all at the end of every run and deadlocked other stores' runs
    (bulk_sql.update_by_name)."""
    flags: dict[str, int] = {}
    for r in resolved:
        if r.inventory_item_id:
            # Seen both ways in one run: not a bundle (the old statements cleared last).
            flags[r.inventory_item_id] = min(
                flags.get(r.inventory_item_id, 1), int(bool(r.requires_components))
            )
    if not flags:
        return
    changes: dict[int, list[str]] = {1: [], 0: []}
    for name, inventory_item_id, flag in frappe.db.sql(
        f"""SELECT name, inventory_item_id, shopify_bundle FROM `tab{ITEM_STORE_DOCTYPE}`
        WHERE parenttype = 'Item' AND shopify_store = %(store)s AND inventory_item_id IN %(ids)s
        ORDER BY parent, name""",
        {"store": store_name, "ids": tuple(flags)},
    ):
        wanted = flags.get(inventory_item_id)  # None: matched by the collation only
        if wanted is not None and flag is not None and int(flag) != wanted:
            changes[wanted].append(name)
    if not (changes[1] or changes[0]):
        return

    def write() -> None:
        for flag, names in changes.items():
            update_by_name(ITEM_STORE_DOCTYPE, names, "shopify_bundle = %(flag)s", {"flag": flag})

    flight_marks.in_own_transaction(write)


def shopify_bundles_among(store_name: str, items: Iterable[str]) -> list[str]:
    items = tuple(items)
    if not items:
        return []
    return sorted(
        frappe.db.sql_list(
            f"""SELECT DISTINCT parent FROM `tab{ITEM_STORE_DOCTYPE}`
            WHERE parenttype = 'Item' AND shopify_store = %(store)s AND shopify_bundle = 1
                AND parent IN %(items)s""",
            {"store": store_name, "items": items},
        )
    )


def shopify_bundles_line(items: list[str], shown: int = 50) -> str | None:
    """The log lists each Shopify bundle once (not once per location), never as a failure."""
    if not items:
        return None
    more = len(items) - shown
    names = ", ".join(items[:shown]) + (f" (+{more})" if more > 0 else "")
    return f"{frappe._(SHOPIFY_BUNDLE_MESSAGE)} ({len(items)}): {names}"
