"""Run one warm push in its own process and report its numbers, peak RSS included. Rows are
generated lazily, as the Frappe side streams them, so memory shows what the engine holds."""

from __future__ import annotations

import json
import sys
import time

from nexwave_inventory_sync.sync.endpoint import ShopifyEndpoint
from nexwave_inventory_sync.sync.results import StockRow
from nexwave_inventory_sync.sync.run import SyncOptions, sync_inventory

from .measure import peak_rss_mb


def rows(items: int, locations: int):
    for i in range(1, items + 1):
        for j in range(1, locations + 1):
            yield StockRow(
                location_id=f"gid://shopify/Location/{j}",
                quantity=(i * 7 + j) % 100,
                inventory_item_id=f"gid://shopify/InventoryItem/{i}",
            )


def main() -> None:
    args = json.loads(sys.stdin.read())
    endpoint = ShopifyEndpoint("bench-shop.myshopify.com", args["token"], endpoint_override=args["base_url"])
    start = time.perf_counter()
    result = sync_inventory(
        endpoint,
        rows(args["items"], args["locations"]),
        options=SyncOptions(concurrency=args["concurrency"]),
        total_rows=args["items"] * args["locations"],
    )
    wall = time.perf_counter() - start
    print(
        json.dumps(
            {
                "rows": result.considered,
                "pushed": result.pushed,
                "failed": result.failed,
                "calls": result.api_calls,
                "throttled": result.throttled_answers,
                "waits": result.throttle_waits,
                "seconds_waited": result.seconds_waited,
                "wall_s": round(wall, 2),
                "peak_rss_mb": round(peak_rss_mb(), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
