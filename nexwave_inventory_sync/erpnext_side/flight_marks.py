"""The crash rule on the ERPNext side (sync/in_flight.py is the engine's half): rows marked in
flight before their batch leaves, the levels each checkpoint carries saved with it, and marks a
killed run left settled by one read before the next run (a push or a reconciliation) compares.

Commits happen only inside a worker (the job's own transaction); outside one (tests, bench
execute) the caller owns the transaction."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import frappe

from ..sync.api import Checkpoint, InFlightLevel, check_in_flight
from . import confirmed_levels
from .quantity_names import quantity_name

# The savepoint a run's error handler rolls back to: everything since the last commit.
SAVEPOINT = "shopify_inventory_sync"
# Tries of one transaction that keeps losing a deadlock to other stores' runs.
DEADLOCK_TRIES = 5


def in_worker() -> bool:
    """Frappe's execute_job sets frappe.local.job for the job it runs (rq's get_current_job
    answers None there)."""
    return bool(getattr(frappe.local, "job", None))


def commit_in_worker() -> None:
    """Inside a worker, commit what the run confirmed so far: a SIGKILL then loses none of it."""
    if not in_worker():
        return
    frappe.db.commit()
    frappe.db.savepoint(SAVEPOINT)


def is_deadlock(exc: BaseException) -> bool:
    """MariaDB chose this transaction as a deadlock's victim (Frappe 15/16 raise
    QueryDeadlockError; a driver error may still reach here raw)."""
    return isinstance(exc, frappe.QueryDeadlockError) or frappe.db.is_deadlocked(exc)


def in_own_transaction(write: Callable[[], None], *, tries: int = DEADLOCK_TRIES) -> None:
    """Inside a worker, `write` as one transaction of its own (committed before and after) and
    written again when it loses a deadlock: stores' runs write rows of the same Items at the same
    moments, and InnoDB rolls the victim's whole transaction back (its savepoints too), so only
    a transaction that holds nothing else can be repeated. `write` must be repeatable (upserts).
    Outside a worker the caller owns the transaction: `write` runs once."""
    if not in_worker():
        write()
        return
    commit_in_worker()
    for attempt in range(1, tries + 1):
        try:
            write()
            break
        except Exception as exc:
            if attempt == tries or not is_deadlock(exc):
                raise
            frappe.db.rollback()
            # The winner finishes its statement meanwhile; jitter keeps two victims apart.
            time.sleep(random.uniform(0.05, 0.25) * attempt)
    commit_in_worker()


def settle(store, endpoint) -> None:
    """Rows an earlier run sent without saving Shopify's answer: one read of their figures
    proves which level stands (sync/in_flight.py) before anything is compared or pushed. A read
    that fails keeps the marks; their rows are then pushed against the higher candidate level
    (compare-and-set) and read again next time."""
    marks = confirmed_levels.in_flight(store.name)
    if not marks:
        return
    check = check_in_flight(endpoint, marks, quantity_name=quantity_name(store))
    confirmed_levels.settle_in_flight(store.name, check)
    commit_in_worker()


class Marker:
    """The engine's on_sending, and the level half of its on_checkpoint, for one store."""

    def __init__(self, store_name: str):
        self.store_name = store_name
        self.levels_saved: set[tuple[str, str]] = set()

    def sending(self, marks: tuple[InFlightLevel, ...]) -> None:
        """Marked and committed before the batch leaves."""
        confirmed_levels.mark_in_flight(self.store_name, marks)
        commit_in_worker()

    def landed(self, checkpoint: Checkpoint) -> None:
        """The levels a batch landed, saved in the checkpoint's transaction (the caller commits);
        the marks of rows Shopify refused released; the levels of re-created products' old items
        forgotten before their rows leave again with the new ids."""
        if checkpoint.forget:
            confirmed_levels.forget_levels(self.store_name, [level.key for level in checkpoint.forget])
        if checkpoint.confirmed:
            confirmed_levels.upsert(self.store_name, checkpoint.confirmed, confirmed_levels.PUSH)
            self.levels_saved.update((level.ref, level.location_id) for level in checkpoint.confirmed)
        if checkpoint.released:
            confirmed_levels.release(self.store_name, checkpoint.released)

    def save_rest(self, levels) -> None:
        """Levels the run confirmed that no checkpoint carried; each level is written once."""
        rest = [level for level in levels if (level.ref, level.location_id) not in self.levels_saved]
        if rest:
            confirmed_levels.upsert(self.store_name, rest, confirmed_levels.PUSH)
