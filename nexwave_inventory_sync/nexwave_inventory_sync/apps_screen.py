"""Who sees the app on the apps screen and Frappe 16's desktop: whoever may read the stores
(System Manager, Shopify Manager and the read-only roles the guide names)."""

from __future__ import annotations

import frappe


def has_app_permission() -> bool:
    return bool(frappe.has_permission("Shopify Store", "read"))
