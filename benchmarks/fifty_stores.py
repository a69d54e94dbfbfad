"""Many stores on Frappe's own workers (issue 8 §3), on a real bench:

    flock /tmp/bench-v15.lock .venv/bin/python -m benchmarks.fifty_stores --stores 5 [--items 7300]

One process serves every emulated shop (benchmarks/shops_process.py: its own catalog, bucket and
port each, `--latency-ms` per answer); the site gets one Shopify Store per shop
(benchmarks/stores_site.py); `--workers` `bench worker --queue long` processes drain the queue
that the real cron entry point (`scheduling.enqueue_due_stores`) fills. Four ticks: the first
(cold: ids resolved from SKUs, every row pushed), one where nothing changed (delta), one after
`--changed` items per store moved (delta), and a full push of every row with the ids known.
Everything made on the site is removed at the end, and the app symlink is put back.
Prints one JSON document and, with `--plot PNG`, plots stores finished against time since the
tick (matplotlib, `pip install -e '.[bench]'`); not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "shpat_benchmark_token"


def bench_python(bench: Path, site: str, command: str, args: dict | None = None) -> dict:
    done = subprocess.run(
        [
            str(bench / "env/bin/python"),
            str(ROOT / "benchmarks/stores_site.py"),
            site,
            command,
            json.dumps(args or {}),
        ],
        cwd=bench / "sites",
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"stores_site {command}: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def link_app(bench: Path, site: str, checkout: Path) -> None:
    """Point the bench's app at `checkout` and migrate. The editable install is made again too:
    it records the checkout the link pointed at when it was made, and Python imports from there,
    whatever the link says now."""
    link = bench / "apps/nexwave_inventory_sync"
    os.remove(link)
    os.symlink(checkout, link)
    subprocess.run(
        [str(bench / "env/bin/python"), "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(link)],
        check=True,
        env={**os.environ, "PIP_IGNORE_REQUIRES_PYTHON": "1"},
    )
    subprocess.run(
        [str(bench / "env/bin/python"), "-m", "frappe.utils.bench_helper", "frappe", "--site", site]
        + ["migrate", "--skip-search-index"],
        cwd=bench / "sites",
        check=True,
        stdout=subprocess.DEVNULL,
    )


def start_workers(bench: Path, count: int) -> list[subprocess.Popen]:
    """`bench worker --queue long`, as the bench CLI runs it (frappe's bench_helper)."""
    return [
        subprocess.Popen(
            [
                str(bench / "env/bin/python"),
                "-m",
                "frappe.utils.bench_helper",
                "frappe",
                "worker",
                "--queue",
                "long",
            ],
            cwd=bench / "sites",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # stopped as a group at the end
        )
        for _ in range(count)
    ]


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def sample_rss(workers: list[subprocess.Popen], peaks: list[float]) -> None:
    """The largest process of each worker: the worker, or the work horse it forked for a job
    (RQ's horse calls setsid(), so it is found by its parent, not by its session)."""
    owners = {worker.pid: index for index, worker in enumerate(workers)}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        index = owners.get(pid)
        if index is None:
            index = owners.get(_parent(pid))
        if index is not None:
            peaks[index] = max(peaks[index], _rss_mb(pid))


def run_tick(
    bench: Path, site: str, workers: list[subprocess.Popen], stores: int, timeout_s: float, full: bool = False
) -> dict:
    peaks = [0.0] * len(workers)
    ticked = bench_python(bench, site, "tick", {"full": full})
    started = time.perf_counter()
    done: list[dict] = []
    while time.perf_counter() - started < timeout_s:
        sample_rss(workers, peaks)
        logs = bench_python(bench, site, "logs", {"since": ticked["tick"]})["logs"]
        done = [log for log in logs if log["finished_at"]]
        if len(done) >= stores:
            break
        time.sleep(2.0)
    tick_at = dt.datetime.fromisoformat(ticked["tick"])
    offsets = sorted(
        round((dt.datetime.fromisoformat(log["finished_at"]) - tick_at).total_seconds(), 1) for log in done
    )
    durations = sorted(float(log["duration"] or 0) for log in done)
    return {
        "enqueued": ticked["enqueued"],
        "finished": len(done),
        "tick_to_last_log_s": offsets[-1] if offsets else None,
        "run_s_median": durations[len(durations) // 2] if durations else None,
        "run_s_max": durations[-1] if durations else None,
        "calls": sum(log["api_calls"] or 0 for log in done),
        "throttled": sum(log["throttled_answers"] or 0 for log in done),
        "pushed": sum(log["pushed"] or 0 for log in done),
        "unchanged_skipped": sum(log["unchanged_skipped"] or 0 for log in done),
        "failed": sum(log["failed"] or 0 for log in done),
        "statuses": sorted({log["status"] for log in done}),
        "errors": sorted({log["error"] for log in done if log["error"]})[:3],
        "peak_rss_mb_per_worker": [round(p) for p in peaks],
        "finished_offsets_s": offsets,
    }


TICKS = (
    ("first_tick", "first (cold: ids resolved, all rows)"),
    ("unchanged_tick", "nothing changed (delta)"),
    ("changed_tick", "changed items (delta)"),
    ("full_tick", "full push, ids known"),
)


def plot_ticks(report: dict, path: Path) -> bool:
    from benchmarks.report import plot

    series = {}
    for key, label in TICKS:
        offsets = (report.get(key) or {}).get("finished_offsets_s") or []
        if offsets:
            series[label] = [(0.0, 0)] + [(offset, n) for n, offset in enumerate(offsets, start=1)]
    return plot(
        path,
        f"{report['shops']} stores x {report['items']:,} items, {report['workers']} bench workers",
        "seconds since the cron tick",
        "stores whose run has finished",
        series,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.fifty_stores", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--bench", default=str(Path.home() / "frappe-bench"))
    parser.add_argument("--site", default=None, help="default: the bench's default_site")
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--items", type=int, default=7300)
    parser.add_argument("--latency-ms", type=float, default=300)
    parser.add_argument("--plan", default="standard")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--changed", type=int, default=50)
    parser.add_argument("--tick-timeout-s", type=float, default=3600)
    parser.add_argument("--plot", default=None, help="write a PNG of stores finished over time")
    args = parser.parse_args(argv)
    bench = Path(args.bench)
    site = args.site or json.loads((bench / "sites/common_site_config.json").read_text())["default_site"]
    link = bench / "apps/nexwave_inventory_sync"
    previous_target = os.readlink(link)
    link_app(bench, site, ROOT)  # the bench runs this checkout while the lock is held

    shops = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.shops_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    request = {"shops": args.stores, "items": args.items, "plan": args.plan, "latency_ms": args.latency_ms}
    shops.stdin.write(json.dumps({**request, "token": TOKEN}) + "\n")
    shops.stdin.flush()
    urls = json.loads(shops.stdout.readline())
    workers: list[subprocess.Popen] = []
    report: dict = {"site": site, **request, "workers": args.workers, "changed": args.changed}
    try:
        bench_python(bench, site, "teardown")  # leftovers of an interrupted run
        report["setup"] = bench_python(
            bench, site, "setup", {"items": args.items, "urls": urls, "token": TOKEN}
        )
        workers = start_workers(bench, args.workers)
        time.sleep(3)
        report["first_tick"] = run_tick(bench, site, workers, args.stores, args.tick_timeout_s)
        print(json.dumps(report["first_tick"]), flush=True)
        report["stock_read"] = bench_python(bench, site, "read")
        report["unchanged_tick"] = run_tick(bench, site, workers, args.stores, args.tick_timeout_s)
        print(json.dumps(report["unchanged_tick"]), flush=True)
        bench_python(bench, site, "change", {"items": args.changed})
        report["changed_tick"] = run_tick(bench, site, workers, args.stores, args.tick_timeout_s)
        print(json.dumps(report["changed_tick"]), flush=True)
        report["full_tick"] = run_tick(bench, site, workers, args.stores, args.tick_timeout_s, full=True)
        print(json.dumps(report["full_tick"]), flush=True)
    finally:
        for worker in workers:
            try:
                os.killpg(worker.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for worker in workers:
            worker.wait(timeout=30)
        report["teardown"] = bench_python(bench, site, "teardown")
        shops.stdin.close()
        report["emulator"] = json.loads(shops.stdout.readline() or "{}")
        shops.wait(timeout=30)
        link_app(bench, site, Path(previous_target))
    report["emulator_calls"] = sum(s["calls"] for s in report["emulator"].values())
    report["emulator_throttled"] = sum(s["throttled"] for s in report["emulator"].values())
    del report["emulator"]
    if args.plot:
        report["plot"] = args.plot if plot_ticks(report, Path(args.plot)) else "not written: no matplotlib"
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
