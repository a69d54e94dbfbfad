"""Site data for the browser walkthrough (scripts/browser-test.sh), run through
`bench --site SITE execute ...desk_demo.prepare --kwargs '{...}'`: items whose codes are the
emulated shop's SKUs, stock for them, the emulator as the shop's endpoint, and a user who may
read stores but not change them, a Shopify Manager, and a few stock items the shop does not sell
(OFFLINE_ITEMS: the catalog of a real store has them). Idempotent; never used by the
FrappeTestCases."""

from __future__ import annotations

import frappe
from frappe.permissions import add_permission

from nexwave_inventory_sync.erpnext_side.constants import ENDPOINT_OVERRIDES_KEY, KILL_SWITCH_KEY

from .fixtures import item, receive, set_site_config, warehouse

VIEWER_ROLE = "Shopify Store Viewer"
MANAGER_ROLE = "Shopify Manager"  # created by the app's install (patches/v0_2)
# Stock items with codes no variant of the emulated shop carries: not on Shopify.
OFFLINE_ITEMS = ("DESK-OFFLINE-1", "DESK-OFFLINE-2", "DESK-OFFLINE-3")


def prepare(
    shop_domain: str,
    endpoint: str,
    items: int = 20,
    viewer: str = "shopify-viewer@example.com",
    password: str = "viewer-Pass-123",
    manager: str = "shopify-manager@example.com",
    manager_password: str = "manager-Pass-123",
) -> dict:
    wh = warehouse("Shopify Desk WH")
    codes = [f"SKU-{i:06d}" for i in range(1, items + 1)]  # Catalog.generate's SKUs
    for code in (*codes, *OFFLINE_ITEMS):
        item(code)
    # Items without stock in this warehouse (a new site, or a site whose first company, and so
    # the demo warehouse, changed since the items were made).
    fresh = [
        c for c in (*codes, *OFFLINE_ITEMS) if not frappe.db.exists("Bin", {"item_code": c, "warehouse": wh})
    ]
    if fresh:
        receive([(code, wh, 3 + i % 7) for i, code in enumerate(fresh)])
    if frappe.db.exists("Shopify Store", shop_domain):
        frappe.delete_doc("Shopify Store", shop_domain, force=True, ignore_permissions=True)
    frappe.db.delete("Shopify Log", {"shopify_store": shop_domain})
    # The items' rows for the old store (ids, not-on-Shopify marks): the new store starts clean.
    frappe.db.delete("Item Shopify Store", {"parenttype": "Item", "shopify_store": shop_domain})
    overrides = dict(frappe.get_site_config().get(ENDPOINT_OVERRIDES_KEY) or {})
    overrides[shop_domain] = endpoint
    set_site_config(ENDPOINT_OVERRIDES_KEY, overrides)
    switched = [d for d in frappe.get_site_config().get(KILL_SWITCH_KEY) or [] if d != shop_domain]
    set_site_config(KILL_SWITCH_KEY, switched)  # other shops' entries stay
    _viewer(viewer, password)
    _user(manager, "Shopify Manager", MANAGER_ROLE, manager_password)
    frappe.db.commit()
    return {"warehouse": wh, "items": len(codes), "offline_items": ",".join(OFFLINE_ITEMS)}


def _viewer(email: str, password: str) -> None:
    """A desk user whose only right on Shopify Store is read."""
    if not frappe.db.exists("Role", VIEWER_ROLE):
        frappe.get_doc({"doctype": "Role", "role_name": VIEWER_ROLE, "desk_access": 1}).insert(
            ignore_permissions=True
        )
    add_permission("Shopify Store", VIEWER_ROLE, 0, "read")
    _user(email, "Shopify Viewer", VIEWER_ROLE, password)


def _user(email: str, first_name: str, role: str, password: str) -> None:
    """A desk user with this one role."""
    if not frappe.db.exists("User", email):
        frappe.get_doc(
            {
                "doctype": "User",
                "email": email,
                "first_name": first_name,
                "send_welcome_email": 0,
                "user_type": "System User",
                "roles": [{"role": role}],
            }
        ).insert(ignore_permissions=True)
    from frappe.utils.password import update_password

    update_password(email, password)
