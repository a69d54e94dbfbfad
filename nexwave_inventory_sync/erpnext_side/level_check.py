"""The webhook check's read: only the levels a webhook said moved, not the whole location.

The scheduled reconciliation reads every level of a location (sync.reconcile, by pages or one
bulk operation): at 7,300 items that is ~22,000 points, for a check that came for a handful of
levels (docs/benchmarks.md §12). Here the marked levels are read by id (levels.read_levels: one
call per 250 levels of a location) and the reconciliation's own rules applied to them, each from
its home in the engine: drift.compare_levels (tolerance, the shortfall rule), drift.
levels_to_confirm, reconcile.correct (compare-and-set, the conflict policy). The result is the
engine's ReconciliationResult, so the check records and confirms as a reconciliation does.

No frappe here: the caller (webhooks.check_levels) brings the rows and the stored levels."""

from __future__ import annotations

from collections.abc import Iterable

from ..sync.client import CallFailed, CallStats, RunAborted, ShopifyClient
from ..sync.clock import Clock, SystemClock
from ..sync.delta import ConfirmedLevel, LevelKey, row_key
from ..sync.drift import DriftPlan, compare_levels, levels_to_confirm
from ..sync.endpoint import ShopifyEndpoint
from ..sync.levels import LevelReadFailed, read_levels
from ..sync.reconcile import ReconcileOptions, ReconciliationResult, correct, shortfalls_left
from ..sync.results import StockRow


def check_marked_levels(
    endpoint: ShopifyEndpoint,
    rows: Iterable[StockRow],
    *,
    options: ReconcileOptions,
    clock: Clock | None = None,
) -> ReconciliationResult:
    """sync.reconcile's answer for these rows, reading only their own levels. A level Shopify
    no longer has is left out (not stocked), as a reconciliation's read leaves it."""
    clock = clock or SystemClock()
    name = options.sync.quantity_name
    rows = list(rows)
    with_ids = [row for row in rows if row_key(row) is not None]
    stats = CallStats()
    try:
        with ShopifyClient(
            endpoint, policy=options.sync.policy, clock=clock, timeout=options.sync.timeout, stats=stats
        ) as client:
            found = read_levels(client, [row_key(row) for row in with_ids], name)
    except (RunAborted, CallFailed, LevelReadFailed) as error:
        reason = str(error.failure.error) if isinstance(error, RunAborted) else str(error)
        return ReconciliationResult(
            DriftPlan(0, (), ()), aborted=True, abort_reason=reason, api_calls=stats.api_calls
        )
    read: dict[LevelKey, int] = {key: quantity for key, quantity in found.items() if quantity is not None}
    plan = compare_levels(
        with_ids,
        read,
        mode=name,
        tolerance=options.tolerance,
        previous_shortfalls=options.previous_shortfalls,
        safety_buffer=options.sync.safety_buffer,
    )
    to_confirm = levels_to_confirm(plan, read, options.previous_levels)
    confirmed: dict[LevelKey, ConfirmedLevel] = {
        row_key(row): ConfirmedLevel(*row_key(row), to_confirm[row_key(row)], row.label, "reconcile")
        for row in with_ids
        if row_key(row) in to_confirm
    }
    correction = None
    if options.correct and plan.corrections:
        correction = correct(endpoint, plan.corrections, options.sync, clock, None)
        for level in correction.confirmed:
            confirmed[level.key] = ConfirmedLevel(
                level.inventory_item_id, level.location_id, level.quantity, level.ref, "reconcile"
            )
    return ReconciliationResult(
        plan=plan,
        confirmed=tuple(confirmed.values()),
        corrected=len(correction.confirmed) if correction else 0,
        correction=correction,
        read_method="levels",
        read_calls=stats.api_calls,
        api_calls=stats.api_calls + (correction.api_calls if correction else 0),
        skipped_without_id=len(rows) - len(with_ids),
        aborted=bool(correction and correction.aborted),
        abort_reason=correction.abort_reason if correction else None,
        shortfalls_left=shortfalls_left(plan, correction) if correction else None,
    )
