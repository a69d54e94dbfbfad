"""The ERPNext side of the many-stores benchmark (issue 8 §3), run inside a bench's Python:

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/benchmarks/stores_site.py SITE COMMAND [JSON]

Commands (each prints one JSON line):
  setup {"items": 7300, "urls": {shop_domain: base_url}, "token": "..."}
        one warehouse, `items` stock Items named as the emulated shops' SKUs (SKU-000001 ...)
        with one Bin each, one Shopify Store per shop mapping that warehouse to location 1, and
        the shops' endpoint overrides in site_config.json (merged with what is there).
  tick  {"full": false, "reconcile": true} every bench store made due (last sync cleared; with
        "full", its last full push too, so the run pushes every row), then the real cron entry
        points as the scheduler calls them every 10 minutes: `scheduling.enqueue_due_stores()`
        and (unless "reconcile" is false) `scheduling.enqueue_due_reconciliations()`, which
        queues the stores whose reconciliation interval (default 60 minutes, on by default) has
        passed; prints the time and the stores and reconciliations enqueued.
  logs  {"since": "..."} the bench stores' Shopify Logs and Shopify Reconciliations started since then.
  change {"items": 50} moves the first `items` Bins' actual_qty, as stock entries would.
  read  times one store's stock read (the query every run starts with): wall time in Python,
        and MariaDB's own time for its queries (SHOW PROFILES).
  teardown  removes all of it (stores, their logs and cached ids, bins, items, warehouse, overrides).
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.site_records import (  # noqa: E402
    insert_bins,
    insert_items,
    insert_store,
    insert_warehouse,
    run_command,
    set_overrides,
)

TAG = "NXBENCH"
WAREHOUSE_NAME = f"{TAG} Stores"
STORE_PREFIX = "bench-store-"


def _stores() -> list[str]:
    import frappe

    return frappe.get_all(
        "Shopify Store", filters={"shop_domain": ["like", f"{STORE_PREFIX}%"]}, pluck="name"
    )


def _item_codes(items: int) -> list[str]:
    return [f"SKU-{i:06d}" for i in range(1, items + 1)]  # emulator/catalog.py's SKUs


def setup(args: dict) -> dict:
    import frappe
    from frappe.utils import now_datetime

    codes = _item_codes(args["items"])
    if frappe.db.exists("Item", codes[0]):
        raise SystemExit(f"Item {codes[0]} exists already: tear down first")
    warehouse = insert_warehouse(WAREHOUSE_NAME)
    # A catalogue whose stock last moved yesterday, as most of a real one did: the runs read
    # only items that changed since their store's last read (erpnext_side/stock_changes.py).
    yesterday = now_datetime() - timedelta(days=1)
    insert_items(codes, yesterday)
    insert_bins(((f"{TAG}-{c}", c, warehouse, (i * 31 + 7) % 250) for i, c in enumerate(codes)), yesterday)
    for domain in sorted(args["urls"]):
        insert_store(domain, args["token"], warehouse)
    # Stores set up yesterday too: a store saved within the overlap is read whole.
    frappe.db.sql(
        "UPDATE `tabShopify Store` SET modified = %s WHERE name IN %s",
        (yesterday, tuple(sorted(args["urls"]))),
    )
    frappe.db.commit()
    set_overrides(ours, args["urls"])
    return {"items": len(codes), "stores": len(args["urls"]), "warehouse": warehouse}


def ours(domain: str) -> bool:
    """The endpoint overrides of this benchmark's shops."""
    return domain.startswith(STORE_PREFIX)


def tick(args: dict) -> dict:
    import frappe
    from frappe.utils import now_datetime

    from nexwave_inventory_sync.erpnext_side.scheduling import enqueue_due_reconciliations, enqueue_due_stores

    stores = _stores()
    due = {"last_inventory_sync": None, "backoff_until": None}
    if args.get("full"):
        due["last_full_push"] = None  # full_push_due(): none ever made
    for name in stores:
        # As the scheduler sees a due store: its settings untouched (a saved store is read whole).
        frappe.db.set_value("Shopify Store", name, due, update_modified=False)
    frappe.db.commit()
    started = now_datetime()
    enqueued = [name for name in enqueue_due_stores() if name in stores]
    # A default site reconciles every store hourly from the same cron tick: its reconciliations
    # share the long queue with the syncs, and their confirmed levels decide what the next
    # delta run reads (erpnext_side/stock_changes.py). The stores' last_reconciliation is left
    # as the schedule left it.
    reconciling = (
        [name for name in enqueue_due_reconciliations() if name in stores]
        if args.get("reconcile", True)
        else []
    )
    frappe.db.commit()
    return {
        "tick": str(started),
        "enqueued": len(enqueued),
        "reconciliations_enqueued": len(reconciling),
        "stores": len(stores),
    }


def logs(args: dict) -> dict:
    import frappe

    rows = frappe.get_all(
        "Shopify Log",
        filters={"shopify_store": ["in", _stores()], "started_at": [">=", args["since"]]},
        fields=["shopify_store", "status", "started_at", "finished_at", "duration", "considered"]
        + ["pushed", "unchanged_skipped", "failed", "api_calls", "throttled_answers", "error"],
    )
    reconciliations = frappe.get_all(
        "Shopify Reconciliation",
        filters={"shopify_store": ["in", _stores()], "started_at": [">=", args["since"]]},
        fields=["shopify_store", "status", "started_at", "finished_at", "duration", "rows_compared"]
        + ["rows_drifted", "corrected", "api_calls", "read_method", "error"],
    )
    for row in rows + reconciliations:
        for key in ("started_at", "finished_at"):
            row[key] = str(row[key]) if row[key] else None
    return {"logs": rows, "reconciliations": reconciliations}


def wait(args: dict) -> dict:
    """Until `stores` logs since `since` have finished (or `timeout_s`): one connection polling
    twice a second, instead of a bench process a poll (1.3 CPU-s each on this machine, taken
    from the workers being measured). Returns what `logs` returns."""
    import frappe
    from frappe.utils.background_jobs import is_job_enqueued

    from nexwave_inventory_sync.erpnext_side.scheduling import reconcile_job_id

    deadline = time.monotonic() + float(args.get("timeout_s", 3600))
    stores = tuple(_stores())
    while time.monotonic() < deadline:
        frappe.db.rollback()  # a fresh snapshot: see the workers' commits
        finished = frappe.db.sql(
            """SELECT COUNT(*) FROM `tabShopify Log` WHERE shopify_store IN %s AND started_at >= %s
            AND finished_at IS NOT NULL""",
            (stores, args["since"]),
        )[0][0]
        # Reconciliations end when their jobs have left the queue (one that found its store's
        # sync running returns without a record and is due again at the next tick).
        if finished >= int(args["stores"]) and not any(is_job_enqueued(reconcile_job_id(s)) for s in stores):
            break
        time.sleep(0.5)
    return logs(args)


def change(args: dict) -> dict:
    import frappe
    from frappe.utils import now_datetime

    codes = _item_codes(args["items"])
    frappe.db.sql(
        "UPDATE `tabBin` SET actual_qty = actual_qty + 1, modified = %s WHERE name IN %s",
        (now_datetime(), tuple(f"{TAG}-{c}" for c in codes)),
    )
    frappe.db.commit()
    return {"changed": len(codes)}


def read(_args: dict) -> dict:
    import frappe

    from nexwave_inventory_sync.erpnext_side.stock_levels import stock_rows

    store = _stores()[0]
    # MariaDB's own time for the read's queries, apart from Python's: its query profiler
    # (deprecated in MySQL, still in MariaDB) times each statement on the server.
    frappe.db.sql("SET profiling_history_size = 100")
    frappe.db.sql("SET profiling = 1")
    started = time.perf_counter()
    rows = sum(1 for _ in stock_rows(store))
    wall = time.perf_counter() - started
    frappe.db.sql("SET profiling = 0")
    profiles = frappe.db.sql("SHOW PROFILES", as_dict=True)
    statements = [p for p in profiles if not str(p.get("Query", "")).upper().startswith("SET PROFILING")]
    return {
        "rows": rows,
        "seconds": round(wall, 3),
        "mariadb_seconds": round(sum(float(p["Duration"]) for p in statements), 3),
        "statements": len(statements),
    }


def teardown(_args: dict) -> dict:
    import frappe

    from nexwave_inventory_sync.erpnext_side.constants import CONFIRMED_LEVEL_DOCTYPE, ITEM_STORE_DOCTYPE

    stores = _stores()
    dropped_jobs = _drop_queued_jobs()
    if stores:
        for log in frappe.get_all("Shopify Log", filters={"shopify_store": ["in", stores]}, pluck="name"):
            frappe.delete_doc("Shopify Log", log, force=True, ignore_permissions=True)
        for rec in frappe.get_all(
            "Shopify Reconciliation", filters={"shopify_store": ["in", stores]}, pluck="name"
        ):
            frappe.delete_doc("Shopify Reconciliation", rec, force=True, ignore_permissions=True)
        frappe.db.delete(ITEM_STORE_DOCTYPE, {"shopify_store": ["in", stores]})
        frappe.db.delete(CONFIRMED_LEVEL_DOCTYPE, {"shopify_store": ["in", stores]})
        for name in stores:
            frappe.delete_doc("Shopify Store", name, force=True, ignore_permissions=True)
    # The Items setup made are exactly those with one of its Bins (setup refuses to run over
    # existing SKU- items).
    frappe.db.sql(
        "DELETE FROM `tabItem` WHERE name IN (SELECT item_code FROM `tabBin` WHERE name LIKE %s)",
        (f"{TAG}-%",),
    )
    frappe.db.sql("DELETE FROM `tabBin` WHERE name LIKE %s", (f"{TAG}-%",))
    warehouse = frappe.db.get_value("Warehouse", {"warehouse_name": WAREHOUSE_NAME}, "name")
    if warehouse:
        frappe.delete_doc("Warehouse", warehouse, force=True, ignore_permissions=True)
    frappe.db.commit()
    set_overrides(ours)
    return {"removed_stores": len(stores), "dropped_queued_jobs": dropped_jobs}


def _drop_queued_jobs() -> int:
    """Jobs an interrupted run left in the queue would run for the next run's stores of the same
    names, before its tick (and the tick's enqueue would skip those stores as already queued)."""
    from frappe.utils.background_jobs import get_queue
    from rq.job import Job

    from nexwave_inventory_sync.erpnext_side.scheduling import job_id, reconcile_job_id

    queue = get_queue("long")
    ours = (job_id(STORE_PREFIX), reconcile_job_id(STORE_PREFIX))
    dropped = 0
    for jid in queue.get_job_ids():
        if any(prefix in jid for prefix in ours):
            Job.fetch(jid, connection=queue.connection).delete()
            dropped += 1
    return dropped


def profile(args: dict) -> dict:
    """One store's run in this process under cProfile (force: no interval check), the first
    store's; with MariaDB's own time per statement (its query profiler)."""
    import cProfile
    import io
    import pstats

    import frappe

    from nexwave_inventory_sync.erpnext_side.store_sync import run_store_sync

    store = _stores()[0]
    frappe.db.sql("SET profiling_history_size = 100")
    frappe.db.sql("SET profiling = 1")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    cpu = time.process_time()
    profiler.enable()
    log = run_store_sync(store, trigger="Manual", force=True)
    profiler.disable()
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - started
    frappe.db.sql("SET profiling = 0")
    statements = [
        p
        for p in frappe.db.sql("SHOW PROFILES", as_dict=True)
        if not str(p.get("Query", "")).upper().startswith("SET PROFILING")
    ]
    frappe.db.commit()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(args.get("sort", "cumulative")).print_stats(args.get("top", 40))
    slow = sorted(statements, key=lambda p: -float(p["Duration"]))[:8]
    fields = ["status", "stock_read", "considered", "pushed", "api_calls"]
    return {
        "log": frappe.db.get_value("Shopify Log", log, fields, as_dict=True),
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "mariadb_s": round(sum(float(p["Duration"]) for p in statements), 3),
        "statements": len(statements),
        "slowest_statements": [(round(float(p["Duration"]), 3), str(p["Query"])[:160]) for p in slow],
        "profile": out.getvalue(),
    }


COMMANDS = {
    "profile": profile,
    "wait": wait,
    "setup": setup,
    "tick": tick,
    "logs": logs,
    "change": change,
    "read": read,
    "teardown": teardown,
}


if __name__ == "__main__":
    run_command(COMMANDS)
