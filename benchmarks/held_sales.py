"""keep-shopify-sales in `available` mode on the Black-Friday simulation (docs/benchmarks.md §7,
"before and after N1"): scheduled runs, the fast path, and the fast path with webhook checks,
for the three scenarios (black_friday.table_rows prints a row a setting). Run it in two
checkouts to compare: the "before" of §7 is 23ef1bb, whose black_friday.py has these names.

python -m benchmarks.held_sales [--latency 46.34] [--out held.json]
"""

from __future__ import annotations

import argparse
import json

from benchmarks.black_friday import Scenario, Setting, scenarios_of, table_rows


def settings(latency: float) -> list[Setting]:
    return [
        Setting("b. delta + CAS, keep-shopify-sales"),
        Setting(f"e'. available keep-sales + fast path ({latency:g} s)", fast_latency=latency),
        Setting(
            f"g'. available keep-sales + fast path + webhook checks, marked levels ({latency:g} s)",
            fast_latency=latency,
            webhook_checks="levels",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.held_sales")
    parser.add_argument("--latency", type=float, default=46.34)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    rows = [
        row for scenario in scenarios_of(Scenario()) for row in table_rows(scenario, settings(args.latency))
    ]
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(rows, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
