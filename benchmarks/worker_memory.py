"""Peak memory of a whole store run inside a real RQ worker: ERPNext's stock query, the engine,
the id cache and the log, for N items x 5 locations (default 100,000 x 5 = 500,000 rows).

Runs inside a bench's Python, from its sites folder (it needs frappe and erpnext):
    cd ~/frappe-bench/sites && ../env/bin/python /path/to/benchmarks/worker_memory.py SITE [ITEMS]
It bulk-inserts tagged Items, Warehouses and Bins and commits them (the worker is another
process), serves the shop from an emulator process, runs the store cold then warm through
`bench worker --burst`, samples the work-horse's RSS (VmHWM from /proc) and removes its data.
Prints one JSON line per run. A measurement, not a pass/fail test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

LOCATIONS = 5
TOKEN = "shpat_worker_memory_bench"
REPO = Path(__file__).resolve().parent.parent


def kib(status_file: Path, field: str) -> int:
    for line in status_file.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def start_emulator(items: int) -> tuple[subprocess.Popen, str]:
    emulator = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.emulator_process"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    emulator.stdin.write(
        json.dumps({"items": items, "locations": LOCATIONS, "token": TOKEN, "plan": "plus", "latency_ms": 0})
        + "\n"
    )
    emulator.stdin.flush()
    return emulator, emulator.stdout.readline().strip()


def seed(tag: str, items: int) -> tuple[list[str], list[str]]:
    import frappe
    from frappe.utils import now_datetime

    company = frappe.db.get_value("Company", {}, "name")
    parent = frappe.db.get_value("Warehouse", {"company": company, "is_group": 1}, "name")
    warehouses = []
    for n in range(LOCATIONS):
        doc = frappe.get_doc(
            {
                "doctype": "Warehouse",
                "warehouse_name": f"Mem {tag} {n}",
                "company": company,
                "parent_warehouse": parent,
            }
        ).insert(ignore_permissions=True)
        warehouses.append(doc.name)
    now = now_datetime()
    codes = [f"MEM-{tag}-{i:06d}" for i in range(1, items + 1)]
    fields = ["name", "item_code", "item_name", "item_group", "stock_uom", "is_stock_item", "disabled"]
    stamp = ["creation", "modified", "owner", "modified_by"]
    # item_name carries the emulator's SKU (SKU-000001 ...); the store matches on it.
    frappe.db.bulk_insert(
        "Item",
        fields + stamp,
        [
            (c, c, f"SKU-{i:06d}", "All Item Groups", "Nos", 1, 0, now, now, "Administrator", "Administrator")
            for i, c in enumerate(codes, 1)
        ],
        chunk_size=5000,
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
            *stamp,
        ],
        [
            (f"{c}-{j}", c, w, (i * 7 + j) % 90, 0, 0, 0, 0, now, now, "Administrator", "Administrator")
            for i, c in enumerate(codes)
            for j, w in enumerate(warehouses)
        ],
        chunk_size=5000,
    )
    frappe.db.commit()
    return codes, warehouses


def run_in_worker(store_name: str, bench_sites: str) -> dict:
    import frappe
    import psutil

    from nexwave_inventory_sync.erpnext_side.scheduling import enqueue_store_sync

    assert enqueue_store_sync(store_name, trigger="Manual", force=True)
    frappe.db.commit()
    started = time.monotonic()
    worker = subprocess.Popen(
        [sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "worker", "--queue", "long", "--burst"],
        cwd=bench_sites,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak_rss, peak_hwm, worker_rss = 0, 0, 0
    parent = psutil.Process(worker.pid)
    while worker.poll() is None:
        try:
            worker_rss = max(worker_rss, parent.memory_info().rss)
            for horse in parent.children():
                peak_rss = max(peak_rss, horse.memory_info().rss)
                peak_hwm = max(peak_hwm, kib(Path(f"/proc/{horse.pid}/status"), "VmHWM") * 1024)
        except (psutil.NoSuchProcess, FileNotFoundError):
            pass
        time.sleep(0.1)
    frappe.db.rollback()
    log = frappe.get_last_doc("Shopify Log", filters={"shopify_store": store_name})
    return {
        "status": log.status,
        "considered": log.considered,
        "pushed": log.pushed,
        "api_calls": log.api_calls,
        "run_seconds": log.duration,
        "wall_seconds": round(time.monotonic() - started, 1),
        "horse_peak_rss_mb": round(max(peak_rss, peak_hwm) / 2**20, 1),
        "worker_rss_mb": round(worker_rss / 2**20, 1),
    }


def cleanup(tag: str, store_name: str | None, warehouses: list[str]) -> None:
    import frappe

    frappe.db.rollback()
    if store_name:
        logs = frappe.get_all("Shopify Log", {"shopify_store": store_name}, pluck="name")
        if logs:
            frappe.db.delete("Shopify Log Row", {"parent": ["in", logs]})
            frappe.db.delete("Shopify Log", {"name": ["in", logs]})
        frappe.db.delete("Shopify Store Location", {"parent": store_name})
        frappe.db.delete("Shopify Store", {"name": store_name})
        frappe.db.delete("Item Shopify Store", {"shopify_store": store_name})
    frappe.db.sql("DELETE FROM `tabBin` WHERE item_code LIKE %s", f"MEM-{tag}-%")
    frappe.db.sql("DELETE FROM `tabItem` WHERE name LIKE %s", f"MEM-{tag}-%")
    for warehouse in warehouses:
        frappe.delete_doc("Warehouse", warehouse, force=True, ignore_permissions=True)
    frappe.db.commit()


def main() -> None:
    import frappe
    from frappe.installer import update_site_config

    from nexwave_inventory_sync.erpnext_side.constants import ENDPOINT_OVERRIDES_KEY

    site = sys.argv[1]
    items = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    bench_sites = os.getcwd()
    frappe.init(site=site, sites_path=".")
    frappe.connect()
    tag = frappe.generate_hash(length=5).upper()
    domain = f"mem-{tag.lower()}.myshopify.com"
    emulator, url = start_emulator(items)
    store_name, warehouses = None, []
    try:
        _codes, warehouses = seed(tag, items)
        overrides = dict(frappe.get_site_config().get(ENDPOINT_OVERRIDES_KEY) or {})
        overrides[domain] = url
        update_site_config(ENDPOINT_OVERRIDES_KEY, overrides)
        store_name = (
            frappe.get_doc(
                {
                    "doctype": "Shopify Store",
                    "shop_domain": domain,
                    "access_token": TOKEN,
                    "sku_field": "item_name",
                    "locations": [
                        {"warehouse": w, "shopify_location_id": str(j + 1)} for j, w in enumerate(warehouses)
                    ],
                }
            )
            .insert(ignore_permissions=True)
            .name
        )
        frappe.db.commit()
        for label in ("cold", "warm"):
            result = {
                "run": label,
                "items": items,
                "locations": LOCATIONS,
                **run_in_worker(store_name, bench_sites),
            }
            print(json.dumps(result), flush=True)
    finally:
        cleanup(tag, store_name, warehouses)
        overrides = dict(frappe.get_site_config().get(ENDPOINT_OVERRIDES_KEY) or {})
        overrides.pop(domain, None)
        update_site_config(ENDPOINT_OVERRIDES_KEY, overrides)
        emulator.stdin.close()
        emulator.wait()
        frappe.destroy()


if __name__ == "__main__":
    main()
