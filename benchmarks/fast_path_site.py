"""The ERPNext side of the fast-path latency benchmark, run inside a bench's Python:

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/benchmarks/fast_path_site.py SITE COMMAND [JSON]

Its own items (FPL-000001 ...), warehouse and store, so it runs beside other data on a shared
bench (stores_site.py's SKU-... items may exist there already).

Commands (one JSON line each, or one per entry for `post`):
  setup {"items": 7300, "url": "http://127.0.0.1:PORT", "token": "..."}  the items with one Bin
       each (last moved yesterday), the warehouse, the store (fast path on) and its override.
  cold  the store's first run, in this process (ids resolved, every row confirmed).
  post {"count": 20, "interval_s": 3, "start": 1, "rows": 1}  submits `count` Material Receipts
       of +1 unit into the benchmark warehouse (benchmarks/stores_site.py's), each of `rows`
       items starting at SKU-{start}, one every `interval_s`; prints per entry its items, the
       moment its commit returned (time.time()), the transaction's wall time and the part of it
       the fast path took (its hooks inside the transaction, its flush after the commit).
  idle  CPU of one per-minute sweep (fast path and webhooks) with nothing marked.
  fast_logs  the benchmark store's Fast runs' Shopify Logs, oldest first.
  teardown  removes all of it: what `post` made (ERPNext refuses to delete a warehouse with
       ledger entries), the store with its logs and cached ids, bins, items, warehouse.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.site_records import (  # noqa: E402
    delete_vouchers,
    insert_bins,
    insert_items,
    insert_store,
    insert_warehouse,
    run_command,
    set_overrides,
)

TAG = "NXFAST"
WAREHOUSE_NAME = f"{TAG} Stores"
DOMAIN = "fast-bench.myshopify.com"
PREFIX = "FPL"


def sku(number: int) -> str:
    return f"{PREFIX}-{number:06d}"


def setup(args: dict) -> dict:
    from datetime import timedelta

    import frappe
    from frappe.utils import now_datetime

    codes = [sku(i) for i in range(1, int(args["items"]) + 1)]
    warehouse = insert_warehouse(WAREHOUSE_NAME)
    # Bins at 0, as a ledger without entries says: a receipt's Bin is recomputed from the ledger
    # (qty_after_transaction), so any other figure here would not be what the receipt adds to.
    yesterday = now_datetime() - timedelta(days=1)
    insert_items(codes, yesterday)
    insert_bins(((f"{TAG}-{c}", c, warehouse, 0) for c in codes), yesterday)
    insert_store(DOMAIN, args["token"], warehouse)
    frappe.db.sql("UPDATE `tabShopify Store` SET modified = %s WHERE name = %s", (yesterday, DOMAIN))
    frappe.db.commit()
    set_overrides(ours, {DOMAIN: args["url"]})
    return {"items": len(codes), "warehouse": warehouse}


def ours(domain: str) -> bool:
    """The endpoint override of this benchmark's shop."""
    return domain == DOMAIN


def cold(_args: dict) -> dict:
    import frappe

    from nexwave_inventory_sync.erpnext_side.store_sync import run_store_sync

    log = run_store_sync(DOMAIN, trigger="Manual", force=True)
    frappe.db.commit()
    return frappe.db.get_value(
        "Shopify Log", log, ["status", "duration", "pushed", "api_calls", "error"], as_dict=True
    )


def _timed(module, name: str, spent: list[float], calls: list[str] | None = None) -> None:
    original = getattr(module, name)

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            answer = original(*args, **kwargs)
            if calls is not None:
                calls.append(answer)
            return answer
        finally:
            spent.append(time.perf_counter() - started)

    setattr(module, name, timed)


def post(args: dict) -> None:
    import frappe

    from nexwave_inventory_sync.erpnext_side import fast_path

    warehouse = frappe.db.get_value("Warehouse", {"warehouse_name": WAREHOUSE_NAME}, "name")
    company = frappe.db.get_value("Warehouse", warehouse, "company")
    spent: list[float] = []
    flushes: list = []
    # The hooks call fast_path._collect, and register fast_path.flush, by module attribute.
    _timed(fast_path, "_collect", spent)
    _timed(fast_path, "flush", spent, flushes)
    rows = int(args.get("rows", 1))
    for n in range(int(args["count"])):
        first = int(args.get("start", 1)) + n * rows
        codes = [sku(i) for i in range(first, first + rows)]
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
                        "t_warehouse": warehouse,
                        "qty": 1,
                        "basic_rate": 10,
                        "uom": "Nos",
                        "stock_uom": "Nos",
                        "conversion_factor": 1,
                    }
                    for code in codes
                ],
            }
        )
        entry.insert(ignore_permissions=True)
        entry.submit()
        frappe.db.commit()
        committed = time.time()
        wall = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "items": codes if rows <= 5 else [codes[0], codes[-1]],
                    "rows": rows,
                    "committed": committed,
                    "transaction_ms": round(wall * 1000, 2),
                    "fast_path_ms": round(sum(spent) * 1000, 3),
                    "jobs_queued": sum(len(q) for q in flushes),
                }
            ),
            flush=True,
        )
        time.sleep(float(args.get("interval_s", 0)))


def idle(args: dict) -> dict:
    """CPU of the per-minute sweeps with nothing marked: one warm-up call (first use of the
    cache connection and the doctype meta, which a worker has already paid), then the average of
    `calls` more."""
    from nexwave_inventory_sync.erpnext_side import fast_path, webhooks

    fast_path.sweep()
    webhooks.sweep()
    calls = int(args.get("calls", 20))
    started = time.process_time()
    wall = time.perf_counter()
    for _ in range(calls):
        fast_path.sweep()
        webhooks.sweep()
    return {
        "cpu_ms_per_minute": round((time.process_time() - started) * 1000 / calls, 2),
        "wall_ms_per_minute": round((time.perf_counter() - wall) * 1000 / calls, 2),
    }


def fast_logs(args: dict) -> dict:
    """The store's Fast runs started at or after `since` (site time; all when absent), and the
    site's time now (the next call's `since`)."""
    import frappe
    from frappe.utils import now_datetime

    frappe.db.rollback()  # a fresh snapshot: the workers' commits
    filters = {"trigger": "Fast", "shopify_store": DOMAIN}
    if args.get("since"):
        filters["started_at"] = [">=", args["since"]]
    rows = frappe.get_all(
        "Shopify Log",
        filters=filters,
        fields=["status", "duration", "api_calls", "pushed", "considered", "stock_read", "started_at"],
        order_by="started_at asc",
    )
    return {"now": now_datetime(), "logs": rows}


def teardown(_args: dict) -> dict:
    import frappe

    from nexwave_inventory_sync.erpnext_side.constants import CONFIRMED_LEVEL_DOCTYPE, ITEM_STORE_DOCTYPE

    if frappe.db.exists("Shopify Store", DOMAIN):
        frappe.db.delete(
            "Shopify Log Row",
            {"parent": ["in", frappe.get_all("Shopify Log", {"shopify_store": DOMAIN}, pluck="name")]},
        )
        frappe.db.delete("Shopify Log", {"shopify_store": DOMAIN})
        frappe.db.delete(ITEM_STORE_DOCTYPE, {"shopify_store": DOMAIN})
        frappe.db.delete(CONFIRMED_LEVEL_DOCTYPE, {"shopify_store": DOMAIN})
        frappe.delete_doc("Shopify Store", DOMAIN, force=True, ignore_permissions=True)
    warehouse = frappe.db.get_value("Warehouse", {"warehouse_name": WAREHOUSE_NAME}, "name")
    entries = []
    if warehouse:
        entries = frappe.db.sql_list(
            "SELECT DISTINCT parent FROM `tabStock Entry Detail` WHERE t_warehouse = %s", warehouse
        )
    delete_vouchers("Stock Entry", "Stock Entry Detail", entries)
    frappe.db.sql("DELETE FROM `tabBin` WHERE item_code LIKE %s", (f"{PREFIX}-%",))
    frappe.db.sql("DELETE FROM `tabItem` WHERE name LIKE %s", (f"{PREFIX}-%",))
    if warehouse:
        frappe.delete_doc("Warehouse", warehouse, force=True, ignore_permissions=True)
    frappe.db.commit()
    set_overrides(ours)
    return {"entries": len(entries)}


if __name__ == "__main__":
    run_command(
        {
            "setup": setup,
            "cold": cold,
            "post": post,
            "idle": idle,
            "fast_logs": fast_logs,
            "teardown": teardown,
        }
    )
