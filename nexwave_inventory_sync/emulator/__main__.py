"""Serve an emulated shop until Ctrl-C:

python -m nexwave_inventory_sync.emulator --items 7300 --locations 1 --token T --plan standard
"""

from __future__ import annotations

import argparse
import sys
import threading

from .bucket import PLANS
from .catalog import Catalog
from .server import Emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nexwave_inventory_sync.emulator", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--items", type=int, default=7300, help="variants to generate (default 7300)")
    parser.add_argument("--locations", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--catalog", help="load the shop from a JSON catalog file instead of generating one")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default="shpat_test_token", help="the access token clients must send")
    parser.add_argument("--plan", choices=sorted(PLANS), default="standard")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    parser.add_argument(
        "--partial-apply", action="store_true", help="apply the good rows of a batch with bad ones"
    )
    parser.add_argument(
        "--inactive-location",
        action="append",
        default=[],
        metavar="NAME",
        help="add a deactivated location (repeatable); Fetch Locations marks it inactive",
    )
    args = parser.parse_args(argv)

    catalog = (
        Catalog.from_file(args.catalog)
        if args.catalog
        else Catalog.generate(args.items, args.locations, seed=args.seed)
    )
    for name in args.inactive_location:
        catalog.add_location(name, active=False)
    emulator = Emulator(
        catalog,
        access_token=args.token,
        plan=args.plan,
        latency=args.latency_ms / 1000,
        partial_apply=args.partial_apply,
        port=args.port,
    )
    with emulator:
        print(emulator.base_url, flush=True)
        print(
            f"{catalog.variant_count:,} variants x {len(catalog.location_ids)} location(s), plan {args.plan}; "
            f"GraphQL at {emulator.graphql_url()}. Ctrl-C stops.",
            file=sys.stderr,
            flush=True,
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
