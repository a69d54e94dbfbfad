"""The ERPNext side of the fast path at fifty stores (issue 17 §1), run inside a bench's Python:

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/benchmarks/fast_fifty_site.py SITE COMMAND [JSON]

Its own items (NXB-000001 ...: the walkthrough's SKU- items may be on the shared site), and one
warehouse per store, so a transaction in a store's warehouse is that store's alone (transactions
"spread over stores"). Stores are bench-store-NNN.myshopify.com, as benchmarks/stores_site.py
names them, so its `tick` and `wait` serve here too.

Commands (one JSON line each, or one per entry for `post`):
  setup {"items": 7300, "big_items": 10000, "urls": {domain: url}, "token": "..."}  `big_items`
        Items (the first store carries them all, the others the first `items`), one warehouse
        and one Shopify Store per shop (fast path on; reconciled just now, so no hourly
        reconciliation falls due during the run), Bins at 0 (a ledger without entries; a
        receipt's Bin is recomputed from the ledger), everything stamped yesterday.
  tick, wait  benchmarks/stores_site.py's.
  post {"count": 300, "interval_s": 1.0, "stores": 50}  Material Receipts of +1 unit, entry n
        in store (n mod stores)'s warehouse, of item n+1 (so every entry moves its own level),
        one every `interval_s` on a fixed schedule; per entry: store, item, the moment its
        commit returned, the transaction's wall time, the fast path's part of it.
  reco {"rows": 10000}  one Stock Reconciliation of `rows` rows (5 units each) in the first
        store's warehouse, submitted in this process (ERPNext queues a submit of more than 100
        rows to a worker; `_submit` is what that job runs); its commit time and sizes.
  fast_logs {"since": "..."}  the bench stores' Fast runs since then, and the site's time now.
  idle  benchmarks/fast_path_site.py's: CPU of one per-minute sweep with nothing marked.
  teardown  removes all of it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import fast_path_site, stores_site  # noqa: E402
from benchmarks.site_records import (  # noqa: E402
    delete_vouchers,
    insert_bins,
    insert_items,
    insert_store,
    insert_warehouse,
    run_command,
    set_overrides,
)

TAG = "NXB"
STORE_PREFIX = stores_site.STORE_PREFIX


def sku(number: int) -> str:
    return f"{TAG}-{number:06d}"


def warehouse_name(store_number: int) -> str:
    return f"{TAG} Store {store_number:03d}"


def _warehouses() -> dict[int, str]:
    import frappe

    rows = frappe.get_all(
        "Warehouse", filters={"warehouse_name": ["like", f"{TAG} Store %"]}, fields=["name", "warehouse_name"]
    )
    return {int(row.warehouse_name.rsplit(" ", 1)[1]): row.name for row in rows}


def setup(args: dict) -> dict:
    from datetime import timedelta

    import frappe
    from frappe.utils import now_datetime

    items, big = int(args["items"]), int(args.get("big_items") or args["items"])
    if frappe.db.exists("Item", sku(1)):
        raise SystemExit(f"Item {sku(1)} exists already: tear down first")
    yesterday = now_datetime() - timedelta(days=1)
    codes = [sku(i) for i in range(1, max(items, big) + 1)]
    insert_items(codes, yesterday)
    domains = sorted(args["urls"])
    for number, domain in enumerate(domains, start=1):
        warehouse = insert_warehouse(warehouse_name(number))
        carried = codes[: big if number == 1 else items]
        insert_bins(((f"{TAG}-{number:03d}-{c}", c, warehouse, 0) for c in carried), yesterday)
        insert_store(domain, args["token"], warehouse, fast_push=1)
    frappe.db.sql(
        "UPDATE `tabShopify Store` SET modified = %s, last_reconciliation = %s WHERE name IN %s",
        (yesterday, now_datetime(), tuple(domains)),
    )
    frappe.db.commit()
    set_overrides(stores_site.ours, args["urls"])
    return {"items": len(codes), "stores": len(domains)}


def post(args: dict) -> None:
    import frappe

    from nexwave_inventory_sync.erpnext_side import fast_path

    warehouses = _warehouses()
    company = frappe.db.get_value("Warehouse", warehouses[1], "company")
    stores = int(args.get("stores", len(warehouses)))
    spent: list[float] = []
    flushes: list = []
    fast_path_site._timed(fast_path, "_collect", spent)
    fast_path_site._timed(fast_path, "flush", spent, flushes)
    interval = float(args.get("interval_s", 1.0))
    start = time.time()
    for n in range(int(args["count"])):
        # A fixed schedule (entry n at start + n x interval), so a slow submit does not slow
        # the arrivals down.
        time.sleep(max(0.0, start + n * interval - time.time()))
        store_number = n % stores + 1
        code = sku(n + 1)
        spent.clear()
        flushes.clear()
        started = time.perf_counter()
        entry = frappe.get_doc(
            {
                "doctype": "Stock Entry",
                "stock_entry_type": "Material Receipt",
                "company": company,
                "items": [
                    {
                        "item_code": code,
                        "t_warehouse": warehouses[store_number],
                        "qty": 1,
                        "basic_rate": 10,
                        "uom": "Nos",
                        "stock_uom": "Nos",
                        "conversion_factor": 1,
                    }
                ],
            }
        )
        entry.insert(ignore_permissions=True)
        entry.submit()
        frappe.db.commit()
        committed = time.time()
        print(
            json.dumps(
                {
                    "store": store_number,
                    "item": code,
                    "committed": committed,
                    "transaction_ms": round((time.perf_counter() - started) * 1000, 2),
                    "fast_path_ms": round(sum(spent) * 1000, 3),
                    "jobs_queued": sum(len(q) for q in flushes),
                }
            ),
            flush=True,
        )


def reco(args: dict) -> dict:
    import frappe

    from nexwave_inventory_sync.erpnext_side import fast_path

    warehouse = _warehouses()[1]
    company = frappe.db.get_value("Warehouse", warehouse, "company")
    rows = int(args.get("rows", 10_000))
    spent: list[float] = []
    flushes: list = []
    fast_path_site._timed(fast_path, "_collect", spent)
    fast_path_site._timed(fast_path, "flush", spent, flushes)
    started = time.perf_counter()
    doc = frappe.get_doc(
        {
            "doctype": "Stock Reconciliation",
            "company": company,
            "purpose": "Stock Reconciliation",
            "items": [
                {"item_code": sku(i), "warehouse": warehouse, "qty": 5, "valuation_rate": 10}
                for i in range(1, rows + 1)
            ],
        }
    )
    doc.insert(ignore_permissions=True)
    inserted = time.perf_counter() - started
    doc._submit()  # what ERPNext's queued submit job runs (see the module doc)
    frappe.db.commit()
    committed = time.time()
    return {
        "name": doc.name,
        "rows": rows,
        "committed": committed,
        "insert_s": round(inserted, 2),
        "transaction_s": round(time.perf_counter() - started, 2),
        "fast_path_ms": round(sum(spent) * 1000, 2),
        "jobs_queued": sum(len(q) for q in flushes),
        "first_item": sku(1),
        "last_item": sku(rows),
    }


def fast_logs(args: dict) -> dict:
    import frappe
    from frappe.utils import now_datetime

    frappe.db.rollback()  # a fresh snapshot: the workers' commits
    filters = {"trigger": "Fast", "shopify_store": ["like", f"{STORE_PREFIX}%"]}
    if args.get("since"):
        filters["started_at"] = [">=", args["since"]]
    rows = frappe.get_all(
        "Shopify Log",
        filters=filters,
        fields=["shopify_store", "status", "duration", "api_calls", "pushed", "considered"]
        + ["stock_read", "started_at", "finished_at", "error"],
        order_by="started_at asc",
    )
    for row in rows:
        for key in ("started_at", "finished_at"):
            row[key] = str(row[key]) if row[key] else None
    return {"now": str(now_datetime()), "logs": rows}


def teardown(_args: dict) -> dict:
    import frappe

    stores_answer = stores_site.teardown({})  # stores, logs, cached ids, levels, queued jobs
    warehouses = list(_warehouses().values())
    vouchers: dict[str, list[str]] = {}
    if warehouses:
        params = {"warehouses": tuple(warehouses)}
        vouchers["Stock Entry"] = frappe.db.sql_list(
            "SELECT DISTINCT parent FROM `tabStock Entry Detail` WHERE t_warehouse IN %(warehouses)s", params
        )
        vouchers["Stock Reconciliation"] = frappe.db.sql_list(
            "SELECT DISTINCT parent FROM `tabStock Reconciliation Item` WHERE warehouse IN %(warehouses)s",
            params,
        )
    for doctype, names in vouchers.items():
        child = "Stock Entry Detail" if doctype == "Stock Entry" else "Stock Reconciliation Item"
        delete_vouchers(doctype, child, names)
    frappe.db.sql("DELETE FROM `tabBin` WHERE item_code LIKE %s", (f"{TAG}-%",))
    frappe.db.sql("DELETE FROM `tabItem` WHERE name LIKE %s", (f"{TAG}-%",))
    for name in warehouses:
        frappe.delete_doc("Warehouse", name, force=True, ignore_permissions=True)
    frappe.db.commit()
    return {**stores_answer, "vouchers": {k: len(v) for k, v in vouchers.items()}}


COMMANDS = {
    "setup": setup,
    "tick": stores_site.tick,
    "wait": stores_site.wait,
    "post": post,
    "reco": reco,
    "fast_logs": fast_logs,
    "idle": fast_path_site.idle,
    "teardown": teardown,
}


if __name__ == "__main__":
    run_command(COMMANDS)
