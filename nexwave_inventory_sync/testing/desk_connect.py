"""Site data for the walkthrough's connect and catalog steps (browser/steps_connect.py,
browser/steps_catalog.py), run through `bench --site SITE execute ...desk_connect.<function>
--kwargs '{...}'`. Idempotent; never used by the FrappeTestCases."""

from __future__ import annotations

import frappe

from nexwave_inventory_sync.erpnext_side.constants import ENDPOINT_OVERRIDES_KEY
from nexwave_inventory_sync.erpnext_side.store_tokens import StoreTokenStore

from .fixtures import issue, receive, set_site_config


def prepare(domains: list[str], like: str, remove_only: bool = False) -> dict:
    """The stores of `domains` removed with their tokens and logs (a walk run twice starts
    afresh); unless `remove_only`, each domain pointed at the endpoint of the shop `like`."""
    overrides = dict(frappe.get_site_config().get(ENDPOINT_OVERRIDES_KEY) or {})
    endpoint = overrides.get(like)
    for domain in domains:
        if frappe.db.exists("Shopify Store", domain):
            frappe.delete_doc("Shopify Store", domain, force=True, ignore_permissions=True)
        StoreTokenStore(domain).forget()
        frappe.db.delete("Shopify Log", {"shopify_store": domain})
        if remove_only:
            overrides.pop(domain, None)
        elif endpoint:
            overrides[domain] = endpoint
    set_site_config(ENDPOINT_OVERRIDES_KEY, overrides)
    frappe.db.commit()
    return {"endpoint": endpoint}


def move_stock(warehouse: str, moves: dict[str, float], hold_fast_path_of: str | None = None) -> dict:
    """ERPNext's stock of each item moved by the given figure (a receipt up, an issue down), as
    a stock clerk's entries would: the next run has these rows to send. `hold_fast_path_of`: a
    store whose fast path is switched off first, so the rows wait for its next run (the
    preview's screenshot) instead of leaving within the minute (desk_demo.prepare makes the
    store afresh on the next walk)."""
    if hold_fast_path_of:
        frappe.db.set_value("Shopify Store", hold_fast_path_of, "fast_push", 0)
        frappe.db.commit()
    for code, qty in moves.items():
        if qty > 0:
            receive([(code, warehouse, qty)])
        elif qty < 0:
            issue(code, warehouse, -qty)
    frappe.db.commit()
    return {"moved": len(moves)}
