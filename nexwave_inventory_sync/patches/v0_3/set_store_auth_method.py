import frappe

from nexwave_inventory_sync.erpnext_side.constants import AUTH_ACCESS_TOKEN, STORE_DOCTYPE


def execute():
    """Stores saved before the Authentication field existed connect with their pasted token.
    The new field's default (client credentials, for stores set up from 2026) would otherwise
    have been given to them by the migration that added the column."""
    frappe.db.sql(
        f"UPDATE `tab{STORE_DOCTYPE}` SET auth_method = %s",  # noqa: S608 - a constant doctype name
        (AUTH_ACCESS_TOKEN,),
    )
