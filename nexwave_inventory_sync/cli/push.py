"""`nexwave-sync push`: a CSV's stock to a store, only what changed since the levels Shopify
confirmed (every row with --full), saved batch by batch under the crash rule (state.py)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..sync.api import (
    InFlightCheck,
    RunResult,
    RunStatus,
    ShopifyEndpoint,
    StockRow,
    SyncOptions,
    sync_inventory,
)
from ..sync.api import zeroed as count_zeroed
from .arguments import endpoint_and_rows, sync_options
from .exit_codes import EXIT_ABORTED, EXIT_OK, EXIT_ROWS_FAILED
from .in_flight import RunRecorder, in_flight_lines, recorded, settle_in_flight
from .report import ProgressBar, conflict_lines, failure_lines, summary_table
from .selection import select_rows
from .state import StateError, SyncState, endpoint_key


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
    selection = select_rows(rows, state, options, full=full, zero_missing=zero_missing)
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
    found = endpoint_and_rows(args)
    if isinstance(found, int):
        return found
    endpoint, rows = found
    kind = "full push" if args.full else "delta push"
    with StopSignals() as stop:
        try:
            with SyncState(args.state, endpoint.shop_domain, endpoint_key(endpoint)) as state:
                if args.dry_run:
                    from .dry_run import dry_run

                    return dry_run(
                        endpoint,
                        rows,
                        state,
                        sync_options(args),
                        full=args.full,
                        zero_missing=not args.no_zero,
                    )
                print(
                    f"{kind.capitalize()} of {len(rows):,} rows to {endpoint.shop_domain} (API {endpoint.api_version}; state {state.path})"
                )
                bar = ProgressBar("push")
                outcome = delta_push(
                    endpoint,
                    rows,
                    state,
                    replace(sync_options(args), should_stop=stop.requested),
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
