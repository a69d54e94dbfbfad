"""Coming from frappe/ecommerce_integrations: adopt its Ecommerce Item links (Shopify variant
ids) into this app's id cache, and warn while its own inventory sync still writes the same
shop's numbers. Everything here is a no-op when that app is not installed.

Its names, from its version-15 source: doctype "Ecommerce Item" (erpnext_item_code,
integration = "shopify", variant_id, sku) and the single "Shopify Setting" (enable_shopify,
shopify_url, update_erpnext_stock_levels_to_shopify). It serves one shop per site.
"""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime

from ..sync.api import EndpointError, IdError, normalize_shop_domain, to_gid
from .constants import ITEM_STORE_DOCTYPE, ITEM_STORES_FIELD

APP = "ecommerce_integrations"
ECOMMERCE_ITEM = "Ecommerce Item"
SETTING = "Shopify Setting"
INTEGRATION = "shopify"  # its MODULE_NAME, the value of Ecommerce Item.integration


def is_installed() -> bool:
    return APP in frappe.get_installed_apps() and bool(frappe.db.exists("DocType", ECOMMERCE_ITEM))


def _setting() -> dict | None:
    if not frappe.db.exists("DocType", SETTING):
        return None
    return frappe.db.get_singles_dict(SETTING)


def same_shop(store_domain: str) -> bool:
    """True when ecommerce_integrations is set up for this store's shop."""
    setting = _setting()
    if not setting or not setting.get("shopify_url"):
        return False
    try:
        return normalize_shop_domain(setting.get("shopify_url")) == normalize_shop_domain(store_domain)
    except EndpointError:
        return False


def competing_sync(store_domain: str) -> bool:
    """Its scheduled inventory push is on for the same shop: two connectors would keep
    overwriting each other's figures (it sends actual − reserved per Bin, we send more)."""
    if not is_installed() or not same_shop(store_domain):
        return False
    setting = _setting() or {}
    return bool(int(setting.get("enable_shopify") or 0)) and bool(
        int(setting.get("update_erpnext_stock_levels_to_shopify") or 0)
    )


def adoptable_links(store_name: str, store_domain: str) -> list[dict]:
    """Its Shopify links to items this store has no cached ids for yet."""
    if not is_installed() or not same_shop(store_domain):
        return []
    links = frappe.get_all(
        ECOMMERCE_ITEM,
        filters={"integration": INTEGRATION, "variant_id": ["is", "set"]},
        fields=["erpnext_item_code", "variant_id"],
        order_by="erpnext_item_code",
    )
    cached = set(
        frappe.get_all(
            ITEM_STORE_DOCTYPE,
            filters={"parenttype": "Item", "shopify_store": store_name},
            or_filters={"variant_id": ["is", "set"], "inventory_item_id": ["is", "set"]},
            pluck="parent",
        )
    )
    found, seen = [], set()
    for link in links:
        item = link.erpnext_item_code
        if not item or item in cached or item in seen:
            continue  # one Shopify variant per item and store; ids we resolved ourselves win
        try:
            variant = to_gid("ProductVariant", str(link.variant_id).strip())
        except IdError:
            continue
        seen.add(item)
        found.append({"item_code": item, "variant_id": variant})
    return found


def handover_status(store_name: str, store_domain: str) -> dict | None:
    """What the store form shows; None when ecommerce_integrations is not installed."""
    if not is_installed():
        return None
    return {
        "same_shop": same_shop(store_domain),
        "competing_sync": competing_sync(store_domain),
        "adoptable": len(adoptable_links(store_name, store_domain)),
    }


def adopt_links(store) -> int:
    """Cache its variant ids on each item's Shopify Stores row for this store; the next run
    turns them into inventory item ids with a few nodes() calls instead of SKU matching."""
    links = adoptable_links(store.name, store.shop_domain)
    if not links:
        return 0
    items = [link["item_code"] for link in links]
    # Rows of this store without ids (added by hand, or emptied): filled in place.
    empty_rows = {
        r.parent: r.name
        for r in frappe.get_all(
            ITEM_STORE_DOCTYPE,
            filters={"parenttype": "Item", "parent": ["in", items], "shopify_store": store.name},
            fields=["name", "parent"],
        )
    }
    last_idx = dict(
        frappe.db.sql(
            f"SELECT parent, MAX(idx) FROM `tab{ITEM_STORE_DOCTYPE}` WHERE parenttype = 'Item' AND parent IN %(items)s GROUP BY parent",
            {"items": items},
        )
    )
    now = now_datetime()
    for link in links:
        item = link["item_code"]
        if item in empty_rows:
            frappe.db.set_value(
                ITEM_STORE_DOCTYPE,
                empty_rows[item],
                {"variant_id": link["variant_id"], "inventory_item_id": None, "last_resolved": now},
                update_modified=False,
            )
            continue
        # A cache row only: Item's own validation has nothing to say about it, so the row is
        # written alone instead of saving each Item.
        frappe.get_doc(
            {
                "doctype": ITEM_STORE_DOCTYPE,
                "parent": item,
                "parenttype": "Item",
                "parentfield": ITEM_STORES_FIELD,
                "idx": int(last_idx.get(item) or 0) + 1,
                "shopify_store": store.name,
                "variant_id": link["variant_id"],
                "tracked": 1,
                "last_resolved": now,
            }
        ).db_insert()
    return len(links)
