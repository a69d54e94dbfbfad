import frappe


def execute():
    """Rows cached before resolved_variant_id existed were resolved from the variant id they
    hold: record it, so only a later hand edit sends them back to Shopify for a lookup."""
    frappe.db.sql(
        """UPDATE `tabItem Shopify Store` SET resolved_variant_id = variant_id
        WHERE resolved_variant_id IS NULL AND inventory_item_id IS NOT NULL"""
    )
