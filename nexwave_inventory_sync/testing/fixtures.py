"""Real ERPNext records for the FrappeTestCases: warehouses, items, item groups, brands, stock,
orders and a store. Only imported under a bench (it needs frappe and erpnext)."""

from __future__ import annotations

from datetime import timedelta

import frappe
from frappe.utils import add_days, now_datetime, nowdate

from nexwave_inventory_sync.emulator import Catalog, Emulator
from nexwave_inventory_sync.erpnext_side.constants import ENDPOINT_OVERRIDES_KEY, KILL_SWITCH_KEY

TOKEN = "shpat_bench_test_token"


def company() -> str:
    return frappe.db.get_value("Company", {}, "name", order_by="creation")


def warehouse(name: str, is_group: int = 0, parent: str | None = None) -> str:
    comp = company()
    abbr = frappe.db.get_value("Company", comp, "abbr")
    full = f"{name} - {abbr}"
    if not frappe.db.exists("Warehouse", full):
        frappe.get_doc(
            {
                "doctype": "Warehouse",
                "warehouse_name": name,
                "company": comp,
                "is_group": is_group,
                "parent_warehouse": parent
                or frappe.db.get_value("Warehouse", {"company": comp, "is_group": 1}, "name"),
            }
        ).insert(ignore_permissions=True)
    return full


FRACTIONAL_UOM = "Shopify Test Unit"


def item(code: str, **extra) -> str:
    """A stock item in a unit that allows fractions (ERPNext keeps fractional stock)."""
    if not frappe.db.exists("UOM", FRACTIONAL_UOM):
        frappe.get_doc({"doctype": "UOM", "uom_name": FRACTIONAL_UOM, "must_be_whole_number": 0}).insert(
            ignore_permissions=True
        )
    if not frappe.db.exists("Item", code):
        frappe.get_doc(
            {
                "doctype": "Item",
                "item_code": code,
                "item_name": code,
                "item_group": "All Item Groups",
                "stock_uom": FRACTIONAL_UOM,
                "is_stock_item": 1,
                **extra,
            }
        ).insert(ignore_permissions=True)
    return code


def _stock_entry(entry_type: str, warehouse_field: str, rows: list[tuple[str, str, float]]) -> None:
    entry = frappe.get_doc(
        {"doctype": "Stock Entry", "stock_entry_type": entry_type, "company": company(), "items": []}
    )
    for code, warehouse_name, qty in rows:
        entry.append(
            "items",
            {
                "item_code": code,
                warehouse_field: warehouse_name,
                "qty": qty,
                "basic_rate": 10,
                "conversion_factor": 1,
                "uom": FRACTIONAL_UOM,
            },
        )
    entry.insert(ignore_permissions=True)
    entry.submit()


def receive(rows: list[tuple[str, str, float]]) -> None:
    """One submitted Material Receipt for many (item, warehouse, qty) rows."""
    _stock_entry("Material Receipt", "t_warehouse", rows)


def issue(code: str, source: str, qty: float) -> None:
    _stock_entry("Material Issue", "s_warehouse", [(code, source, qty)])


def sales_order(code: str, source: str, qty: float, reserve_stock: bool = False, **extra) -> str:
    """A submitted Sales Order; with reserve_stock, ERPNext also submits a Stock Reservation
    Entry for it (Stock Settings must allow stock reservation). `extra` sets order fields
    (a marker such as po_no)."""
    if not frappe.db.exists("Customer", "Shopify Test Customer"):
        frappe.get_doc(
            {
                "doctype": "Customer",
                "customer_name": "Shopify Test Customer",
                "customer_group": "All Customer Groups",
                "territory": "All Territories",
            }
        ).insert(ignore_permissions=True)
    order = frappe.get_doc(
        {
            "doctype": "Sales Order",
            "customer": "Shopify Test Customer",
            "company": company(),
            "transaction_date": nowdate(),
            "delivery_date": add_days(nowdate(), 7),
            "reserve_stock": int(reserve_stock),
            **extra,
            "items": [
                {
                    "item_code": code,
                    "qty": qty,
                    "rate": 20,
                    "warehouse": source,
                    "uom": FRACTIONAL_UOM,
                    "conversion_factor": 1,
                    "delivery_date": add_days(nowdate(), 7),
                    "reserve_stock": int(reserve_stock),
                }
            ],
        }
    )
    order.insert(ignore_permissions=True)
    order.submit()
    return order.name


def store(domain: str, locations: list[tuple[str, str]], **extra) -> str:
    if frappe.db.exists("Shopify Store", domain):
        frappe.delete_doc("Shopify Store", domain, force=True, ignore_permissions=True)
    doc = frappe.get_doc(
        {
            "doctype": "Shopify Store",
            "shop_domain": domain,
            "access_token": TOKEN,
            "locations": [{"warehouse": w, "shopify_location_id": loc} for w, loc in locations],
            **extra,
        }
    ).insert(ignore_permissions=True)
    return doc.name


def set_site_config(key: str, value) -> None:
    """Through site_config.json, as `bench set-config` does, so the code's fresh read is tested."""
    from frappe.installer import update_site_config

    update_site_config(key, value)


def clear_site_config(key: str) -> None:
    from frappe.installer import update_site_config

    update_site_config(key, "None")


class EmulatedShop:
    """An emulator for one shop, with the site pointed at it for the test's duration."""

    def __init__(self, domain: str, items: int = 0, locations: int = 2, **options):
        self.domain = domain
        self.catalog = Catalog.generate(items=items, locations=locations, seed=0)
        self.emulator = Emulator(self.catalog, access_token=TOKEN, plan="plus", shop_domain=domain, **options)

    def __enter__(self) -> EmulatedShop:
        self.emulator.start()
        overrides = dict(frappe.get_site_config().get(ENDPOINT_OVERRIDES_KEY) or {})
        overrides[self.domain] = self.emulator.base_url
        set_site_config(ENDPOINT_OVERRIDES_KEY, overrides)
        return self

    def __exit__(self, *exc) -> None:
        self.emulator.stop()
        overrides = dict(frappe.get_site_config().get(ENDPOINT_OVERRIDES_KEY) or {})
        overrides.pop(self.domain, None)
        set_site_config(ENDPOINT_OVERRIDES_KEY, overrides)

    def available(self, sku: str, location: str) -> int | None:
        variant = next(v for v in self.catalog.variants if v["sku"] == sku)
        return self.catalog.available(variant["inventory_item_id"], location)


__all__ = ["KILL_SWITCH_KEY", "TOKEN", "EmulatedShop"]


def item_group(name: str, parent: str = "All Item Groups", is_group: int = 0) -> str:
    if not frappe.db.exists("Item Group", name):
        frappe.get_doc(
            {
                "doctype": "Item Group",
                "item_group_name": name,
                "parent_item_group": parent,
                "is_group": is_group,
            }
        ).insert(ignore_permissions=True)
    return name


def brand(name: str) -> str:
    if not frappe.db.exists("Brand", name):
        frappe.get_doc({"doctype": "Brand", "brand": name}).insert(ignore_permissions=True)
    return name


def age(store: str, items: list[str]) -> None:
    """The store, the items and their Bins sat still for two hours (beyond the 30-minute
    overlap): the next run reads only what changes from here (stock_changes.py)."""
    past = now_datetime() - timedelta(hours=2)
    frappe.db.sql("UPDATE `tabBin` SET modified = %s WHERE item_code IN %s", (past, tuple(items)))
    frappe.db.sql("UPDATE `tabItem` SET modified = %s WHERE name IN %s", (past, tuple(items)))
    frappe.db.sql("UPDATE `tabShopify Store` SET modified = %s WHERE name = %s", (past, store))


def item_store_row(code: str, store: str, **values) -> None:
    """Set the item's row for the store on the Item form (a saved Item, as a user does)."""
    doc = frappe.get_doc("Item", code)
    row = next((r for r in doc.shopify_stores if r.shopify_store == store), None)
    if row is None:
        row = doc.append("shopify_stores", {"shopify_store": store})
    row.update(values)
    doc.save(ignore_permissions=True)
