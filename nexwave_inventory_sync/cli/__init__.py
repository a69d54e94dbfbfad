"""`nexwave-sync`: the demo on the embedded emulator, and a CSV push to a real store."""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from ..sync.conflicts import DEFAULT_POLICY, ConflictPolicy
from ..sync.delta import select_delta
from ..sync.delta import zeroed as count_zeroed
from ..sync.endpoint import EndpointError, ShopifyEndpoint
from ..sync.in_flight import InFlightCheck, check_in_flight
from ..sync.quantity import check_safety_buffer, shopify_quantity
from ..sync.results import RunResult, RunStatus, StockRow
from ..sync.run import SyncOptions, sync_inventory
from ..sync.versions import DEFAULT_API_VERSION, UnsupportedApiVersion
from .report import ProgressBar, conflict_lines, failure_lines, summary_table
from .state import RECHECK_UNTRACKED_HOURS, CachedId, RunRecorder, StateError, SyncState, endpoint_key
from .stock_csv import DEFAULT_ENCODING, StockFileError, read_stock_csv

EXIT_OK, EXIT_ABORTED, EXIT_ROWS_FAILED = 0, 1, 2
# Stopped by a signal: 128 + its number, as shells report it (130 Ctrl-C, 143 SIGTERM).
EXIT_SIGINT, EXIT_SIGTERM = 128 + signal.SIGINT, 128 + signal.SIGTERM
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
        return _demo_delta_and_reconcile(catalog, endpoint, options, warm_rows, warm, args.seed)


def _demo_delta_and_reconcile(catalog, endpoint, options, warm_rows, warm, seed: int) -> int:
    """Delta: 50 items move in ERPNext while Shopify sells 3 of them; only those 50 are sent,
    with compare-and-set, and the policy settles the 3. Reconciliation: two admin edits in
    Shopify are found by one read and corrected."""
    from ..sync.reconcile import ReconcileOptions, reconcile

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


def use_cached_id(cached: CachedId, *, full: bool, now: datetime) -> bool:
    """Pure. A cached id is used as is, except an "untracked" answer older than
    RECHECK_UNTRACKED_HOURS, or any on --full: the merchant may have turned tracking on since,
    and the row would otherwise be skipped for ever (D7). The SKU is then looked up again."""
    if cached.tracked:
        return True
    if full or cached.resolved_at is None:
        return False
    return now - cached.resolved_at < timedelta(hours=RECHECK_UNTRACKED_HOURS)


def with_cached_ids(
    rows: Sequence[StockRow], state: SyncState, *, full: bool = False, now: datetime | None = None
) -> list[StockRow]:
    """Give each row the inventory item id resolved on an earlier run: no lookup for it."""
    ids = state.item_ids()
    now = now or datetime.now(timezone.utc)
    out = []
    for row in rows:
        known = ids.get(row.sku) if row.sku and not row.inventory_item_id else None
        if known is not None and use_cached_id(known, full=full, now=now):
            out.append(replace(row, inventory_item_id=known.inventory_item_id, tracked=known.tracked))
        else:
            out.append(row)
    return out


def settle_in_flight(
    endpoint: ShopifyEndpoint, state: SyncState, options: SyncOptions
) -> InFlightCheck | None:
    """Rows an earlier run sent without seeing the answer (killed, crashed, its state write
    failed): one read of their figures on Shopify proves each level (sync/in_flight.py),
    saved before the delta is picked. None when there were none."""
    marks = state.marks()
    if not marks:
        return None
    check = check_in_flight(
        endpoint, marks, quantity_name=options.quantity_name, policy=options.policy, timeout=options.timeout
    )
    state.settle_in_flight(check)
    return check


def in_flight_lines(check: InFlightCheck | None) -> list[str]:
    if check is None:
        return []
    if check.unread:
        return [
            f"{len(check.unread):,} rows left in flight by an earlier run could not be read from Shopify "
            f"({check.error}); they stay marked, nothing is sent until they are read"
        ]
    return [
        f"{len(check.confirmed) + len(check.gone):,} rows left in flight by an earlier run, read from Shopify: "
        f"{len(check.confirmed):,} levels proved, {len(check.gone):,} items gone"
    ]


def recorded(options: SyncOptions, recorder: RunRecorder) -> SyncOptions:
    """`options` with the state written as the run goes, and a stop when a write fails."""
    outer = options.should_stop
    return replace(
        options,
        on_sending=recorder.on_sending,
        on_checkpoint=recorder.on_checkpoint,
        should_stop=lambda: recorder.failed() or bool(outer and outer()),
    )


@dataclass(frozen=True)
class PushOutcome:
    result: RunResult | None  # None: nothing sent (marks unread), or a mark could not be written
    zeroed: int = 0
    in_flight: InFlightCheck | None = None  # the check of an earlier run's marks
    state_error: StateError | None = None  # a state write failed: the run stopped sending
    landed: int = 0  # levels the checkpoints saved (what is known to have landed without a result)


def delta_push(
    endpoint: ShopifyEndpoint,
    rows: Sequence[StockRow],
    state: SyncState,
    options: SyncOptions,
    *,
    full: bool = False,
    zero_missing: bool = True,
    progress=None,
) -> PushOutcome:
    """Settle an earlier run's rows in flight, push what changed since the confirmed levels
    (all rows with full), zero the confirmed rows that left the file, and save what Shopify
    accepted batch by batch (the crash rule: see state.py). Raises StateError only before the
    run sends anything (the state cannot be read, or the marks' check cannot be saved); a
    write that fails once the run sends is in `state_error`, and the run stopped sending."""
    check = settle_in_flight(endpoint, state, options)
    if check is not None and check.unread:
        return PushOutcome(None, in_flight=check)
    rows = with_cached_ids(rows, state, full=full)
    selection = select_delta(
        rows, state.confirmed(), full=full, zero_missing=zero_missing, safety_buffer=options.safety_buffer
    )
    recorder = RunRecorder(state)
    try:
        result = sync_inventory(
            endpoint, list(selection.to_push), options=recorded(options, recorder), progress=progress
        )
    except StateError as exc:  # a mark could not be written: that batch did not leave
        return PushOutcome(None, in_flight=check, state_error=exc, landed=recorder.landed)
    try:
        state.finish_run(result)
    except StateError as exc:
        recorder.error = recorder.error or exc
    zeroed = count_zeroed(selection, result.confirmed)
    # The rows left out as unchanged were considered too: say so in the counts.
    result = replace(result, unchanged_skipped=result.unchanged_skipped + selection.unchanged)
    return PushOutcome(result, zeroed, check, recorder.error, recorder.landed)


def _endpoint_and_rows(args: argparse.Namespace) -> tuple[ShopifyEndpoint, list[StockRow]] | int:
    token = os.environ.get(TOKEN_ENV, "")
    if not token.strip():
        print(f"error: set {TOKEN_ENV} to the store's Admin API access token", file=sys.stderr)
        return EXIT_ABORTED
    try:
        check_safety_buffer(args.safety_buffer)
        if args.deadline is not None and args.deadline <= 0:
            raise ValueError(f"--deadline must be a positive number of seconds, not {args.deadline}")
        endpoint = ShopifyEndpoint(args.shop, token, args.api_version, endpoint_override=args.endpoint)
        # The whole file, checked before anything is pushed: a delta needs every row to know
        # which confirmed items left the file (zeroing), so it is not streamed.
        rows = read_stock_csv(args.stock, args.encoding)
    except (EndpointError, UnsupportedApiVersion, StockFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ABORTED
    return endpoint, rows


def _sync_options(args: argparse.Namespace) -> SyncOptions:
    return SyncOptions(
        safety_buffer=args.safety_buffer,
        concurrency=args.concurrency,
        conflict_policy=ConflictPolicy.parse(args.conflict),
        quantity_name=args.quantity,
        deadline_s=args.deadline,
    )


class StopSignals:
    """Ctrl-C and SIGTERM during a push: the run stops before its next batch, folds in the
    batches in flight, saves, and exits 128 + the signal. A second signal quits at once: the
    rows then in flight are marked in the state, and the next run reads their figures."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)

    def _handle(self, signum: int, frame: object) -> None:
        # os.write, not print: the main thread may be inside a print to stderr.
        if self.signum is not None:
            os.write(2, b"\nstopped at once: the rows in flight stay marked; the next run checks them\n")
            os._exit(128 + signum)
        self.signum = signum
        os.write(2, b"\nstopping after the batch in flight (again to quit at once)\n")

    def requested(self) -> bool:
        return self.signum is not None


def run_push(args: argparse.Namespace) -> int:
    found = _endpoint_and_rows(args)
    if isinstance(found, int):
        return found
    endpoint, rows = found
    kind = "full push" if args.full else "delta push"
    with StopSignals() as stop:
        try:
            with SyncState(args.state, endpoint.shop_domain, endpoint_key(endpoint)) as state:
                print(
                    f"{kind.capitalize()} of {len(rows):,} rows to {endpoint.shop_domain} (API {endpoint.api_version}; state {state.path})"
                )
                bar = ProgressBar("push")
                outcome = delta_push(
                    endpoint,
                    rows,
                    state,
                    replace(_sync_options(args), should_stop=stop.requested),
                    full=args.full,
                    zero_missing=not args.no_zero,
                    progress=bar,
                )
                bar.close()
        except StateError as exc:  # could not be opened, checked or read: nothing was sent
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ABORTED
    return report_push(args, kind, outcome, stop.signum)


def report_push(args: argparse.Namespace, kind: str, outcome: PushOutcome, signum: int | None) -> int:
    """Print what the push did and pick the exit code: 1 when the state could not be written
    or the run aborted, 128 + the signal when it was interrupted, else 0 / 2 by the rows."""
    unread = outcome.in_flight is not None and bool(outcome.in_flight.unread)
    for line in in_flight_lines(outcome.in_flight):
        print(f"error: {line}" if unread else line, file=sys.stderr if unread else sys.stdout)
    result = outcome.result
    if result is None:
        if outcome.state_error is not None:
            print(
                f"error: {outcome.state_error}; stopped sending ({outcome.landed:,} rows had landed and are "
                "saved; rows sent after the last save stay marked in flight and are read by the next run)",
                file=sys.stderr,
            )
        return EXIT_ABORTED
    changed = result.pushed + result.failed + result.held
    print(
        f"{changed:,} changed, {result.unchanged_skipped:,} unchanged, {outcome.zeroed:,} zeroed (left the file)"
    )
    print(summary_table([(kind, result)]))
    lines = failure_lines(result)
    if lines:
        print("\nRows that did not land:")
        print("\n".join(lines))
    conflicts = conflict_lines(result)
    if conflicts:
        print(f"\nConflicts (policy {args.conflict}): ERPNext / confirmed / Shopify -> sent")
        print("\n".join(conflicts))
    if outcome.state_error is not None:
        print(
            f"\nerror: {outcome.state_error}; stopped sending. {result.pushed:,} rows landed on Shopify; "
            "those not saved stay marked in flight and the next run reads their figures before it pushes",
            file=sys.stderr,
        )
        return EXIT_ABORTED
    if result.aborted:
        print(f"\nRun aborted: {result.abort_reason}", file=sys.stderr)
        return EXIT_ABORTED
    if signum is not None:
        print(f"\ninterrupted: {result.pushed:,} rows landed, {result.not_sent:,} not sent", file=sys.stderr)
        return 128 + signum
    if result.error:
        print(f"\n{result.error}", file=sys.stderr)
    # 0 only when every row landed: held rows did not land, as failed ones did not; conflicts
    # the policy settled did (rows untracked on Shopify are skipped by design).
    return EXIT_OK if result.status is RunStatus.SUCCESS else EXIT_ROWS_FAILED


def run_reconcile_command(args: argparse.Namespace) -> int:
    from .reconcile import run_reconcile

    found = _endpoint_and_rows(args)
    if isinstance(found, int):
        return found
    return run_reconcile(args, *found)


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
    push.add_argument("--full", action="store_true", help="push every row, not only the changed ones")
    push.add_argument(
        "--no-zero",
        action="store_true",
        help="leave items that are no longer in the file as Shopify has them",
    )
    _common_options(push)
    push.set_defaults(handler=run_push)

    reconcile = commands.add_parser(
        "reconcile",
        help="compare Shopify's figures with a CSV, report the drift, and with --correct fix it",
    )
    reconcile.add_argument("--shop", required=True, help="your-shop.myshopify.com")
    reconcile.add_argument("--stock", required=True, help="CSV with header sku,location_id,quantity")
    reconcile.add_argument("--tolerance", type=int, default=0, help="units of difference that are not drift")
    reconcile.add_argument("--correct", action="store_true", help="push the drifted rows (compare-and-set)")
    reconcile.add_argument("--report", help="write every drifted row to this CSV")
    reconcile.add_argument("--read", choices=("auto", "pages", "bulk"), default="auto")
    reconcile.add_argument("--api-version", default=DEFAULT_API_VERSION)
    reconcile.add_argument("--endpoint", help="base URL of an emulator on loopback (tests and demos)")
    _common_options(reconcile)
    reconcile.set_defaults(handler=run_reconcile_command)
    return parser


def _common_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--state",
        help="SQLite file of resolved ids and confirmed levels (default ~/.local/state/nexwave-sync/state.sqlite3)",
    )
    command.add_argument(
        "--conflict",
        choices=[p.value for p in ConflictPolicy],
        default=DEFAULT_POLICY.value,
        help="when Shopify's figure moved since it was confirmed (default: %(default)s)",
    )
    command.add_argument(
        "--quantity",
        choices=("available", "on_hand"),
        default="available",
        help="the Shopify quantity the CSV sets",
    )
    command.add_argument(
        "--safety-buffer", type=float, default=0, help="units held back from Shopify per row (0 or more)"
    )
    command.add_argument(
        "--encoding",
        default=DEFAULT_ENCODING,
        help="the CSV's text encoding (default UTF-8; a file saved by Excel may need cp1252)",
    )
    command.add_argument(
        "--deadline",
        type=float,
        default=None,
        help="seconds a push may take; rows not sent by then are listed and the exit code is 2",
    )
    command.add_argument("--concurrency", type=int, default=SyncOptions().concurrency)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:  # outside a push's batches (reading the file, a reconciliation)
        print("\ninterrupted", file=sys.stderr)
        return EXIT_SIGINT


if __name__ == "__main__":
    sys.exit(main())
