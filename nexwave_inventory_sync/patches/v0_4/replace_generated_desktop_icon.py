"""Frappe 16 made a desktop icon for the Shopify Inventory workspace when the app was installed
(a letter on grey, tied to no app). The app now ships its own (desktop_icon/shopify_inventory.json,
with its logo); the generated one, newer than the shipped file, would keep it from being synced.
Runs before the sync, which then imports the app's icon."""

import frappe


def execute():
    if not frappe.db.table_exists("Desktop Icon"):  # Frappe 15 has no desktop icons
        return
    generated = frappe.db.get_value("Desktop Icon", "Shopify Inventory", ["standard", "app"], as_dict=True)
    if generated and not generated.standard and not generated.app:
        frappe.delete_doc("Desktop Icon", "Shopify Inventory", ignore_permissions=True, force=True)
