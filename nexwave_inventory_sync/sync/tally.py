"""The run's accounting: every row read ends in exactly one count (RunResult.accounted), and
what happened since the last checkpoint waits here for the next one (checkpoints.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from .client import RunAborted
from .delta import ConfirmedLevel, LevelKey
from .ids import to_gid
from .push import BatchOutcome, ReadyRow, Refusal
from .results import Resolution, RowFailure, StockRow

# The log keeps every failed row, but an unmapped catalog can leave 100,000 rows without
# a Shopify variant: those are counted, and the first few kept as examples.
UNRESOLVED_DETAIL_LIMIT = 200


def ready_key(ready: ReadyRow) -> LevelKey:
    return (ready.inventory_item_id, ready.location_id)


def failure_location(failure: RowFailure) -> str:
    return to_gid("Location", failure.row.location_id)


def confirmed_level(ready: ReadyRow, source: str) -> ConfirmedLevel:
    return ConfirmedLevel(
        ready.inventory_item_id, ready.location_id, ready.quantity, ready.row.label, source, ready.row.held
    )


def void_levels(
    forget: Iterable[ConfirmedLevel], confirmed: Iterable[ConfirmedLevel]
) -> Iterator[ConfirmedLevel]:
    """Each level to forget once, never one this run confirmed."""
    keep = {level.key for level in confirmed}
    for level in forget:
        if level.key not in keep:
            keep.add(level.key)
            yield level


@dataclass
class Tally:
    considered: int = 0
    pushed: int = 0
    unchanged_skipped: int = 0
    untracked: int = 0
    unresolved: int = 0
    batches_ok: int = 0
    batches_failed: int = 0
    batches_done: int = 0
    failures: list[RowFailure] = field(default_factory=list)
    unresolved_rows: list[RowFailure] = field(default_factory=list)
    resolved: dict[str, Resolution] = field(default_factory=dict)
    new_resolved: list[Resolution] = field(default_factory=list)  # not yet in a checkpoint
    abort: RunAborted | None = None
    not_sent: int = 0
    unsent_rows: list[RowFailure] = field(default_factory=list)
    landed: list[ReadyRow] = field(default_factory=list)
    # Since the last checkpoint: rows Shopify accepted, and keys it answered without applying.
    landed_new: list[ReadyRow] = field(default_factory=list)
    released_new: list[LevelKey] = field(default_factory=list)
    in_doubt: list[ReadyRow] = field(default_factory=list)  # sent, no answer seen
    dropped: int = 0
    forget: list[ConfirmedLevel] = field(default_factory=list)
    forget_new: list[ConfirmedLevel] = field(default_factory=list)  # not yet in a checkpoint

    def fail(self, row: StockRow, code: str, message: str, **kw) -> None:
        self.failures.append(RowFailure(row, code, message, **kw))

    def unsent(self, row: StockRow, code: str, message: str, **kw) -> None:
        self.not_sent += 1
        if len(self.unsent_rows) < UNRESOLVED_DETAIL_LIMIT:
            self.unsent_rows.append(RowFailure(row, code, message, **kw))

    def unsent_ready(self, rows: Iterable[ReadyRow], code: str, message: str) -> None:
        for ready in rows:
            self.unsent(
                ready.row, code, message, quantity=ready.quantity, inventory_item_id=ready.inventory_item_id
            )

    @property
    def stopped(self) -> bool:
        return self.abort is not None

    def stop(self, abort: RunAborted) -> None:
        """The first stop is the run's reason; the batch it cut off stays in doubt."""
        if self.abort is None:
            self.abort = abort
        self.in_doubt.extend(abort.rows)

    def not_found(self, row: StockRow, code: str, message: str) -> None:
        self.unresolved += 1
        if len(self.unresolved_rows) < UNRESOLVED_DETAIL_LIMIT:
            self.unresolved_rows.append(RowFailure(row, code, message))

    def add(self, outcome: BatchOutcome) -> None:
        self.batches_done += 1
        self.pushed += outcome.pushed
        self.failures.extend(outcome.failures)
        self.landed.extend(outcome.landed)
        self.answered(outcome)
        if outcome.ok:
            self.batches_ok += 1
        else:
            self.batches_failed += 1

    def answered(self, outcome: BatchOutcome) -> None:
        """What one send settled: landed rows for the next checkpoint; refused rows' marks
        released; rows without an answer kept in doubt."""
        self.landed_new.extend(outcome.landed)
        self.in_doubt.extend(outcome.in_doubt)
        self.release(outcome.failures, outcome.in_doubt)

    def release(self, failures: Iterable[RowFailure], in_doubt: Iterable[ReadyRow]) -> None:
        """Refused rows' in-flight marks, for the next checkpoint; never one of `in_doubt`."""
        doubtful = {ready_key(r) for r in in_doubt}
        self.released_new.extend(
            key
            for f in failures
            if f.inventory_item_id and (key := (f.inventory_item_id, failure_location(f))) not in doubtful
        )

    def take(self, wanted: Callable[[Refusal], bool]) -> list[Refusal]:
        """The refused rows a later step works on, taken out of the failures; the step puts
        back what it could not settle."""
        taken = [f for f in self.failures if isinstance(f, Refusal) and wanted(f)]
        if taken:
            ids = {id(f) for f in taken}
            self.failures = [f for f in self.failures if id(f) not in ids]
        return taken

    def count_unsent(self, pending: Iterable[ReadyRow], rest: Iterable[StockRow]) -> None:
        """After a stop, every row read but not sent, and every row not yet read, is counted and
        (the first few) listed, so the log says exactly what did not reach Shopify."""
        error = self.abort.error if self.abort else None
        reason = f"the run stopped before this row was sent: {error.message}" if error else "not sent"
        self.unsent_ready(pending, "NOT_SENT", reason)
        for row in rest:
            self.considered += 1
            self.unsent(row, "NOT_SENT", reason)
