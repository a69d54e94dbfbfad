"""`nexwave-sync reconcile`: read Shopify's figure for every row of the CSV, compare, report,
and with --correct push the drifted rows with compare-and-set against the figure just read.

Exit codes: 0 nothing drifted beyond the tolerance (or all of it was corrected), 2 drift
remains or rows failed, 1 aborted (auth, locked shop, bad file).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence

from ..sync.api import (
    ReconcileOptions,
    ReconciliationResult,
    ShopifyEndpoint,
    StockRow,
    SyncOptions,
    reconcile,
    resolve_rows,
)
from .arguments import endpoint_and_rows, sync_options
from .exit_codes import EXIT_ABORTED, EXIT_DRIFT, EXIT_OK
from .id_cache import with_cached_ids
from .in_flight import RunRecorder, in_flight_lines, recorded, settle_in_flight
from .state import StateError, SyncState, endpoint_key

REPORT_COLUMNS = (
    "sku",
    "inventory_item_id",
    "location_id",
    "erpnext",
    "shopify",
    "difference",
    "action",
    "corrected",
)


def write_report(path: str, result: ReconciliationResult, skus: dict[str, str]) -> None:
    corrected = {level.key for level in (result.correction.confirmed if result.correction else ())}
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(REPORT_COLUMNS)
        for drift in result.plan.largest(len(result.plan.drifted)):
            writer.writerow(
                (
                    skus.get(drift.key[0], drift.ref),
                    drift.key[0],
                    drift.key[1],
                    drift.erpnext,
                    drift.shopify,
                    drift.difference,
                    drift.action,
                    "yes" if drift.key in corrected else "no",
                )
            )


def summary(result: ReconciliationResult, tolerance: int) -> list[str]:
    plan = result.plan
    lines = [
        f"rows compared          {plan.compared:,}",
        f"drifted (> {tolerance} units)   {len(plan.drifted):,} ({plan.drift_percent:g} %)",
        f"  Shopify above ERPNext {sum(1 for d in plan.drifted if d.difference > 0):,}",
        f"  Shopify below ERPNext {sum(1 for d in plan.drifted if d.difference < 0):,}"
        f" (of which waiting for the next reconciliation: {sum(1 for d in plan.drifted if d.action == 'wait'):,})",
        f"corrected              {result.corrected:,}",
        f"not stocked on Shopify {len(plan.not_stocked):,}",
        # Shopify keeps no stock for these: a push skips them, so they are not drift.
        f"untracked on Shopify   {len(plan.untracked):,} (not compared)",
        f"read                   {result.read_method}, {result.read_calls:,} calls",
        f"API calls              {result.api_calls:,}",
    ]
    largest = plan.largest(10)
    if largest:
        lines.append("largest differences (ERPNext -> Shopify):")
        lines += [
            f"  {d.ref}  {d.key[1]}  {d.erpnext} -> {d.shopify} ({d.difference:+d}) {d.action}"
            for d in largest
        ]
    return lines


def run_reconcile_command(args: argparse.Namespace) -> int:
    found = endpoint_and_rows(args)
    if isinstance(found, int):
        return found
    return run_reconcile(args, *found)


def run_reconcile(args: argparse.Namespace, endpoint: ShopifyEndpoint, rows: Sequence[StockRow]) -> int:
    try:
        return _run_reconcile(args, endpoint, rows)
    except StateError as exc:  # opened, checked, read or written: the run stops, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ABORTED


def _run_reconcile(args: argparse.Namespace, endpoint: ShopifyEndpoint, rows: Sequence[StockRow]) -> int:
    options = sync_options(args)
    with SyncState(args.state, endpoint.shop_domain, endpoint_key(endpoint)) as state:
        # An earlier run's rows in flight are read first (the crash rule), and the correction
        # is saved batch by batch as a push is.
        check = settle_in_flight(endpoint, state, options)
        for line in in_flight_lines(check):
            print(line, file=sys.stderr if check.unread else sys.stdout)
        if check is not None and check.unread:
            return EXIT_ABORTED
        recorder = RunRecorder(state)
        options = recorded(options, recorder)
        found = _with_ids(endpoint, rows, state, options)
        if found is None:
            return EXIT_ABORTED
        rows, failed_rows = found
        print(f"Reconciling {len(rows):,} rows with {endpoint.shop_domain} (API {endpoint.api_version})")
        result = reconcile(
            endpoint,
            rows,
            options=ReconcileOptions(
                tolerance=args.tolerance,
                correct=args.correct,
                previous_shortfalls=state.shortfalls(),
                previous_levels={level.key: level for level in state.confirmed()},
                read_method=args.read,
                sync=options,
            ),
        )
        if result.aborted and not result.plan.compared:
            print(f"Reconciliation aborted: {result.abort_reason}", file=sys.stderr)
            return EXIT_ABORTED
        if result.correction is not None:  # first: the reconciliation's own levels have the last word
            state.finish_run(result.correction)
        state.replace_shortfalls(dict(result.shortfalls))
        state.save_confirmed(result.confirmed)
        if recorder.error is not None:
            raise recorder.error
    return _report(args, result, rows, failed_rows)


def _with_ids(
    endpoint: ShopifyEndpoint, rows: Sequence[StockRow], state: SyncState, options: SyncOptions
) -> tuple[list[StockRow], int] | None:
    """The rows with their inventory item ids (cached, else looked up and saved) and how many
    SKUs Shopify does not have; None when the lookup aborted (said on stderr)."""
    rows = with_cached_ids(rows, state)
    missing = [r for r in rows if not r.inventory_item_id]
    if not missing:
        return rows, 0
    resolved = resolve_rows(endpoint, missing, options=options)
    if resolved.aborted:
        print(f"Reconciliation aborted: {resolved.abort_reason}", file=sys.stderr)
        return None
    state.save_ids(resolved.resolved)
    return [r for r in rows if r.inventory_item_id] + list(resolved.rows), len(resolved.unresolved)


def _report(
    args: argparse.Namespace, result: ReconciliationResult, rows: list[StockRow], failed_rows: int
) -> int:
    """Print what the reconciliation found and did, write --report, pick the exit code."""
    print("\n".join(summary(result, args.tolerance)))
    if failed_rows:
        print(f"rows not found on Shopify: {failed_rows:,}")
    if args.report:
        write_report(args.report, result, {r.inventory_item_id: r.sku or r.label for r in rows})
        print(f"drifted rows written to {args.report}")
    if result.aborted:
        print(f"Correction aborted: {result.abort_reason}", file=sys.stderr)
        return EXIT_ABORTED
    correction_failed = result.correction is not None and (result.correction.failed or result.correction.held)
    return EXIT_OK if result.remaining == 0 and not correction_failed and not failed_rows else EXIT_DRIFT
