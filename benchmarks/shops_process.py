"""Serve many emulated shops from one process, each with its own catalog, bucket and port, for
the many-stores benchmark (issue 8 §3): a merchant's fifty stores are fifty shops, and Shopify
meters each shop's bucket on its own.

Reads one JSON line on stdin: {"shops": N, "items": 7300, "plan": "standard", "latency_ms": 300,
"token": "..."}; prints one JSON line {shop_domain: base_url}; serves until stdin closes, then
prints one JSON line {shop_domain: {"calls": ..., "throttled": ...}}."""

from __future__ import annotations

import json
import sys

from nexwave_inventory_sync.emulator import Catalog, Emulator


def shop_domain(number: int) -> str:
    return f"bench-store-{number:03d}.myshopify.com"


def start_shops(shops: int, items: int, plan: str, latency_ms: float, token: str) -> dict[str, Emulator]:
    started: dict[str, Emulator] = {}
    for number in range(1, shops + 1):
        domain = shop_domain(number)
        emulator = Emulator(
            Catalog.generate(items=items, locations=1, seed=number),
            access_token=token,
            shop_domain=domain,
            plan=plan,
            latency=latency_ms / 1000,
            keep_requests=False,
        )
        started[domain] = emulator.start()
    return started


def stats(shops: dict[str, Emulator]) -> dict[str, dict[str, int]]:
    return {
        domain: {"calls": emulator.stats.calls, "throttled": emulator.stats.throttled}
        for domain, emulator in shops.items()
    }


def main() -> None:
    args = json.loads(sys.stdin.readline())
    shops = start_shops(args["shops"], args["items"], args["plan"], args["latency_ms"], args["token"])
    try:
        print(json.dumps({domain: emulator.base_url for domain, emulator in shops.items()}), flush=True)
        sys.stdin.read()  # until the parent closes our stdin
        print(json.dumps(stats(shops)), flush=True)
    finally:
        for emulator in shops.values():
            emulator.stop()


if __name__ == "__main__":
    main()
