# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Shopify Item Coverage: every item of a store with its state and the reason, in words
(erpnext_side/item_state.py), filterable by state, with the count of each state on top."""

from __future__ import annotations

from collections import Counter

import frappe
from frappe import _

from nexwave_inventory_sync.erpnext_side.constants import STORE_DOCTYPE
from nexwave_inventory_sync.erpnext_side.item_state import NOT_FOUND, PUSHED, STATES, store_item_states

_INDICATORS = {PUSHED: "Green", NOT_FOUND: "Red"}


def execute(filters: dict | None = None):
    filters = frappe._dict(filters or {})
    store_name = filters.get("shopify_store") or _only_store()
    if not store_name:
        return _columns(), [], _("Choose a Shopify Store")
    store = frappe.get_doc(STORE_DOCTYPE, store_name)
    store.check_permission("read")
    states = store_item_states(store)
    counts = Counter(state.state for state in states)
    wanted = filters.get("state")
    data = [
        {
            "item_code": state.item_code,
            "sku": state.sku,
            "state": _(state.state),
            "reason": state.reason,
            "shopify_log": state.log,
        }
        for state in states
        if not wanted or state.state == wanted
    ]
    summary = [
        {
            "value": counts.get(name, 0),
            "label": _(name),
            "indicator": _INDICATORS.get(name, "Blue"),
            "datatype": "Int",
        }
        for name in STATES
        if counts.get(name)
    ]
    return _columns(), data, None, None, summary


def _only_store() -> str | None:
    stores = frappe.get_all(STORE_DOCTYPE, pluck="name", limit=2)
    return stores[0] if len(stores) == 1 else None


def _columns() -> list[dict]:
    return [
        {"fieldname": "item_code", "label": _("Item"), "fieldtype": "Link", "options": "Item", "width": 180},
        {"fieldname": "sku", "label": _("SKU"), "fieldtype": "Data", "width": 140},
        {"fieldname": "state", "label": _("State"), "fieldtype": "Data", "width": 190},
        {"fieldname": "reason", "label": _("Why"), "fieldtype": "Data", "width": 480},
        {
            "fieldname": "shopify_log",
            "label": _("Shopify Log"),
            "fieldtype": "Link",
            "options": "Shopify Log",
            "width": 150,
        },
    ]
