"""Install-time set-up: the Item table field that caches each variant's Shopify ids."""

from __future__ import annotations

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from .constants import ITEM_STORE_DOCTYPE, ITEM_STORES_FIELD, MANAGER_ROLE

CUSTOM_FIELDS = {
    "Item": [
        {
            "fieldname": "shopify_section",
            "fieldtype": "Section Break",
            "label": "Shopify",
            # The end of ERPNext's Details tab (the UOM table; a Tab Break follows in v15 and
            # v16): a section inserted mid-section takes the fields after it (Brand followed
            # description) into its own collapsed section.
            "insert_after": "uoms",
            "collapsible": 1,
        },
        {
            "fieldname": ITEM_STORES_FIELD,
            "fieldtype": "Table",
            "label": "Shopify Stores",
            "options": ITEM_STORE_DOCTYPE,
            "insert_after": "shopify_section",
            "description": "Filled by the inventory sync; edit only to map an item to a variant by hand.",
        },
    ]
}


def after_install() -> None:
    make_custom_fields()
    make_manager_role()


def make_manager_role() -> None:
    """The role for people who run the connector: they trigger syncs and read logs; the token
    stays with System Managers (a permlevel-1 field)."""
    if not frappe.db.exists("Role", MANAGER_ROLE):
        frappe.get_doc({"doctype": "Role", "role_name": MANAGER_ROLE, "desk_access": 1}).insert(
            ignore_permissions=True
        )


def make_custom_fields() -> None:
    create_custom_fields(CUSTOM_FIELDS, ignore_validate=True, update=True)


def after_migrate() -> None:
    """Each name series starts after the highest name of its doctype, on every migrate (two
    MAX queries): a log named by an older version's shared counter (or a data import) must never
    be handed out twice. The v0_3 patch did this once; a site where older code kept writing logs
    afterwards (a bench shared by several checkouts, a rollback of the app) needs it again."""
    from nexwave_inventory_sync.patches.v0_3.own_name_series import execute

    execute()


def before_tests() -> None:
    """`run-tests --app nexwave_inventory_sync` runs only this app's before_tests hooks, so
    ERPNext's (setup wizard, a company, warehouses) is called from here."""
    from erpnext.setup.utils import before_tests as erpnext_before_tests

    erpnext_before_tests()
