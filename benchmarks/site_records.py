"""What the site scripts (stores_site.py, fast_path_site.py, fast_fifty_site.py) do alike inside
a bench's Python: run one command with its JSON arguments and print its answer; make a
benchmark's records (a warehouse, Items and Bins last moved yesterday, a Shopify Store); point
its shops at the emulators (the endpoint overrides in site_config.json); delete the stock
vouchers it posted. frappe is imported when called: the scripts load this before frappe.init.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from datetime import datetime

ITEM_FIELDS = ["name", "item_code", "item_name", "item_group", "stock_uom", "is_stock_item", "disabled"]
BIN_FIELDS = [
    "name",
    "item_code",
    "warehouse",
    "actual_qty",
    "reserved_qty",
    "reserved_qty_for_production",
] + [
    "reserved_qty_for_sub_contract",
    "reserved_qty_for_production_plan",
]
STAMPS = ["creation", "modified", "owner", "modified_by"]


def run_command(commands: dict[str, Callable[[dict], dict | None]]) -> None:
    """`SCRIPT SITE COMMAND [JSON]`: connects to SITE, runs COMMAND, prints its answer (if any)
    as one JSON line."""
    import frappe

    site, command = sys.argv[1], sys.argv[2]
    args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    frappe.init(site=site, sites_path=".")
    frappe.connect()
    try:
        answer = commands[command](args)
        if answer is not None:
            print(json.dumps(answer, default=str), flush=True)
    finally:
        frappe.destroy()


def insert_warehouse(name: str) -> str:
    """A warehouse of the site's first company, under its group warehouse."""
    import frappe

    company = frappe.db.get_value("Company", {}, "name")
    parent = frappe.db.get_value("Warehouse", {"company": company, "is_group": 1}, "name")
    return (
        frappe.get_doc(
            {"doctype": "Warehouse", "warehouse_name": name, "company": company, "parent_warehouse": parent}
        )
        .insert(ignore_permissions=True)
        .name
    )


def insert_items(codes: Iterable[str], when: datetime) -> None:
    """Stock Items named by their codes, made and last changed at `when`."""
    import frappe

    common = (when, when, "Administrator", "Administrator")
    frappe.db.bulk_insert(
        "Item", ITEM_FIELDS + STAMPS, [(c, c, c, "All Item Groups", "Nos", 1, 0, *common) for c in codes]
    )


def insert_bins(bins: Iterable[tuple[str, str, str, float]], when: datetime) -> None:
    """Bins (name, item code, warehouse, actual qty), nothing reserved, last moved at `when`."""
    import frappe

    common = (when, when, "Administrator", "Administrator")
    frappe.db.bulk_insert(
        "Bin",
        BIN_FIELDS + STAMPS,
        [(name, code, warehouse, qty, 0, 0, 0, 0, *common) for name, code, warehouse, qty in bins],
    )


def insert_store(domain: str, token: str, warehouse: str, **fields) -> None:
    """A Shopify Store mapping `warehouse` to the emulated shop's location 1."""
    import frappe

    frappe.get_doc(
        {
            "doctype": "Shopify Store",
            "shop_domain": domain,
            "access_token": token,
            **fields,
            "locations": [{"warehouse": warehouse, "shopify_location_id": "1"}],
        }
    ).insert(ignore_permissions=True)


def set_overrides(ours: Callable[[str], bool], urls: dict[str, str] | None = None) -> None:
    """The site's endpoint overrides without the shops `ours` names, plus `urls`: other
    helpers' entries stay."""
    import frappe
    from frappe.installer import update_site_config

    from nexwave_inventory_sync.erpnext_side.constants import ENDPOINT_OVERRIDES_KEY

    current = {
        domain: url
        for domain, url in (frappe.get_site_config().get(ENDPOINT_OVERRIDES_KEY) or {}).items()
        if not ours(domain)
    }
    current.update(urls or {})
    update_site_config(ENDPOINT_OVERRIDES_KEY, current)


def delete_vouchers(doctype: str, child: str, names: list[str]) -> None:
    """Stock vouchers a benchmark posted, with their ledger and GL entries and reposts: ERPNext
    refuses to delete a warehouse with ledger entries."""
    import frappe

    if not names:
        return
    params = {"names": tuple(names)}
    for table, column in (
        ("Stock Ledger Entry", "voucher_no"),
        ("GL Entry", "voucher_no"),
        ("Repost Item Valuation", "voucher_no"),
        (child, "parent"),
        (doctype, "name"),
    ):
        frappe.db.sql(f"DELETE FROM `tab{table}` WHERE {column} IN %(names)s", params)
