"""`nexwave-sync demo`: a cold and a warm push of a generated catalog to the embedded Shopify
emulator, then a delta run and a reconciliation, each checked against the emulated shop."""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import replace

from ..sync.api import (
    RunResult,
    ShopifyEndpoint,
    StockRow,
    SyncOptions,
    select_delta,
    shopify_quantity,
    sync_inventory,
)
from .exit_codes import EXIT_OK, EXIT_ROWS_FAILED
from .report import ProgressBar, conflict_lines, summary_table


def _demo_stock(catalog, seed: int) -> list[StockRow]:
    """ERPNext's side of the demo: a figure per (variant, location), some fractional or negative."""
    rng = random.Random(seed)
    rows = []
    for variant in catalog.variants:
        for location_id in catalog.location_ids:
            quantity = rng.choice((rng.randint(0, 500), rng.randint(0, 50) + 0.5, -rng.randint(1, 3)))
            rows.append(
                StockRow(location_id=location_id, quantity=quantity, sku=variant["sku"], ref=variant["sku"])
            )
    return rows


def _mismatches(catalog, rows: Sequence[StockRow], result: RunResult) -> int:
    """Rows whose Shopify figure differs from the quantity rule applied to ERPNext's."""
    item_by_sku = {v["sku"]: v["inventory_item_id"] for v in catalog.variants}
    skipped = {id(f.row) for f in (*result.failures, *result.unresolved_rows)}
    wrong = 0
    for row in rows:
        if id(row) in skipped:
            continue
        if catalog.available(
            row.inventory_item_id or item_by_sku[row.sku], row.location_id
        ) != shopify_quantity(row.quantity):
            wrong += 1
    return wrong


def run_demo(args: argparse.Namespace) -> int:
    from ..emulator import Catalog, Emulator

    catalog = Catalog.generate(items=args.items, locations=args.locations, seed=args.seed)
    token = "shpat_demo_token"
    print(
        f"Emulated shop: {args.items:,} variants x {args.locations} location(s), plan {args.plan}, "
        f"{args.latency_ms} ms per call, API {args.api_version}"
    )
    with Emulator(catalog, access_token=token, plan=args.plan, latency=args.latency_ms / 1000) as emulator:
        endpoint = ShopifyEndpoint(
            "demo-shop.myshopify.com", token, args.api_version, endpoint_override=emulator.base_url
        )
        options = SyncOptions(concurrency=args.concurrency)

        # Cold: ERPNext knows only SKUs; ids are resolved in bulk, then cached.
        cold_rows = _demo_stock(catalog, args.seed)
        bar = ProgressBar("cold run")
        cold = sync_inventory(endpoint, cold_rows, options=options, progress=bar)
        bar.close()

        # Warm: stock moved since; every row carries its cached inventory_item_id.
        cache = {r.sku: r.inventory_item_id for r in cold.resolved}
        warm_rows = [
            replace(r, inventory_item_id=cache.get(r.sku)) for r in _demo_stock(catalog, args.seed + 1)
        ]
        bar = ProgressBar("warm run")
        warm = sync_inventory(endpoint, warm_rows, options=options, progress=bar)
        bar.close()

        print()
        print(summary_table([("cold (resolve ids)", cold), ("warm (cached ids)", warm)]))
        wrong = _mismatches(catalog, warm_rows, warm)
        print()
        print(
            f"Emulator: {emulator.stats.calls} calls answered, {emulator.stats.throttled} THROTTLED, "
            f"{emulator.stats.mutations_applied} mutations applied."
        )
        if wrong:
            print(f"MISMATCH: {wrong:,} of {len(warm_rows):,} Shopify levels differ from ERPNext's stock.")
            return EXIT_ROWS_FAILED
        print(f"Shopify now equals ERPNext: all {len(warm_rows):,} levels match the pushed stock.")
        return _demo_delta_and_reconcile(catalog, endpoint, options, warm_rows, warm, args.seed)


def _demo_delta_and_reconcile(catalog, endpoint, options, warm_rows, warm, seed: int) -> int:
    """Delta: 50 items move in ERPNext while Shopify sells 3 of them; only those 50 are sent,
    with compare-and-set, and the policy settles the 3. Reconciliation: two admin edits in
    Shopify are found by one read and corrected."""
    from ..sync.api import ReconcileOptions, reconcile

    rng = random.Random(seed)
    confirmed = list(warm.confirmed)
    moved = set(rng.sample(range(len(warm_rows)), min(50, len(warm_rows))))
    rows = [
        replace(r, quantity=shopify_quantity(r.quantity) + 2) if k in moved else r
        for k, r in enumerate(warm_rows)
    ]
    by_key = {(lv.inventory_item_id, lv.location_id): lv for lv in confirmed}
    for k in sorted(moved)[:3]:  # Shopify sells one of three moved items before the run
        level = by_key[(rows[k].inventory_item_id, rows[k].location_id)]
        if level.quantity > 0:
            catalog.sell(level.inventory_item_id, level.location_id, 1)
    selection = select_delta(rows, confirmed)
    delta = sync_inventory(endpoint, list(selection.to_push), options=options)
    print()
    print(
        f"Delta run: {len(selection.rows):,} changed of {len(rows):,} ({selection.unchanged:,} unchanged, not sent)"
    )
    print(summary_table([("delta (compare-and-set)", delta)]))
    for line in conflict_lines(delta):
        print(line)
    edited = rows[:2]
    for row in edited:
        catalog.adjust_available(row.inventory_item_id, row.location_id, 5)  # admin edits in Shopify
    result = reconcile(endpoint, rows, options=ReconcileOptions(sync=options))
    print()
    waiting = sum(1 for d in result.plan.drifted if d.action == "wait")
    print(
        f"Reconciliation: {result.plan.compared:,} rows read ({result.read_method}, {result.read_calls} calls), "
        f"{len(result.plan.drifted)} drifted, {result.corrected} corrected"
        + (
            f", {waiting} below ERPNext left for the next reconciliation (a Shopify sale ERPNext has not "
            "imported yet is not corrected away)."
            if waiting
            else "."
        )
    )
    return EXIT_OK if delta.status.value == "Success" and result.remaining == waiting else EXIT_ROWS_FAILED
