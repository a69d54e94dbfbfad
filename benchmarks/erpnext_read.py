"""The ERPNext read side: time the per-run stock query over 10k and 100k Bins.

Runs inside a bench's Python (it needs frappe and erpnext):
    cd ~/frappe-bench/sites && ../env/bin/python /path/to/benchmarks/erpnext_read.py test_site 10000 100000
Items and Bins are bulk-inserted in one transaction and rolled back at the end: the site is
left as it was. Prints one JSON line per size.
"""

from __future__ import annotations

import json
import sys
import time

WAREHOUSES = 5


def measure(site_bins: int) -> dict:
    import frappe
    from frappe.utils import now_datetime

    from nexwave_inventory_sync.erpnext_side.stock_levels import stock_rows

    company = frappe.db.get_value("Company", {}, "name")
    parent = frappe.db.get_value("Warehouse", {"company": company, "is_group": 1}, "name")
    tag = frappe.generate_hash(length=5)
    warehouses = []
    for n in range(WAREHOUSES):
        doc = frappe.get_doc(
            {
                "doctype": "Warehouse",
                "warehouse_name": f"Bench {tag} {n}",
                "company": company,
                "parent_warehouse": parent,
            }
        )
        doc.insert(ignore_permissions=True)
        warehouses.append(doc.name)
    items = site_bins // WAREHOUSES
    now = now_datetime()
    codes = [f"BENCH-{tag}-{i:06d}" for i in range(items)]
    frappe.db.bulk_insert(
        "Item",
        [
            "name",
            "item_code",
            "item_name",
            "item_group",
            "stock_uom",
            "is_stock_item",
            "disabled",
            "creation",
            "modified",
            "owner",
            "modified_by",
        ],
        [
            (c, c, c, "All Item Groups", "Nos", 1, 0, now, now, "Administrator", "Administrator")
            for c in codes
        ],
    )
    frappe.db.bulk_insert(
        "Bin",
        [
            "name",
            "item_code",
            "warehouse",
            "actual_qty",
            "reserved_qty",
            "reserved_qty_for_production",
            "reserved_qty_for_sub_contract",
            "reserved_qty_for_production_plan",
            "creation",
            "modified",
            "owner",
            "modified_by",
        ],
        [
            (f"{c}-{w}", c, w, (i * 7 + j) % 90, i % 3, 0, 0, 0, now, now, "Administrator", "Administrator")
            for i, c in enumerate(codes)
            for j, w in enumerate(warehouses)
        ],
    )
    store = frappe.get_doc(
        {
            "doctype": "Shopify Store",
            "shop_domain": f"bench-{tag}.myshopify.com",
            "access_token": "shpat_bench",
            "locations": [
                {"warehouse": w, "shopify_location_id": str(1 + j % 2)} for j, w in enumerate(warehouses)
            ],
        }
    ).insert(ignore_permissions=True)
    questions = lambda: int(frappe.db.sql("show session status like 'Questions'")[0][1])  # noqa: E731
    before = questions()
    start = time.perf_counter()
    rows = sum(1 for _ in stock_rows(store.name))
    seconds = time.perf_counter() - start
    queries = questions() - before - 1  # minus the probe itself
    frappe.db.rollback()
    return {
        "bins": items * WAREHOUSES,
        "items": items,
        "warehouses": WAREHOUSES,
        "rows_out": rows,
        "queries": queries,
        "seconds": round(seconds, 3),
    }


def main() -> None:
    import frappe

    site, sizes = sys.argv[1], [int(n) for n in sys.argv[2:]] or [10_000, 100_000]
    frappe.init(site=site, sites_path=".")
    frappe.connect()
    try:
        for size in sizes:
            print(json.dumps(measure(size)), flush=True)
    finally:
        frappe.db.rollback()
        frappe.destroy()


if __name__ == "__main__":
    main()
