"""The tally of a finished run as its RunResult: the counts, the levels confirmed and to
forget, what the calls cost, and the one-sentence error a person reads first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from .after_batches import PostRun
from .checkpoints import in_flight_marks
from .client import CallStats
from .delta import ConfirmedLevel
from .options import SyncOptions
from .push import ReadyRow
from .results import RunResult, commonest_failure
from .tally import Tally, confirmed_level, ready_key, void_levels


def run_result(
    tally: Tally,
    post: PostRun,
    stats: CallStats,
    options: SyncOptions,
    *,
    run_id: str,
    api_version: str,
    duration_s: float,
) -> RunResult:
    stop_kind = tally.abort.error.kind if tally.abort is not None else None
    deadline_reached = stop_kind == "deadline"
    # A stop the caller asked for ends like a deadline: Partial, not an abort.
    abort = tally.abort.error if tally.abort and stop_kind not in ("deadline", "stopped") else None
    held = sum(1 for c in post.conflicts if c.outcome in ("held", "unsettled")) + sum(
        1 for f in tally.failures if f.conflict
    )
    error = summary(tally, deadline_reached)
    if error is None and held:
        error = (
            f"{held:,} rows changed on Shopify since their confirmed figure and did not land "
            f"(conflict policy {options.conflict_policy.value}); each is in the conflict rows"
        )
    confirmed = tuple(_confirmed(tally.landed, post))
    return RunResult(
        run_id=run_id,
        api_version=api_version,
        considered=tally.considered,
        pushed=tally.pushed,
        unchanged_skipped=tally.unchanged_skipped,
        untracked=tally.untracked,
        unresolved=tally.unresolved,
        failed=sum(1 for f in tally.failures if not f.conflict),
        conflicts=len(post.conflicts) + sum(1 for f in tally.failures if f.conflict),
        held=held,
        activated=post.activated,
        quantity_name=options.quantity_name,
        confirmed=confirmed,
        in_doubt=in_flight_marks(tally.in_doubt),
        conflict_rows=tuple(post.conflicts),
        batches_ok=tally.batches_ok,
        batches_failed=tally.batches_failed,
        duration_s=duration_s,
        failures=tuple(tally.failures),
        unresolved_rows=tuple(tally.unresolved_rows),
        resolved=tuple(tally.resolved.values()),
        aborted=abort is not None,
        abort_kind=abort.kind.value if abort else None,  # a plain str for logs and the database
        abort_reason=str(abort) if abort else None,
        not_sent=tally.not_sent,
        unsent_rows=tuple(tally.unsent_rows),
        deadline_reached=deadline_reached,
        dropped=tally.dropped,
        forget=tuple(void_levels(tally.forget, confirmed)),
        error=error,
        **call_figures(stats),
    )


def call_figures(stats: CallStats) -> dict:
    """What the run's calls cost, as RunResult's fields."""
    return {
        "api_calls": stats.api_calls,
        "retries": stats.retries,
        "throttled_answers": stats.throttled_answers,
        "throttle_waits": stats.throttle_waits,
        "seconds_waited": round(stats.seconds_waited, 3),
        "cost_requested": stats.cost_requested,
        "query_cost": stats.cost_actual,
        "calls_by_operation": dict(Counter(stats.calls_by_operation)),
        "retries_by_kind": dict(Counter(stats.retries_by_kind)),
    }


def _confirmed(landed: Iterable[ReadyRow], post: PostRun) -> Iterator[ConfirmedLevel]:
    """One confirmed level per (item, location), the last value Shopify accepted."""
    levels: dict[tuple[str, str], ConfirmedLevel] = {}
    for source, rows in (("push", landed), ("conflict", post.landed)):
        for ready in rows:
            levels[ready_key(ready)] = confirmed_level(ready, source)
    yield from levels.values()


def summary(tally: Tally, deadline_reached: bool) -> str | None:
    """The run's top-level error in one sentence: the abort's reason, or what most failed rows
    share, so a person sees the cause without opening the rows."""
    if tally.abort is not None:
        error = tally.abort.error
        prefix = (
            "deadline reached"
            if deadline_reached
            else "stopped"
            if error.kind == "stopped"
            else "run aborted"
        )
        text = f"{prefix}: {error}"
        if tally.not_sent:
            text += f" ({tally.not_sent:,} rows not sent or not confirmed)"
        return text
    commonest = commonest_failure(f for f in tally.failures if not f.conflict)
    if commonest:
        text = (
            f"{commonest.total:,} rows failed; {commonest.count:,} with {commonest.code}: {commonest.example}"
        )
        if commonest.other_codes:
            text += f" (and {commonest.other_codes} other reason(s))"
        return text
    if tally.unresolved:
        return f"{tally.unresolved:,} rows name items that are not on Shopify (SKU not found or ambiguous)"
    if tally.failures:
        return f"{len(tally.failures):,} rows changed on Shopify since they were read (conflicts)"
    return None
