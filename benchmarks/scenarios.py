"""The benchmark scenarios of issue 5. Each returns a list of table rows (dicts)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace

from nexwave_inventory_sync.emulator import Catalog, Emulator, FakeClock
from nexwave_inventory_sync.sync.endpoint import ShopifyEndpoint
from nexwave_inventory_sync.sync.limits import BATCH_SIZE
from nexwave_inventory_sync.sync.results import RunResult, StockRow
from nexwave_inventory_sync.sync.run import SyncOptions, sync_inventory
from nexwave_inventory_sync.sync.versions import DEFAULT_API_VERSION

from .measure import run_in_child
from .old_path import push_old_way

TOKEN = "shpat_benchmark_token"


def _endpoint(emulator: Emulator) -> ShopifyEndpoint:
    return ShopifyEndpoint("bench-shop.myshopify.com", TOKEN, endpoint_override=emulator.base_url)


def _stock(items: int, locations: int, seed: int) -> list[StockRow]:
    return [
        StockRow(
            location_id=f"gid://shopify/Location/{j}",
            quantity=(i * 31 + j * 7 + seed) % 250,
            sku=f"SKU-{i:06d}",
            ref=f"ITEM-{i}",
        )
        for i in range(1, items + 1)
        for j in range(1, locations + 1)
    ]


def _row(label: str, result: RunResult, **extra) -> dict:
    return {
        "run": label,
        "rows": result.considered,
        "pushed": result.pushed,
        "calls": result.api_calls,
        "mutations": result.calls_by_operation.get("SetInventoryQuantities", 0),
        "THROTTLED": result.throttled_answers,
        "pauses": result.throttle_waits,
        "waited_s": round(result.seconds_waited, 2),
        "wall_s": round(result.duration_s, 2),
        **extra,
    }


def seed_case(
    items: int, latency_ms: float, plan: str, concurrency: int, cold: bool = True
) -> tuple[list[dict], dict]:
    """Cold (ids resolved from SKUs) then warm (cached ids) push of the seed's store; with
    cold=False only the warm push, its ids known as ERPNext's cache would hold them.

    The warm push meets a full bucket, as a scheduled run does (runs are 10+ minutes apart
    and a bucket refills in 20 s); pushed straight after a cold run that emptied it, it
    costs one THROTTLED answer more, sent before the first answer shows the bucket empty."""
    catalog = Catalog.generate(items=items, locations=1, seed=0)
    options = SyncOptions(concurrency=concurrency)
    common = {"latency_ms": latency_ms, "plan": plan, "k": concurrency}
    rows, results = [], {}

    def shop() -> Emulator:
        return Emulator(
            catalog, access_token=TOKEN, plan=plan, latency=latency_ms / 1000, keep_requests=False
        )

    if cold:
        with shop() as emulator:
            results["cold"] = sync_inventory(_endpoint(emulator), _stock(items, 1, 0), options=options)
        rows.append(_row("cold", results["cold"], **common))
        cache = {r.sku: r.inventory_item_id for r in results["cold"].resolved}
    else:
        cache = {f"SKU-{i:06d}": f"gid://shopify/InventoryItem/{i}" for i in range(1, items + 1)}
    warm_rows = [replace(r, inventory_item_id=cache[r.sku]) for r in _stock(items, 1, 1)]
    with shop() as emulator:
        results["warm"] = sync_inventory(_endpoint(emulator), warm_rows, options=options)
    rows.append(_row("warm", results["warm"], **common))
    return rows, results


def old_path_case(items: int, latency_ms: float, sample: int | None) -> dict:
    """The old connector's per-item path; at high latency a sample is timed and scaled."""
    measured = min(items, sample) if sample else items
    catalog = Catalog.generate(items=items, locations=1, seed=0)
    clock = FakeClock()
    with Emulator(
        catalog,
        access_token=TOKEN,
        plan="standard",
        clock=clock,
        latency=latency_ms / 1000,
        keep_requests=False,
    ) as emulator:
        rows = [(i, 1, (i * 31 + 7) % 250) for i in range(1, measured + 1)]
        with_sleep = push_old_way(
            emulator.base_url, DEFAULT_API_VERSION, TOKEN, rows, clock, sleep_between=1.0
        )
        no_sleep = push_old_way(emulator.base_url, DEFAULT_API_VERSION, TOKEN, rows, clock, sleep_between=0.0)
    scale = items / measured
    return {
        "items": items,
        "measured_items": measured,
        "calls": round(with_sleep.calls * scale),
        "wall_s_with_sleep": round(with_sleep.wall_s * scale, 1),
        "calls_no_sleep": round(no_sleep.calls * scale),
        "429s_no_sleep": round(no_sleep.rate_limited * scale),
        "wall_s_no_sleep": round(no_sleep.wall_s * scale, 1),
        "failed": with_sleep.failed + no_sleep.failed,
    }


def delta_case(items: int, changed: int, latency_ms: float) -> dict:
    catalog = Catalog.generate(items=items, locations=1, seed=0)
    with Emulator(
        catalog, access_token=TOKEN, plan="standard", latency=latency_ms / 1000, keep_requests=False
    ) as emulator:
        rows = [
            StockRow(
                location_id="gid://shopify/Location/1",
                quantity=i % 40,
                inventory_item_id=f"gid://shopify/InventoryItem/{i}",
            )
            for i in range(1, items + 1, max(1, items // changed))
        ][:changed]
        result = sync_inventory(_endpoint(emulator), rows)
    return {
        "changed": changed,
        "of": items,
        "latency_ms": latency_ms,
        "calls": result.api_calls,
        "wall_s": round(result.duration_s, 2),
        "pushed": result.pushed,
    }


def scale_case(items: int, locations: int, plan: str, latency_ms: float, concurrency: int) -> dict:
    """A warm push with the emulator in one process and the engine in another (RSS is the engine's)."""
    emulator = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.emulator_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        emulator.stdin.write(
            json.dumps(
                {
                    "items": items,
                    "locations": locations,
                    "plan": plan,
                    "latency_ms": latency_ms,
                    "token": TOKEN,
                }
            )
            + "\n"
        )
        emulator.stdin.flush()
        base_url = emulator.stdout.readline().strip()
        numbers = run_in_child(
            "benchmarks.engine_process",
            {
                "base_url": base_url,
                "token": TOKEN,
                "items": items,
                "locations": locations,
                "concurrency": concurrency,
            },
        )
    finally:
        emulator.stdin.close()
        served = emulator.stdout.read()
        emulator.wait(timeout=60)
    served_numbers = json.loads(served.strip().splitlines()[-1]) if served.strip() else {}
    rows = items * locations
    return {
        "items": items,
        "locations": locations,
        "rows": rows,
        "plan": plan,
        "latency_ms": latency_ms,
        "k": concurrency,
        "calls": numbers["calls"],
        "ceil(rows/250)": math.ceil(rows / BATCH_SIZE),
        "THROTTLED": served_numbers.get("throttled"),
        "waited_s": numbers["seconds_waited"],
        "wall_s": numbers["wall_s"],
        "peak_rss_mb": numbers["peak_rss_mb"],
        "failed": numbers["failed"],
    }


def peer_case(items: int, latency_ms: float, interval_min: float = 60) -> tuple[dict, list[dict]]:
    """frappe/ecommerce_integrations' inventory loop (benchmarks/peer_ecommerce_integrations.py)
    over every item, run after run until all rows land, on REST's Standard bucket with
    `latency_ms` of virtual time per call. Returns the summary and one table row per run."""
    from . import peer_ecommerce_integrations as peer

    catalog = Catalog.generate(items=items, locations=1, seed=0)
    clock = FakeClock()
    emulator = Emulator(catalog, access_token=TOKEN, plan="standard", clock=clock, keep_requests=False)
    emulator.virtual_latency = latency_ms / 1000
    with emulator:
        session = peer.open_session(emulator.base_url, "bench-shop.myshopify.com", TOKEN)
        try:
            location = peer.location_ids()[0]
            clock.advance(3600)  # the setup happened long before the first scheduled run
            rows = [peer.PeerRow(i, location, (i * 31 + 7) % 250) for i in range(1, items + 1)]
            runs = peer.push_until_landed(rows, clock, interval_min=interval_min)
        finally:
            session.__exit__(None, None, None)
        wrong = sum(
            catalog.available(
                f"gid://shopify/InventoryItem/{r.variant_id}", f"gid://shopify/Location/{location}"
            )
            != r.available
            for r in rows
        )
    per_run = [
        {
            "run": run.run,
            "pending": run.pending,
            "calls": run.calls,
            "429s": run.throttled,
            "landed": run.landed,
            "failed (next run)": run.failed,
            "wall_s": round(run.wall_s, 1),
        }
        for run in runs
    ]
    summary = {
        "items": items,
        "latency_ms": latency_ms,
        "runs until all land": len(runs) if not runs[-1].failed else f"> {len(runs)}",
        "calls": sum(run.calls for run in runs),
        "429s": sum(run.throttled for run in runs),
        "landed in run 1": runs[0].landed,
        "run 1 wall_s": round(runs[0].wall_s, 1),
        f"hours until all land ({interval_min:g} min interval)": round(
            peer.hours_until_landed(runs, interval_min), 2
        ),
        "rows wrong at the end": wrong,
    }
    return summary, per_run
