"""How long a stock change takes to reach Shopify on the fast path (issue 17 §1), one store, on a
real bench:

    flock /tmp/bench-v15.lock .venv/bin/python -m benchmarks.fast_path_latency [--entries 20]

One emulated shop in this process (`--items` variants, `--latency-ms` per answer); the site gets
the benchmark store (benchmarks/stores_site.py setup); `--workers` `bench worker --queue long`
processes run its jobs. After one cold scheduled run (every row confirmed), benchmarks/
fast_path_site.py submits `--entries` Material Receipts one every `--interval-s` seconds; this
process watches the shop's levels every 50 ms and takes, per entry, the time from its commit to
the new level on the shop. Then one receipt of `--bulk-rows` rows (a bulk change: how many runs,
and the time to its last row). Prints one JSON report; the site is cleaned up and the app
symlink put back. Not a test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks import bench_harness
from benchmarks.bench_harness import (
    ROOT,
    TOKEN,
    app_target,
    bench_site,
    link_app,
    numbered_catalog,
    start_workers,
    stop_workers,
)
from benchmarks.fast_path_site import DOMAIN, sku
from nexwave_inventory_sync.emulator import Catalog, Emulator

LOCATION = "gid://shopify/Location/1"
SITE_SCRIPT = "fast_path_site.py"


def site_command(bench: Path, site: str, command: str, args: dict) -> subprocess.Popen:
    return bench_harness.site_command(bench, site, SITE_SCRIPT, command, args)


def site_json(bench: Path, site: str, command: str, args: dict | None = None) -> dict:
    return bench_harness.site_json(bench, site, SITE_SCRIPT, command, args)


def fast_logs(bench: Path, site: str, since: str | None = None) -> tuple[str, list[dict]]:
    """(the site's time now, the store's Fast runs since `since`)."""
    answer = site_json(bench, site, "fast_logs", {"since": since})
    return answer["now"], answer["logs"]


def shop_catalog(items: int) -> Catalog:
    """The benchmark's own SKUs (FPL-...), numbered as Catalog.generate numbers its variants."""
    return numbered_catalog(items, sku)


class Watcher:
    """Notes the first moment each watched item's level passes the figure it had."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.before: dict[str, int] = {}
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def watch(self, sku: str) -> None:
        item = self._item(sku)
        with self.lock:
            self.before[item] = self.catalog.available(item, LOCATION)

    def _item(self, sku: str) -> str:
        return f"gid://shopify/InventoryItem/{int(sku.split('-')[1])}"  # shop_catalog's numbering

    def seen_at(self, sku: str) -> float | None:
        return self.seen.get(self._item(sku))

    def run(self) -> None:
        while not self.stop.wait(0.05):
            now = time.time()
            with self.lock:
                waiting = [i for i in self.before if i not in self.seen]
            for item in waiting:
                if self.catalog.available(item, LOCATION) != self.before[item]:
                    self.seen[item] = now


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))], 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fast_path_latency")
    parser.add_argument("--bench", default=str(Path.home() / "frappe-bench"))
    parser.add_argument("--site", default=None)
    parser.add_argument("--items", type=int, default=7300)
    parser.add_argument("--latency-ms", type=float, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--interval-s", type=float, default=3.0)
    parser.add_argument("--bulk-rows", type=int, default=1000)
    parser.add_argument("--wait-s", type=float, default=120)
    args = parser.parse_args(argv)
    bench = Path(args.bench)
    site = bench_site(bench, args.site)
    previous_target = app_target(bench)
    link_app(bench, site, ROOT)

    catalog = shop_catalog(args.items)
    shop = Emulator(
        catalog, access_token=TOKEN, shop_domain=DOMAIN, plan="standard", latency=args.latency_ms / 1000
    ).start()
    watcher = Watcher(catalog)
    watching = threading.Thread(target=watcher.run, daemon=True)
    watching.start()
    workers: list[subprocess.Popen] = []
    report: dict = {"items": args.items, "latency_ms": args.latency_ms, "workers": args.workers}
    try:
        site_json(bench, site, "teardown")  # leftovers of an interrupted run
        report["setup"] = site_json(
            bench, site, "setup", {"items": args.items, "url": shop.base_url, "token": TOKEN}
        )
        report["cold_run"] = site_json(bench, site, "cold")
        workers = start_workers(bench, args.workers)
        time.sleep(3)
        calls_before = shop.stats.calls
        since, _logs = fast_logs(bench, site)
        for n in range(args.entries):
            watcher.watch(sku(n + 1))
        poster = site_command(
            bench, site, "post", {"count": args.entries, "interval_s": args.interval_s, "start": 1}
        )
        out, err = poster.communicate()
        if poster.returncode:
            raise RuntimeError(err[-2000:])
        entries = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        deadline = time.time() + args.wait_s
        while time.time() < deadline and any(watcher.seen_at(e["items"][0]) is None for e in entries):
            time.sleep(0.2)
        latencies = [
            watcher.seen_at(e["items"][0]) - e["committed"]
            for e in entries
            if watcher.seen_at(e["items"][0]) is not None
        ]
        time.sleep(5)  # the last run's log
        _now, logs = fast_logs(bench, site, since)
        report["single_entries"] = {
            "entries": len(entries),
            "reached_shopify": len(latencies),
            "latency_s_p50": percentile(latencies, 0.5),
            "latency_s_p95": percentile(latencies, 0.95),
            "latency_s_max": round(max(latencies), 2) if latencies else None,
            "transaction_ms_median": percentile([e["transaction_ms"] for e in entries], 0.5),
            "fast_path_ms_median": percentile([e["fast_path_ms"] for e in entries], 0.5),
            "fast_path_ms_max": max((e["fast_path_ms"] for e in entries), default=None),
            "fast_runs": len(logs),
            "shopify_calls": shop.stats.calls - calls_before,
            "run_statuses": sorted({log["status"] for log in logs}),
        }
        print(json.dumps(report["single_entries"]), flush=True)
        if args.bulk_rows:
            since, _logs = fast_logs(bench, site)
            calls_before = shop.stats.calls
            start = args.entries + 1
            bulk = [sku(i) for i in range(start, start + args.bulk_rows)]
            for code in bulk:
                watcher.watch(code)
            poster = site_command(
                bench, site, "post", {"count": 1, "rows": args.bulk_rows, "start": start, "interval_s": 0}
            )
            out, err = poster.communicate()
            if poster.returncode:
                raise RuntimeError(err[-2000:])
            entry = json.loads(out.splitlines()[-1])
            deadline = time.time() + args.wait_s
            while time.time() < deadline and any(watcher.seen_at(code) is None for code in bulk):
                time.sleep(0.2)
            time.sleep(5)
            logs = json.loads(site_command(bench, site, "fast_logs", {"since": since}).communicate()[0])[
                "logs"
            ]
            seen = max((watcher.seen_at(code) or 0 for code in bulk), default=0) or None
            report["bulk_entry"] = {
                "rows": args.bulk_rows,
                "transaction_s": round(entry["transaction_ms"] / 1000, 2),
                "fast_path_ms": entry["fast_path_ms"],
                "rows_reached_shopify": sum(1 for code in bulk if watcher.seen_at(code) is not None),
                "rows_not_seen": [code for code in bulk if watcher.seen_at(code) is None][:5],
                "last_row_latency_s": round(seen - entry["committed"], 2) if seen else None,
                "jobs_queued": entry["jobs_queued"],
                "fast_runs": len(logs),
                "runs": [(log["started_at"], log["pushed"], log["stock_read"]) for log in logs],
                "pushed": sum(log["pushed"] or 0 for log in logs),
                "api_calls": shop.stats.calls - calls_before,
                "run_statuses": sorted({log["status"] for log in logs}),
            }
            print(json.dumps(report["bulk_entry"]), flush=True)
        report["idle_sweep"] = site_json(bench, site, "idle")
    finally:
        watcher.stop.set()
        stop_workers(workers)
        report["teardown"] = site_json(bench, site, "teardown")
        shop.stop()
        link_app(bench, site, previous_target)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
