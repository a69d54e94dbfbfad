"""Shopify Item Coverage (issue 18 §4): time explaining every item of a 7,300-item store.

Runs inside a bench's Python (it needs frappe and erpnext):
    cd ~/frappe-bench/sites && ../env/bin/python /path/to/benchmarks/item_coverage.py test_site 7300
Items, Bins, the store's Item rows, confirmed levels and a log with failed rows are
bulk-inserted in one transaction and rolled back at the end: the site is left as it was.
Prints one JSON line per size.
"""

from __future__ import annotations

import json
import sys
import time


def measure(items: int) -> dict:
    import frappe
    from frappe.utils import now_datetime

    from nexwave_inventory_sync.erpnext_side.item_state import store_item_states
    from nexwave_inventory_sync.nexwave_inventory_sync.report.shopify_item_coverage.shopify_item_coverage import (
        execute,
    )

    company = frappe.db.get_value("Company", {}, "name")
    parent = frappe.db.get_value("Warehouse", {"company": company, "is_group": 1}, "name")
    tag = frappe.generate_hash(length=5)
    warehouse = frappe.get_doc(
        {
            "doctype": "Warehouse",
            "warehouse_name": f"Coverage {tag}",
            "company": company,
            "parent_warehouse": parent,
        }
    ).insert(ignore_permissions=True)
    store = frappe.get_doc(
        {
            "doctype": "Shopify Store",
            "shop_domain": f"coverage-{tag}.myshopify.com",
            "access_token": "shpat_benchmark",
            "locations": [{"warehouse": warehouse.name, "shopify_location_id": "1"}],
        }
    ).insert(ignore_permissions=True)
    now = now_datetime()
    codes = [f"COV-{tag}-{i:06d}" for i in range(items)]
    meta = ["creation", "modified", "owner", "modified_by"]
    stamp = (now, now, "Administrator", "Administrator")
    frappe.db.bulk_insert(
        "Item",
        ["name", "item_code", "item_name", "item_group", "stock_uom", "is_stock_item", "disabled", *meta],
        [(c, c, c, "All Item Groups", "Nos", 1, 0, *stamp) for c in codes],
    )
    # Every 50th item has no Bin in the store's warehouse.
    frappe.db.bulk_insert(
        "Bin",
        ["name", "item_code", "warehouse", "actual_qty", *meta],
        [(f"{c}-bin", c, warehouse.name, i % 40, *stamp) for i, c in enumerate(codes) if i % 50],
    )
    frappe.db.bulk_insert(
        "Item Shopify Store",
        [
            "name",
            "parent",
            "parenttype",
            "parentfield",
            "idx",
            "shopify_store",
            "inventory_item_id",
            "tracked",
            "leave_out_of_sync",
            *meta,
        ],
        [
            (
                f"{c}-cache",
                c,
                "Item",
                "shopify_stores",
                1,
                store.name,
                f"gid://shopify/InventoryItem/{i + 1}",
                0 if i % 97 == 0 else 1,
                1 if i % 211 == 0 else 0,
                *stamp,
            )
            for i, c in enumerate(codes)
            if i % 30
        ],
    )
    frappe.db.bulk_insert(
        "Shopify Confirmed Level",
        [
            "name",
            "shopify_store",
            "item_code",
            "shopify_location_id",
            "inventory_item_id",
            "quantity",
            "confirmed_at",
            "confirmed_by",
            *meta,
        ],
        [
            (
                f"{c}-level",
                store.name,
                c,
                "gid://shopify/Location/1",
                f"gid://shopify/InventoryItem/{i + 1}",
                i % 40,
                now,
                "Push",
                *stamp,
            )
            for i, c in enumerate(codes)
            if i % 30 and i % 7
        ],
    )
    log = frappe.get_doc(
        {
            "doctype": "Shopify Log",
            "shopify_store": store.name,
            "trigger": "Scheduled",
            "status": "Partial",
            "started_at": now,
            "finished_at": now,
            "failed_rows": [
                {"item_code": c, "sku": c, "code": "SKU_NOT_FOUND", "message": "no variant"}
                for i, c in enumerate(codes)
                if i % 30 == 0
            ][:200],
        }
    )
    log.flags.finishing = True
    log.insert(ignore_permissions=True)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        states = store_item_states(store)
        timings.append(time.perf_counter() - started)
    started = time.perf_counter()
    _columns, data, _message, _chart, summary = execute({"shopify_store": store.name})
    report_seconds = time.perf_counter() - started
    return {
        "items": items,
        "explained": len([s for s in states if s.item_code.startswith(f"COV-{tag}")]),
        "states": {row["label"]: row["value"] for row in summary},
        "seconds_best_of_3": round(min(timings), 3),
        "report_seconds": round(report_seconds, 3),
        "report_rows": len(data),
    }


def main() -> None:
    import frappe

    site, sizes = sys.argv[1], [int(n) for n in sys.argv[2:]] or [7300]
    frappe.init(site=site)
    frappe.connect()
    frappe.set_user("Administrator")
    try:
        for size in sizes:
            print(json.dumps(measure(size)))
            frappe.db.rollback()
    finally:
        frappe.db.rollback()
        frappe.destroy()


if __name__ == "__main__":
    main()
