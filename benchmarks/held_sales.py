"""keep-shopify-sales in `available` mode on the Black-Friday simulation (docs/benchmarks.md §7,
"before and after N1"): scheduled runs, the fast path, and the fast path with webhook checks,
for the three scenarios. Prints one JSON line a setting; run it in two checkouts to compare
(the "before" of §7 is 23ef1bb, whose black_friday.py has the same names).

python -m benchmarks.held_sales [--latency 46.34] [--out held.json]
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks.black_friday import Scenario, Setting, scenarios_of, simulate


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
    rows = []
    for scenario in scenarios_of(Scenario()):
        for setting in settings(args.latency):
            started = time.time()
            m = simulate(scenario, setting)
            rows.append(
                {
                    "scenario": scenario.name,
                    "setting": setting.name,
                    "Shopify oversold units": m.shopify_oversold,
                    "other-channel oversold units": m.other_oversold,
                    "undersold unit-min": round(m.undersold_unit_minutes),
                    "calls": m.calls,
                    "conflicts": m.conflicts,
                    "drifted": m.drifted_after_last_run,
                    "above": m.drifted_above_after_last_run,
                    "wall_s": round(time.time() - started, 1),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
            if args.out:
                with open(args.out, "w") as handle:
                    json.dump(rows, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
