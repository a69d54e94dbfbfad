"""The unit Shopify sells an item in: the item's stock UOM (default), or its Sales UOM when the
store says "Shopify Sells in the Item's Sales UOM" or the item's row for the store says so
(Item Shopify Store.shopify_unit: "Sales UOM" or "Stock UOM" override the store).

The figure sent is floor(stock-UOM figure ÷ the Sales UOM's conversion factor on the Item), the
floor after the division (quantity.item_figure): 30 pieces sold by the box of 12 are 2 boxes,
5.5 kg sold by the 0.5 kg bag are 11 bags. An item without a Sales UOM, or whose Sales UOM has
no conversion row (UOM Conversion Detail) on the Item, stays in its stock UOM.

`unit_rule` is the one home of that choice; stock_levels.py calls it per row, and the log's
line of units calls it for the items a run read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import frappe
from frappe import _
from frappe.utils import cint, flt

from .constants import ITEM_STORE_DOCTYPE

SALES_UOM = "Sales UOM"
STOCK_UOM = "Stock UOM"

# The Item's Sales UOM conversion, for a query over Item aliased `item` (stock_levels.py).
SALES_UOM_JOIN = """
    LEFT JOIN `tabUOM Conversion Detail` sales_uom
        ON sales_uom.parenttype = 'Item' AND sales_uom.parent = item.name
        AND sales_uom.uom = item.sales_uom"""


@dataclass(frozen=True)
class UnitRule:
    uom: str | None
    factor: float = 1
    sales: bool = False  # the Sales UOM is used
    wanted_sales: bool = False  # a Sales UOM was asked for (the store or the item)

    def describe(self) -> str:
        if self.sales:
            return _("{0} (stock ÷ {1:g})").format(self.uom, self.factor)
        if self.wanted_sales:
            return _("{0}, stock UOM: the item has no Sales UOM conversion").format(self.uom or "?")
        return _("{0}, stock UOM").format(self.uom or "?")


def unit_rule(
    *,
    store_sells_in_sales_uom: bool,
    override: str | None,
    stock_uom: str | None,
    sales_uom: str | None,
    sales_factor: float | None,
) -> UnitRule:
    """Pure. `override`: the item's row for the store ("Sales UOM", "Stock UOM" or empty)."""
    wanted = override == SALES_UOM or (override != STOCK_UOM and store_sells_in_sales_uom)
    factor = flt(sales_factor)
    if wanted and sales_uom and sales_uom != stock_uom and factor > 0:
        return UnitRule(sales_uom, factor, sales=True, wanted_sales=True)
    return UnitRule(stock_uom, 1, sales=False, wanted_sales=wanted)


def store_rule(store) -> bool:
    return bool(cint(store.get("sell_in_sales_uom")))


def rules_for(store, items: Iterable[str], always: bool = False) -> dict[str, UnitRule]:
    """The rule of each item among `items` (one query), for the log and the preview. Without
    `always`, nothing when the store and every item keep the stock UOM."""
    items = tuple(items)
    if not items or not (always or store_rule(store) or _any_override(store.name)):
        return {}  # every item in its stock UOM, as asked: nothing to say, no long IN list
    records = frappe.db.sql(
        f"""SELECT item.name, item.stock_uom, item.sales_uom, sales_uom.conversion_factor AS sales_factor,
            (SELECT cache.shopify_unit FROM `tab{ITEM_STORE_DOCTYPE}` cache
             WHERE cache.parenttype = 'Item' AND cache.parent = item.name AND cache.shopify_store = %(store)s
             ORDER BY cache.idx LIMIT 1) AS shopify_unit
        FROM `tabItem` item {SALES_UOM_JOIN}
        WHERE item.name IN %(items)s""",
        {"store": store.name, "items": items},
        as_dict=True,
    )
    sells = store_rule(store)
    return {
        r.name: unit_rule(
            store_sells_in_sales_uom=sells,
            override=r.shopify_unit,
            stock_uom=r.stock_uom,
            sales_uom=r.sales_uom,
            sales_factor=r.sales_factor,
        )
        for r in records
    }


def _any_override(store_name: str) -> bool:
    return bool(
        frappe.db.sql(
            f"""SELECT 1 FROM `tab{ITEM_STORE_DOCTYPE}`
            WHERE parenttype = 'Item' AND shopify_store = %(store)s AND IFNULL(shopify_unit, '') != '' LIMIT 1""",
            {"store": store_name},
        )
    )


def log_line(rules: dict[str, UnitRule], shown: int = 20) -> str | None:
    """The Shopify Log's "Units" line: which items went in a Sales UOM (and by what factor), and
    which asked for one the item does not have. None when every item went in its stock UOM as
    asked."""
    sales = sorted(code for code, rule in rules.items() if rule.sales)
    missing = sorted(code for code, rule in rules.items() if rule.wanted_sales and not rule.sales)
    if not sales and not missing:
        return None
    stock = len(rules) - len(sales)

    def listed(codes: list[str]) -> str:
        names = ", ".join(f"{code}: {rules[code].describe()}" for code in codes[:shown])
        return names + (_(" and {0} more").format(len(codes) - shown) if len(codes) > shown else "")

    lines = [_("Sales UOM: {0} items").format(len(sales)) + (f" ({listed(sales)})" if sales else "")]
    lines.append(_("Stock UOM: {0} items").format(stock))
    if missing:
        lines.append(
            _("Stock UOM, no Sales UOM conversion on the item: {0}").format(
                ", ".join(missing[:shown])
                + (_(" and {0} more").format(len(missing) - shown) if len(missing) > shown else "")
            )
        )
    return "\n".join(lines)
