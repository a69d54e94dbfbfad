"""The frame every job that works on one store runs in: may it run (kill switch, enabled,
back-off, due), the store's run lock (one sync or reconciliation of a store at a time), a
savepoint, and whatever breaks rolled back and ended in a record the admin can see.

The sync job (store_sync.py) and the reconciliation job (reconciliation.py) run whole in it;
the fast path and the webhook check ask the same questions (refusal, store_lock); the store's
buttons ask refuse_manual_run. The kill-switch sentence is written here only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol, TypeVar

import frappe
from frappe import _
from frappe.utils import now_datetime

from . import run_lock
from .backoff import backoff_message
from .scheduling import is_backed_off, is_kill_switched, lock_ttl_seconds

T = TypeVar("T", covariant=True)


class Refused(Enum):
    SWITCHED_OFF = "switched off"  # site config's kill switch: wins over everything, force included
    DISABLED = "disabled"
    PAUSED = "paused"  # back-off after runs that failed the same way
    NOT_DUE = "not due"
    CONFIGURATION = "configuration"  # the store's own settings keep it from running


# Refusals that say nothing about the shop: the store's last status stays its last run's.
_SAYS_NOTHING_OF_THE_SHOP = {Refused.PAUSED, Refused.NOT_DUE}


@dataclass(frozen=True)
class Refusal:
    kind: Refused
    reason: str

    @property
    def keep_store_status(self) -> bool:
        return self.kind in _SAYS_NOTHING_OF_THE_SHOP


def kill_switch_message(shop_domain: str) -> str:
    return _("Inventory sync is switched off for {0} in site config").format(shop_domain)


def refusal(
    store, now: datetime, *, force: bool = False, backoff: bool = False, not_due: str | None = None
) -> Refusal | None:
    """Why the store's job must not start now, else None. `force` (a button) passes the back-off
    and due-ness, never the kill switch; `backoff`: a paused store refuses; `not_due`: the
    caller's sentence when its own interval has not passed."""
    if is_kill_switched(store.shop_domain):
        return Refusal(Refused.SWITCHED_OFF, kill_switch_message(store.shop_domain))
    if not (store.enabled and store.inventory_sync_enabled):
        return Refusal(Refused.DISABLED, _("The store or its inventory sync is disabled"))
    if force:
        return None
    if backoff and is_backed_off(store.backoff_until, now):
        return Refusal(Refused.PAUSED, backoff_message(store))
    if not_due:
        return Refusal(Refused.NOT_DUE, not_due)
    return None


def refuse_manual_run(store, *, skipped_log: bool = True, needs_locations: bool = True) -> dict | None:
    """The buttons (Sync Inventory, Release Held Run, Push Now, Reconcile) pass the interval and
    the back-off, never the kill switch: a switched-off store answers {"queued": False,
    "message"} (with the Shopify Log it wrote, `skipped_log`); a store that cannot run throws;
    else None."""
    refused = refusal(store, now_datetime(), force=True)
    if refused and refused.kind == Refused.SWITCHED_OFF:
        answer = {"queued": False, "message": refused.reason}
        if skipped_log:
            from .run_log import write_skipped_log

            answer["log"] = write_skipped_log(store, "Manual", refused.reason)
        return answer
    if refused:
        frappe.throw(_("Enable the store and its inventory sync first"))
    if needs_locations and not store.locations:
        frappe.throw(_("Map at least one warehouse to a Shopify location first"))
    return None


@contextmanager
def store_lock(store, wait_s: float = 0.0, poll_s: float = 1.0) -> Iterator[run_lock.Acquired]:
    """The store's run lock for the block (waited for up to `wait_s`); `.ok` False: another run
    holds it (`.holder`) and the block must not work on the store."""
    deadline = time.monotonic() + wait_s
    lock = run_lock.acquire(store.name, lock_ttl_seconds(store.run_deadline))
    while not lock.ok and time.monotonic() < deadline:
        time.sleep(poll_s)
        lock = run_lock.acquire(store.name, lock_ttl_seconds(store.run_deadline))
    try:
        yield lock
    finally:
        if lock.ok:
            run_lock.release(store.name, lock.holder)


class StoreJob(Protocol[T]):
    """One job on one store, as run_store_job runs it."""

    store: object
    savepoint: str

    def busy(self, holder: run_lock.Holder) -> T:
        """The answer when another run holds the store."""

    def start(self) -> None:
        """Under the lock, before the savepoint: what must stay even if the work fails."""

    def run(self) -> T:
        """The work."""

    def failed(self, exc: Exception) -> T:
        """The record of a run that broke (its writes since the savepoint already undone)."""


def run_store_job(job: StoreJob[T]) -> T:
    """Under the store's run lock: job.start(), a savepoint, job.run(). Whatever breaks, the run
    ends in job.failed's record the admin can see, not only in the worker's error log; this
    run's writes since the savepoint are undone first."""
    with store_lock(job.store) as lock:
        if not lock.ok:
            return job.busy(lock.holder)
        job.start()
        frappe.db.savepoint(job.savepoint)
        try:
            return job.run()
        except Exception as exc:
            _undo_since(job.savepoint)
            return job.failed(exc)


def _undo_since(savepoint: str) -> None:
    """Back to the savepoint; when the database dropped it (InnoDB rolls a deadlock's victim back
    whole, savepoints included), the whole transaction: everything since the savepoint is gone
    either way, and the job's own error, not this one, is what its record must say."""
    try:
        frappe.db.rollback(save_point=savepoint)
    except Exception:
        frappe.db.rollback()
