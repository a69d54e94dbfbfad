"""A reconciliation's correction: the drifted rows pushed with compare-and-set against the
figure just read, and the rows Shopify moved since the read settled by
conflicts.settle_correction in rounds of their own (reconcile.py reads and compares)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from .clock import Clock
from .conflicts import MAX_REPEATS, Conflict, ConflictPolicy, settle_correction
from .delta import ConfirmedLevel, LevelKey, row_key
from .endpoint import ShopifyEndpoint
from .options import SyncOptions
from .results import RunResult, StockRow
from .run import sync_inventory


def correct(
    endpoint: ShopifyEndpoint,
    corrections: Iterable[StockRow],
    options: SyncOptions,
    clock: Clock,
    progress: Callable[[int, int | None], None] | None = None,
) -> RunResult:
    """Push the corrections with compare-and-set against the figure just read. A row Shopify
    moved since the read (a bulk read takes minutes: a busy shop sells meanwhile) is settled by
    conflicts.settle_correction, not by settle(): a delta row's rule would take the drift being
    corrected for imported orders and overwrite the sale. The run's own settling is told to
    hold, so each conflict comes back with Shopify's current figure; this settles and resends
    those rows (at most MAX_REPEATS repeats, as settle.py does for delta rows) and returns one
    RunResult for the whole correction."""
    rows = list(corrections)
    policy = options.conflict_policy
    first = sync_inventory(
        endpoint,
        rows,
        options=replace(options, conflict_policy=ConflictPolicy.HOLD),
        clock=clock,
        progress=progress,
    )
    if policy is ConflictPolicy.HOLD or first.aborted:
        return first
    rounds = _Rounds({row_key(row): row for row in rows}, options)
    rounds.pending = {
        (c.inventory_item_id, c.location_id): (c, c.shopify, 0)
        for c in first.conflict_rows
        if c.outcome == "held"
        and c.shopify is not None
        and (c.inventory_item_id, c.location_id) in rounds.by_key
    }
    if not rounds.pending:
        return first
    run_id = options.run_id or first.run_id
    while resend := rounds.resend():
        # A run id of its own per round: a repeat holding the same figures as the attempt
        # before it must not reuse that batch's idempotency key (Shopify would replay it).
        again = sync_inventory(
            endpoint,
            resend,
            options=replace(
                options,
                conflict_policy=ConflictPolicy.HOLD,
                run_id=f"{run_id}.correction-conflicts-{len(rounds.results) + 1}",
            ),
            clock=clock,
        )
        rounds.fold(again)
        if again.aborted:
            break
    for key, conflict in rounds.settled.items():
        if conflict.outcome == "held":  # the resend stopped before it was settled
            rounds.settled[key] = replace(
                conflict, outcome="unsettled", message="the run stopped before it was settled"
            )
    return _merged(first, rounds.results, rounds.settled, rounds.unchanged, policy)


class _Rounds:
    """The conflicts of a correction, settled round by round: what each round resends, and
    what its run says became of them."""

    def __init__(self, by_key: Mapping[LevelKey, StockRow], options: SyncOptions):
        self.by_key = by_key
        self.options = options
        # key -> (the conflict as first met, Shopify's figure now, resends made)
        self.pending: dict[LevelKey, tuple[Conflict, int, int]] = {}
        self.settled: dict[LevelKey, Conflict] = {}
        self.results: list[RunResult] = []
        self.unchanged: list[ConfirmedLevel] = []  # Shopify already showed the settled figure

    def resend(self) -> list[StockRow]:
        """The rows to send this round, each settled by the policy against Shopify's figure."""
        policy = self.options.conflict_policy
        resend: list[StockRow] = []
        for key, (met, shopify, attempts) in self.pending.items():
            row = self.by_key[key]
            target = settle_correction(policy, met.erpnext, row.change_from, shopify)
            conflict = replace(met, shopify=shopify, attempts=attempts, message="")
            if target == shopify:
                self.unchanged.append(ConfirmedLevel(key[0], key[1], shopify, row.label, "conflict"))
                self.settled[key] = replace(
                    conflict, outcome="resolved", message="Shopify already showed the settled figure"
                )
            elif attempts > MAX_REPEATS:
                self.settled[key] = replace(
                    conflict,
                    outcome="unsettled",
                    message=f"still changing on Shopify after {MAX_REPEATS} repeats",
                )
            else:
                self.settled[key] = replace(conflict, sent=target, attempts=attempts + 1)
                resend.append(replace(row, target=target, change_from=shopify))
        self.pending = {}
        return resend

    def fold(self, again: RunResult) -> None:
        """A round's run: landed rows resolved, refused ones failed, new conflicts pending."""
        settled = self.settled
        self.results.append(again)
        for level in again.confirmed:
            if level.key in settled:
                settled[level.key] = replace(settled[level.key], outcome="resolved")
        for failure in again.failures:
            key = row_key(failure.row)
            if key in settled:
                settled[key] = replace(
                    settled[key], outcome="failed", message=f"{failure.code}: {failure.message}"
                )
        for met in again.conflict_rows:
            key = (met.inventory_item_id, met.location_id)
            if met.outcome == "held" and met.shopify is not None and key in settled:
                self.pending[key] = (settled[key], met.shopify, settled[key].attempts)
            elif key in settled:
                settled[key] = replace(settled[key], outcome="failed", message=met.message)


def _merged(
    first: RunResult,
    resends: list[RunResult],
    settled: Mapping[LevelKey, Conflict],
    unchanged: list[ConfirmedLevel],
    policy: ConflictPolicy,
) -> RunResult:
    """The correction's first run with its conflicts settled: one RunResult, counted as
    sync_inventory counts one whose own settling did the work."""
    runs = [first, *resends]
    confirmed = {level.key: level for run in runs for level in run.confirmed}
    confirmed.update({level.key: level for level in unchanged})
    conflict_rows = [
        c for c in first.conflict_rows if (c.inventory_item_id, c.location_id) not in settled
    ] + list(settled.values())
    # Every settled row was held in the first run (first.held counts it); what is still held
    # or unsettled after the resends counts again.
    held = first.held - len(settled) + sum(1 for c in settled.values() if c.outcome in ("held", "unsettled"))
    failed = first.failed + sum(run.failed for run in resends)
    aborted = next((run for run in runs if run.aborted), None)
    error = next((run.error for run in runs if run.error and (run.failed or run.aborted)), None)
    if error is None and held:
        error = (
            f"{held:,} rows changed on Shopify since their confirmed figure and did not land "
            f"(conflict policy {policy.value}); each is in the conflict rows"
        )

    def total(name: str):
        return sum(getattr(run, name) for run in runs)

    def counted(name: str) -> dict[str, int]:
        return dict(sum((Counter(getattr(run, name)) for run in runs), Counter()))

    return replace(
        first,
        pushed=first.pushed + sum(run.pushed for run in resends) + len(unchanged),
        failed=failed,
        held=held,
        confirmed=tuple(confirmed.values()),
        conflict_rows=tuple(conflict_rows),
        failures=first.failures + tuple(f for run in resends for f in run.failures),
        batches_ok=total("batches_ok"),
        batches_failed=total("batches_failed"),
        api_calls=total("api_calls"),
        retries=total("retries"),
        throttled_answers=total("throttled_answers"),
        throttle_waits=total("throttle_waits"),
        seconds_waited=round(total("seconds_waited"), 3),
        cost_requested=total("cost_requested"),
        query_cost=total("query_cost"),
        duration_s=round(total("duration_s"), 3),
        calls_by_operation=counted("calls_by_operation"),
        retries_by_kind=counted("retries_by_kind"),
        aborted=aborted is not None,
        abort_kind=aborted.abort_kind if aborted else None,
        abort_reason=aborted.abort_reason if aborted else None,
        error=error,
    )
