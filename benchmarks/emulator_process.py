"""Serve an emulated shop from its own process, so the engine's memory is measured alone.
Prints the base URL on the first line, serves until stdin closes."""

from __future__ import annotations

import json
import sys

from nexwave_inventory_sync.emulator import Catalog, Emulator


def main() -> None:
    args = json.loads(sys.stdin.readline())
    catalog = Catalog.generate(items=args["items"], locations=args["locations"], seed=0)
    emulator = Emulator(
        catalog,
        access_token=args["token"],
        plan=args["plan"],
        latency=args["latency_ms"] / 1000,
        keep_requests=False,
    )
    with emulator:
        print(emulator.base_url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin
        print(json.dumps({"calls": emulator.stats.calls, "throttled": emulator.stats.throttled}), flush=True)


if __name__ == "__main__":
    main()
