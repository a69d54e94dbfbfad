# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document

# Every run reads its store's rows of this table (erpnext_side/stock_levels.py) by store, then
# by item. Frappe indexes only `parent`: with 50 stores x 7,300 items (365,000 rows) each read
# scanned the whole table, 7 s for the stock read and 5 s for the ids to resolve, and a run
# that had nothing to push took 34 s (docs/benchmarks.md section 9). Covering the subquery that
# picks each item's row (store, parenttype, parent, MIN(idx)) brings both under a second.
STORE_INDEX = "store_parent_idx"
STORE_INDEX_COLUMNS = ["shopify_store", "parenttype", "parent", "idx"]


class ItemShopifyStore(Document):
    # begin: auto-generated types
    # This code is auto-generated. Do not modify anything in this block.

    from typing import TYPE_CHECKING

    if TYPE_CHECKING:
        from frappe.types import DF

        inventory_item_id: DF.Data | None
        last_resolved: DF.Datetime | None
        not_on_shopify: DF.Check
        parent: DF.Data
        parentfield: DF.Data
        parenttype: DF.Data
        resolved_variant_id: DF.Data | None
        shopify_store: DF.Link
        tracked: DF.Check
        variant_id: DF.Data | None
    # end: auto-generated types

    pass


def on_doctype_update() -> None:
    # A doctype JSON can index single columns only; Frappe calls this after each sync of it.
    frappe.db.add_index("Item Shopify Store", STORE_INDEX_COLUMNS, STORE_INDEX)
