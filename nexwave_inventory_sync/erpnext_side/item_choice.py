"""Which items take part in a store's sync: every stock item with a SKU (the default), or only
those in the store's chosen Item Groups (a group includes the groups under it) or Brands; and
on each Item, per store, a switch (Item Shopify Store.leave_out_of_sync, "Leave Out of Shopify
Sync"). It is the negative of "Sync to Shopify" on purpose: a row written without it (a raw
insert, a cache row the app or ecommerce_integrations' hand-over adds, a data import) reads 0, and
0 must mean "syncs".

An item taken out is left as Shopify has it: it is not read, not looked up and not zeroed, and
its confirmed levels are forgotten (stock_truth.StockRead.released), so one put back is pushed
at the next run with a plain set. Putting one back edits the Item (the switch) or the store
(the groups): either brings it into the next read (stock_changes.py).

One home for the rule in SQL (`ItemChoice.condition`, used by both reads in stock_levels.py)
and one for the reason in words (`excluded`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import frappe
from frappe import _

from .constants import ITEM_STORE_DOCTYPE, STORE_DOCTYPE

ALL_ITEMS = "All stock items with a SKU"
CHOSEN = "Only chosen Item Groups or Brands"

SWITCHED_OFF = "switched_off"
NOT_CHOSEN = "not_chosen"


@dataclass(frozen=True)
class ItemChoice:
    store: str
    chosen_only: bool = False
    item_groups: tuple[str, ...] = ()  # with every group under the chosen ones
    brands: tuple[str, ...] = ()
    chosen_groups: tuple[str, ...] = ()  # as the store names them, for the words
    everything: bool = False  # no rule at all: a bundle's components count whatever they sync

    def condition(self, item_alias: str = "item") -> tuple[str, dict]:
        """`AND …` for a query over Item (aliased `item_alias`) with %(store)s bound."""
        if self.everything:
            return "", {}
        sql = f"""AND NOT EXISTS (
            SELECT 1 FROM `tab{ITEM_STORE_DOCTYPE}` switch
            WHERE switch.parenttype = 'Item' AND switch.parent = {item_alias}.name
                AND switch.shopify_store = %(store)s AND switch.leave_out_of_sync = 1)"""
        params: dict = {}
        if self.chosen_only:
            # Nothing chosen yet takes every item out: the store said "only chosen ones".
            sql += f""" AND ({item_alias}.item_group IN %(choice_groups)s
                OR IFNULL({item_alias}.brand, '') IN %(choice_brands)s)"""
            params["choice_groups"] = self.item_groups or ("",)
            params["choice_brands"] = tuple(b for b in self.brands if b) or ("\x00",)
        return sql, params

    def describe(self) -> str:
        if not self.chosen_only:
            return _("all stock items with a SKU")
        parts = []
        if self.chosen_groups:
            parts.append(_("Item Groups {0}").format(", ".join(self.chosen_groups)))
        if self.brands:
            parts.append(_("Brands {0}").format(", ".join(self.brands)))
        return _("only {0}").format(
            _(" or ").join(parts) if parts else _("chosen Item Groups or Brands (none chosen)")
        )


def load(store) -> ItemChoice:
    """The store's choice (a Shopify Store document or its name)."""
    if isinstance(store, str):
        store = frappe.get_doc(STORE_DOCTYPE, store)
    if (store.get("sync_items") or ALL_ITEMS) != CHOSEN:
        return ItemChoice(store.name)
    chosen = tuple(row.item_group for row in store.get("sync_item_groups") or [] if row.item_group)
    brands = tuple(row.brand for row in store.get("sync_brands") or [] if row.brand)
    return ItemChoice(store.name, True, _with_descendants(chosen), brands, chosen)


def _with_descendants(groups: tuple[str, ...]) -> tuple[str, ...]:
    if not groups:
        return ()
    bounds = frappe.get_all("Item Group", filters={"name": ["in", groups]}, fields=["lft", "rgt"])
    names: set[str] = set(groups)
    for bound in bounds:
        names.update(
            frappe.get_all(
                "Item Group",
                filters={"lft": [">=", bound.lft], "rgt": ["<=", bound.rgt]},
                pluck="name",
            )
        )
    return tuple(sorted(names))


@dataclass(frozen=True)
class Exclusion:
    item_code: str
    rule: str  # SWITCHED_OFF or NOT_CHOSEN
    message: str


def excluded(choice: ItemChoice, items: Iterable[str]) -> dict[str, Exclusion]:
    """Among `items`, those the store's choice takes out, with the rule in words. One query."""
    items = tuple(items)
    if not items:
        return {}
    rows = frappe.db.sql(
        f"""SELECT item.name, item.item_group, item.brand,
            EXISTS (SELECT 1 FROM `tab{ITEM_STORE_DOCTYPE}` switch
                WHERE switch.parenttype = 'Item' AND switch.parent = item.name
                    AND switch.shopify_store = %(store)s AND switch.leave_out_of_sync = 1) AS switched_off
        FROM `tabItem` item WHERE item.name IN %(items)s""",
        {"store": choice.store, "items": items},
        as_dict=True,
    )
    groups, brands = set(choice.item_groups), set(choice.brands)
    out: dict[str, Exclusion] = {}
    for row in rows:
        if row.switched_off:
            out[row.name] = Exclusion(
                row.name, SWITCHED_OFF, _("Leave Out of Shopify Sync is ticked on the item for this store")
            )
        elif choice.chosen_only and row.item_group not in groups and (row.brand or "") not in brands:
            out[row.name] = Exclusion(
                row.name,
                NOT_CHOSEN,
                _("the store syncs {0}; the item is in Item Group {1}, Brand {2}").format(
                    choice.describe(), row.item_group, row.brand or _("none")
                ),
            )
    return out


def validate_item(doc, method=None) -> None:
    """Item's validate (hooks.py doc_events): a negative safety stock would push more than
    ERPNext has."""
    for row in doc.get("shopify_stores") or []:
        if row.get("own_safety_stock") and (row.get("safety_stock") or 0) < 0:
            frappe.throw(
                _("Shopify Stores row {0}: Safety Stock cannot be negative").format(row.idx),
                title=_("Invalid Safety Stock"),
            )
