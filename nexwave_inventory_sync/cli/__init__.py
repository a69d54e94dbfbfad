"""`nexwave-sync`: the demo on the embedded emulator, and a CSV push to a real store."""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections.abc import Sequence
from dataclasses import replace

from ..sync.endpoint import EndpointError, ShopifyEndpoint
from ..sync.quantity import check_safety_buffer, shopify_quantity
from ..sync.results import RunResult, RunStatus, StockRow
from ..sync.run import SyncOptions, sync_inventory
from ..sync.versions import DEFAULT_API_VERSION, UnsupportedApiVersion
from .report import ProgressBar, failure_lines, summary_table
from .stock_csv import DEFAULT_ENCODING, StockFileError, check_stock_csv, iter_stock_csv

EXIT_OK, EXIT_ABORTED, EXIT_ROWS_FAILED = 0, 1, 2
TOKEN_ENV = "SHOPIFY_ACCESS_TOKEN"


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
    return EXIT_OK


def run_push(args: argparse.Namespace) -> int:
    token = os.environ.get(TOKEN_ENV, "")
    if not token.strip():
        print(f"error: set {TOKEN_ENV} to the store's Admin API access token", file=sys.stderr)
        return EXIT_ABORTED
    try:
        check_safety_buffer(args.safety_buffer)
        if args.deadline is not None and args.deadline <= 0:
            raise ValueError(f"--deadline must be a positive number of seconds, not {args.deadline}")
        endpoint = ShopifyEndpoint(args.shop, token, args.api_version, endpoint_override=args.endpoint)
        # A first pass refuses a bad file before anything is pushed; the push then streams it.
        count = check_stock_csv(args.stock, args.encoding)
    except (EndpointError, UnsupportedApiVersion, StockFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ABORTED
    print(f"Pushing {count:,} rows to {endpoint.shop_domain} (API {endpoint.api_version})")
    bar = ProgressBar("push")
    result = sync_inventory(
        endpoint,
        iter_stock_csv(args.stock, args.encoding),
        options=SyncOptions(
            safety_buffer=args.safety_buffer, concurrency=args.concurrency, deadline_s=args.deadline
        ),
        progress=bar,
        total_rows=count,
    )
    bar.close()
    print(summary_table([("push", result)]))
    lines = failure_lines(result)
    if lines:
        print("\nRows that did not land:")
        print("\n".join(lines))
    if result.aborted:
        print(f"\nRun aborted: {result.abort_reason}", file=sys.stderr)
        return EXIT_ABORTED
    if result.error:
        print(f"\n{result.error}", file=sys.stderr)
    # 0 only when every row landed (rows untracked on Shopify are skipped by design).
    return EXIT_OK if result.status is RunStatus.SUCCESS else EXIT_ROWS_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nexwave-sync", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="cold and warm sync of a generated catalog against the embedded Shopify emulator"
    )
    demo.add_argument(
        "--items",
        type=int,
        default=7300,
        help="variants in the emulated shop (default 7300, the seed's store)",
    )
    demo.add_argument("--locations", type=int, default=1)
    demo.add_argument("--latency-ms", type=float, default=0.0, help="added to every emulated answer")
    # Plus by default: a cold 7,300-item resolution costs ~15,000 points, which a Standard
    # bucket (2,000 at 100/s) paces over ~2 minutes; --plan standard shows that pacing.
    demo.add_argument("--plan", choices=("standard", "plus"), default="plus")
    demo.add_argument("--api-version", default=DEFAULT_API_VERSION)
    demo.add_argument("--concurrency", type=int, default=SyncOptions().concurrency)
    demo.add_argument("--seed", type=int, default=1)
    demo.set_defaults(handler=run_demo)

    push = commands.add_parser(
        "push", help=f"push a CSV of sku,location_id,quantity; the token comes from ${TOKEN_ENV}"
    )
    push.add_argument("--shop", required=True, help="your-shop.myshopify.com")
    push.add_argument("--stock", required=True, help="CSV with header sku,location_id,quantity")
    push.add_argument("--api-version", default=DEFAULT_API_VERSION)
    push.add_argument(
        "--endpoint", help="base URL of an emulator on loopback, e.g. http://127.0.0.1:8080 (tests and demos)"
    )
    push.add_argument(
        "--safety-buffer", type=float, default=0, help="units held back from Shopify per row (0 or more)"
    )
    push.add_argument(
        "--encoding",
        default=DEFAULT_ENCODING,
        help="the CSV's text encoding (default UTF-8; a file saved by Excel may need cp1252)",
    )
    push.add_argument(
        "--deadline",
        type=float,
        default=None,
        help="seconds the whole push may take; rows not sent by then are listed and the exit code is 2",
    )
    push.add_argument("--concurrency", type=int, default=SyncOptions().concurrency)
    push.set_defaults(handler=run_push)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
