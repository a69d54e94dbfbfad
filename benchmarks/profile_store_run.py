"""Where one store's delta run spends its time, on a real bench (issue 8 §3's delta ticks):

    flock /tmp/bench-v15.lock .venv/bin/python -m benchmarks.profile_store_run [--items 7300]

Sets up one store as benchmarks/fifty_stores.py does (one emulated shop, `--plan` bucket, no
added latency), runs it cold, then profiles in the bench's own Python (cProfile, and MariaDB's
query profiler) a run with nothing changed and one after `--changed` Bins moved. Prints each
profile; everything made on the site is removed and the app symlink put back. Not a test.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.bench_harness import ROOT, TOKEN, app_target, bench_site, link_app, start_shops
from benchmarks.fifty_stores import bench_python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_store_run")
    parser.add_argument("--bench", default=str(Path.home() / "frappe-bench"))
    parser.add_argument("--site", default=None, help="default: the bench's default_site")
    parser.add_argument("--items", type=int, default=7300)
    parser.add_argument("--plan", default="plus", help="the cold run's scan is quicker on a bigger bucket")
    parser.add_argument("--changed", type=int, default=50)
    parser.add_argument("--sort", default="cumulative", help="pstats sort key")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    bench = Path(args.bench)
    site = bench_site(bench, args.site)
    previous_target = app_target(bench)
    link_app(bench, site, ROOT)
    shops, urls = start_shops({"shops": 1, "items": args.items, "plan": args.plan, "latency_ms": 0})
    profile = {"sort": args.sort, "top": args.top}
    try:
        bench_python(bench, site, "teardown")
        bench_python(bench, site, "setup", {"items": args.items, "urls": urls, "token": TOKEN})
        cold = bench_python(bench, site, "profile", {"top": 0})
        print("cold:", json.dumps(cold["log"], default=str), flush=True)
        for label, change in (("nothing changed", 0), (f"{args.changed} changed", args.changed)):
            if change:
                bench_python(bench, site, "change", {"items": change})
            report = bench_python(bench, site, "profile", profile)
            text = report.pop("profile")
            print(f"\n===== {label}: {json.dumps(report, default=str, indent=1)}\n{text}", flush=True)
    finally:
        bench_python(bench, site, "teardown")
        shops.stdin.close()
        shops.wait(timeout=30)
        link_app(bench, site, previous_target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
