# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class ShopifyConfirmedLevel(Document):
    """Written only by bulk upserts (erpnext_side/confirmed_levels.py), never saved row by row."""


def on_doctype_update() -> None:
    # The upsert's ON DUPLICATE KEY needs this key; a doctype JSON can only make single
    # columns unique, so the composite one is added here (Frappe calls it after each sync).
    frappe.db.add_unique(
        "Shopify Confirmed Level",
        ["shopify_store", "item_code", "shopify_location_id"],
        constraint_name="store_item_location",
    )
    # Every run asks for the store's rows left in flight (confirmed_levels.in_flight).
    frappe.db.add_index(
        "Shopify Confirmed Level", ["shopify_store", "in_flight"], index_name="store_in_flight"
    )
