"""The soak: many seeded runs against the emulator with random faults, each checked for the
engine's promises. python -m benchmarks.soak [--runs 200] [--items 2000] [--out docs/reliability.md]

After each faulty run:
  * every row read has exactly one fate (pushed, failed, conflict, not on Shopify, untracked,
    unchanged, not sent), and the counts add up to the rows read;
  * every row reported pushed holds, on Shopify, the figure pushed;
  * no (item, location) is written twice in one run (no batch applied twice);
then a clean follow-up run (no faults) with the same input leaves Shopify equal to the input.
A row that breaks any of these is a row lost; the goal is 0. Rows reported failed whose batch
in fact landed (its answer lost after every retry) are counted apart: reported, not lost.

The same code runs three short runs in the test suite (tests/test_soak.py).

`--chaos` runs the chaos soak instead (benchmarks/chaos.py, issue 15 section 5): one shop over
many rounds, runs killed (in-process and SIGKILL), run twice at once, timed out and faulted,
each followed by settled runs checked against what ERPNext and the conflict policy call for.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from nexwave_inventory_sync.emulator import Catalog, Emulator, Fault
from nexwave_inventory_sync.sync.clock import SystemClock
from nexwave_inventory_sync.sync.endpoint import ShopifyEndpoint
from nexwave_inventory_sync.sync.quantity import shopify_quantity
from nexwave_inventory_sync.sync.results import RunResult, StockRow
from nexwave_inventory_sync.sync.retry import RetryPolicy
from nexwave_inventory_sync.sync.run import SyncOptions, sync_inventory

TOKEN = "shpat_soak_token"
MUTATION = "SetInventoryQuantities"
LOCATIONS = 2

# Back-offs shrunk so 200 runs take minutes, not hours; every budget and rule is the real one.
SOAK_POLICY = RetryPolicy(
    server_backoff=(0.01, 0.02),
    connection_backoff=(0.01, 0.02),
    unreachable_backoff=(0.01,),
    in_progress_backoff=(0.1, 0.2, 0.4, 0.8, 1.0),
    retry_after_cap=0.05,
    retry_after_default=0.01,
)
READ_TIMEOUT = 1.0  # generous: a loaded CI box must not turn slow answers into faults

# label -> (weight, where it may strike, how to make it). Mutation-only faults never meet a
# lookup (a mutation's payload would be a nonsense answer to a query, not a Shopify fault).
FAULTS: dict[str, tuple[int, str | None, callable]] = {
    "429": (8, None, lambda: [Fault.status(429, retry_after="0.02")]),
    "500": (5, None, lambda: [Fault.status(500)]),
    "502": (4, None, lambda: [Fault.status(502)]),
    "503 burst": (3, None, lambda: [Fault.status(503)] * 3),
    "html 502": (4, None, lambda: [Fault.html(502)]),
    "invalid json": (2, None, lambda: [Fault.invalid_json(200)]),
    "THROTTLED": (6, None, lambda: [Fault.throttled()]),
    "INTERNAL_SERVER_ERROR": (5, None, lambda: [Fault.graphql_error("INTERNAL_SERVER_ERROR")]),
    "drop": (5, None, lambda: [Fault.drop()]),
    "timeout": (2, MUTATION, lambda: [Fault.delay(READ_TIMEOUT + 0.25)]),
    "truncated": (5, None, lambda: [Fault.truncated()]),
    "drop after apply": (5, MUTATION, lambda: [Fault.drop_after_apply()]),
    "IDEMPOTENCY_CONCURRENT_REQUEST": (4, MUTATION, lambda: [Fault.concurrent_request()]),
    "SHOP_INACTIVE": (1, None, lambda: [Fault.graphql_error("SHOP_INACTIVE")]),
    "307 elsewhere": (1, None, lambda: [Fault.redirect("https://elsewhere.example/admin/api/graphql.json")]),
}


@dataclass
class RunFigures:
    seed: int
    rows: int = 0
    status: str = ""
    faults: Counter = field(default_factory=Counter)
    retries: Counter = field(default_factory=Counter)
    api_calls: int = 0
    pushed: int = 0
    reported_not_landed: int = 0  # failed + not sent + not on Shopify (all listed with a reason)
    landed_but_reported_failed: int = 0
    unaccounted: int = 0  # rows with no fate
    pushed_but_wrong: int = 0  # reported pushed, Shopify holds another figure
    written_twice: int = 0  # (item, location) written more than once in the run
    wrong_after_followup: int = 0  # Shopify differs from the input after a clean run
    seconds: float = 0.0
    error: str | None = None

    @property
    def lost(self) -> int:
        return self.unaccounted + self.pushed_but_wrong + self.written_twice + self.wrong_after_followup


def _fault_script(rng: random.Random, rate: float, length: int) -> list[tuple[str | None, Fault | None, str]]:
    labels = list(FAULTS)
    weights = [FAULTS[label][0] for label in labels]
    script: list[tuple[str | None, Fault | None, str]] = []
    for _ in range(length):
        if rng.random() >= rate:
            script.append((None, None, ""))
            continue
        label = rng.choices(labels, weights)[0]
        _, operation, make = FAULTS[label]
        script += [(operation, fault, label) for fault in make()]
    return script


def _input(rng: random.Random, catalog: Catalog, items: int) -> list[StockRow]:
    """ERPNext's side: a figure per (variant, location), SKUs only (the cold path: lookups and
    pushes both meet faults), a few fractional or negative, 1 % of SKUs unknown to Shopify."""
    rows = []
    for i in range(1, items + 1):
        sku = f"SKU-{i:06d}" if rng.random() > 0.01 else f"GONE-{i:06d}"
        for j in range(1, LOCATIONS + 1):
            quantity = rng.choice((rng.randint(0, 500), rng.randint(0, 50) + 0.5, -rng.randint(1, 3)))
            rows.append(StockRow(f"gid://shopify/Location/{j}", quantity, sku=sku, ref=sku))
    return rows


def soak_run(seed: int, items: int = 2000, rate: float = 0.15, deadline_s: float = 60.0) -> RunFigures:
    rng = random.Random(seed)
    figures = RunFigures(seed)
    catalog = Catalog.generate(items, LOCATIONS, seed=seed, untracked_every=97, initial_quantity=None)
    writes: Counter = Counter()
    original_write = catalog.write_level

    def counting_write(row: int, loc: int, quantity: int) -> None:
        writes[(row, loc)] += 1
        original_write(row, loc, quantity)

    catalog.write_level = counting_write  # type: ignore[method-assign]
    rows = _input(rng, catalog, items)
    figures.rows = len(rows)
    started = time.perf_counter()
    with Emulator(catalog, access_token=TOKEN, plan="plus", keep_requests=False) as emulator:
        for operation, fault, _ in _fault_script(rng, rate, length=4 * items // 250 + 20):
            emulator.faults.script(fault, operation=operation)
        endpoint = ShopifyEndpoint("soak.myshopify.com", TOKEN, endpoint_override=emulator.base_url)
        options = SyncOptions(
            run_id=f"soak-{seed}",
            concurrency=rng.choice((1, 2, 4)),
            policy=SOAK_POLICY,
            timeout=(2.0, READ_TIMEOUT),
            deadline_s=deadline_s,
        )
        result = sync_inventory(endpoint, rows, options=options, clock=SystemClock())
        figures.faults = Counter(emulator.faults.fired)
        emulator.faults.clear()
        _check_run(figures, result, rows, catalog)
        figures.written_twice = sum(1 for count in writes.values() if count > 1)

        # The clean follow-up: same input, a new run id, no faults; Shopify must equal it.
        followup = sync_inventory(
            endpoint,
            rows,
            options=SyncOptions(run_id=f"soak-{seed}-followup", policy=SOAK_POLICY),
            clock=SystemClock(),
        )
        figures.wrong_after_followup = _mismatches(rows, catalog) + (followup.considered - followup.accounted)
    figures.seconds = time.perf_counter() - started
    return figures


def _expected(row: StockRow) -> int | None:
    return shopify_quantity(row.quantity)


def _item_of(row: StockRow, catalog: Catalog) -> str | None:
    found = catalog.rows_with_sku(row.sku or "")
    return f"gid://shopify/InventoryItem/{catalog.item_number(found[0])}" if len(found) == 1 else None


def _check_run(figures: RunFigures, result: RunResult, rows: list[StockRow], catalog: Catalog) -> None:
    figures.status = result.status.value
    figures.error = result.error
    figures.retries = Counter(result.retries_by_kind)
    figures.api_calls = result.api_calls
    figures.pushed = result.pushed
    figures.reported_not_landed = result.failed + result.not_sent + result.unresolved + result.conflicts
    figures.unaccounted = abs(result.considered - result.accounted) + abs(result.considered - len(rows))
    not_pushed = {id(f.row) for f in (*result.failures, *result.unresolved_rows, *result.unsent_rows)}
    # Failures are all listed; rows not sent beyond the first 200 are counted, not listed, so
    # which rows claim to be pushed is known only when every unsent row is listed.
    if result.not_sent <= len(result.unsent_rows):
        for row in rows:
            item = _item_of(row, catalog)
            if (
                item is None
                or id(row) in not_pushed
                or not catalog.tracked(catalog.rows_with_sku(row.sku)[0])
            ):
                continue
            if catalog.available(item, row.location_id) != _expected(row):
                figures.pushed_but_wrong += 1
    landed_codes = ("NOT_CONFIRMED", "CONNECTION", "SERVER", "IDEMPOTENCY_CONCURRENT_REQUEST", "BAD_RESPONSE")
    for failure in result.failures:
        item = _item_of(failure.row, catalog)
        if (
            item is not None
            and failure.code in landed_codes
            and catalog.available(item, failure.row.location_id) == failure.quantity
        ):
            figures.landed_but_reported_failed += 1


def _mismatches(rows: list[StockRow], catalog: Catalog) -> int:
    wrong = 0
    for row in rows:
        item = _item_of(row, catalog)
        if item is None or not catalog.tracked(catalog.rows_with_sku(row.sku)[0]):
            continue
        if catalog.available(item, row.location_id) != _expected(row):
            wrong += 1
    return wrong


def soak(runs: int, items: int, rate: float, first_seed: int = 1, progress: bool = False) -> list[RunFigures]:
    results = []
    for seed in range(first_seed, first_seed + runs):
        figures = soak_run(seed, items=items, rate=rate)
        results.append(figures)
        if progress:
            print(
                f"run {seed}: {figures.status}, {sum(figures.faults.values())} faults, "
                f"{sum(figures.retries.values())} retries, lost {figures.lost}, {figures.seconds:.1f} s",
                flush=True,
            )
    return results


def report(results: list[RunFigures], items: int, rate: float, wall: float) -> str:
    faults: Counter = Counter()
    retries: Counter = Counter()
    statuses: Counter = Counter()
    for figures in results:
        faults.update(figures.faults)
        retries.update(figures.retries)
        statuses[figures.status] += 1
    total = lambda name: sum(getattr(f, name) for f in results)  # noqa: E731
    lines = [
        "# Reliability: the soak\n",
        f"Written by `python -m benchmarks.soak --runs {len(results)} --items {items}` on {dt.date.today().isoformat()}.\n",
        f"{len(results)} seeded runs of a {items:,}-item catalog at {LOCATIONS} locations ({items * LOCATIONS:,} rows a run, "
        f"SKUs only, so lookups and pushes both meet faults), with a fault scripted on about {rate:.0%} of requests, "
        "each run followed by a clean run of the same input. Real HTTP on loopback, real time; back-offs shrunk "
        f"(`benchmarks/soak.py` SOAK_POLICY), budgets and rules as shipped; read timeout {READ_TIMEOUT} s. "
        f"Wall time {wall:.0f} s.\n",
        "## Outcome\n",
        "| figure | value |",
        "|---|---|",
        f"| runs | {len(results)} |",
        f"| statuses of the faulty runs | {', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))} |",
        f"| rows pushed in the faulty runs | {total('pushed'):,} of {total('rows'):,} |",
        f"| rows reported not landed, each with a reason (failed, not sent, not on Shopify) | {total('reported_not_landed'):,} |",
        f"| of which had in fact landed (answer lost after every retry; reported, not lost) | {total('landed_but_reported_failed'):,} |",
        f"| API calls | {total('api_calls'):,} |",
        f"| **rows lost** (no fate, pushed but wrong, written twice, wrong after the clean run) | **{sum(f.lost for f in results)}** |",
        f"| rows without a fate | {total('unaccounted')} |",
        f"| rows reported pushed that Shopify does not hold | {total('pushed_but_wrong')} |",
        f"| (item, location) written twice in a run | {total('written_twice')} |",
        f"| rows differing from the input after the clean follow-up run | {total('wrong_after_followup')} |",
        "",
        "## Faults injected, by kind\n",
        "| fault | requests struck |",
        "|---|---|",
        *[f"| {label} | {count:,} |" for label, count in faults.most_common()],
        f"| **all** | **{sum(faults.values()):,}** |",
        "",
        "## Retries, by error kind\n",
        "| kind | retries |",
        "|---|---|",
        *[f"| {kind} | {count:,} |" for kind, count in retries.most_common()],
        f"| **all** | **{sum(retries.values()):,}** |",
        "",
        "SHOP_INACTIVE and a 307 elsewhere abort a run by design (every row then counted as not sent); "
        "the follow-up run completes it. A fault-free test of each promise is in the suite "
        "(`tests/test_soak.py` runs three short soaks).\n",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(argv) if argv is not None else None
    import sys

    if "--chaos" in (argv if argv is not None else sys.argv[1:]):
        from .chaos import main as chaos_main

        return chaos_main(argv)
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=0.15, help="share of requests that meet a fault")
    parser.add_argument("--out", default="docs/reliability.md")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = soak(args.runs, args.items, args.rate, progress=True)
    text = report(results, args.items, args.rate, time.perf_counter() - started)
    Path(args.out).write_text(text)
    print(text)
    return 0 if all(f.lost == 0 for f in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
