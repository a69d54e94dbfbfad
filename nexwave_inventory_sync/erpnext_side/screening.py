"""What ERPNext's own data keeps from a sure answer, found before anything is looked up on
Shopify: a store the run cannot start for, warehouses gone, items with no SKU, one SKU on two
items."""

from __future__ import annotations

import frappe
from frappe import _

from ..sync.api import RowFailure, StockRow


def configuration_problem(store) -> str | None:
    """A store the run cannot start for, in one sentence the admin can act on."""
    if not store.locations:
        return _("No warehouse is mapped to a Shopify location: map at least one on the store")
    seen = set()
    for row in store.locations:
        if row.warehouse in seen:
            return _("Warehouse {0} is mapped twice on the store; one warehouse feeds one location").format(
                row.warehouse
            )
        seen.add(row.warehouse)
    existing = set(frappe.get_all("Warehouse", filters={"name": ["in", list(seen)]}, pluck="name"))
    if not existing:
        return _("None of the store's warehouses exists any more: {0}").format(", ".join(sorted(seen)))
    return None


def data_warnings(store) -> list[str]:
    missing = sorted(
        {row.warehouse for row in store.locations}
        - set(
            frappe.get_all(
                "Warehouse", filters={"name": ["in", [r.warehouse for r in store.locations]]}, pluck="name"
            )
        )
    )
    if missing:
        return [_("Warehouse {0} no longer exists; its stock is left out").format(", ".join(missing))]
    return []


def screen_rows(
    rows: list[StockRow], sku_field: str
) -> tuple[list[StockRow], list[RowFailure], list[RowFailure]]:
    """Rows ERPNext's own data keeps from a sure answer: (rows to push, failed, not on Shopify).
    An item with no SKU cannot be looked up; a SKU on two items would push one item's stock
    onto the other's variant, so items found by that SKU are held back until it is fixed."""
    first_item: dict[str, str] = {}
    shared: dict[str, set[str]] = {}  # only SKUs on two or more items: 500,000 rows stay cheap
    for row in rows:
        if row.sku:
            first = first_item.setdefault(row.sku, row.ref)
            if first != row.ref:
                shared.setdefault(row.sku, {first}).add(row.ref)
    keep, failed, unmapped = [], [], []
    for row in rows:
        has_id = row.inventory_item_id or row.variant_id
        if not has_id and not row.sku:
            unmapped.append(
                RowFailure(
                    row, "NO_SKU", _("Item {0} has no {1} to match a Shopify SKU").format(row.ref, sku_field)
                )
            )
        elif not has_id and row.sku in shared:
            others = sorted(shared[row.sku] - {row.ref})
            failed.append(
                RowFailure(
                    row,
                    "SKU_ON_TWO_ITEMS",
                    _("SKU {0} is on items {1} and {2}; give each item its own SKU").format(
                        row.sku, row.ref, ", ".join(others)
                    ),
                )
            )
        else:
            keep.append(row)
    return keep, failed, unmapped
