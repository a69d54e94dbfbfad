"""A store whose runs keep failing the same way: its scheduled runs pause (scheduling.py holds
the pure rules: failure_signature, next_backoff, is_backed_off); here the store's fields a run
writes and the sentence a paused run is skipped with."""

from __future__ import annotations

from frappe import _
from frappe.utils import cint, now_datetime

from ..sync.api import RowFailure, RunResult
from .scheduling import failure_signature, next_backoff


def backoff_updates(store, log, result: RunResult | None, not_landed: list[RowFailure]) -> dict:
    """The store's back-off fields after the run `log` records."""
    kind = result.abort_kind if result else (log.error or "").split(":")[0]
    signature = failure_signature(log.status, kind, [row.code for row in not_landed])
    count, until = next_backoff(
        store.failure_signature,
        cint(store.consecutive_failures),
        signature,
        store.sync_interval,
        now_datetime(),
    )
    reason = None
    if until:
        why = (log.error or log.failure_summary or "").strip().splitlines()
        reason = _(
            "{0} runs in a row ended {1} the same way ({2}). Scheduled runs pause until {3}; the Sync Inventory button still runs."
        ).format(count, log.status, why[0][:200] if why else signature, until)
    return {
        "consecutive_failures": count,
        "failure_signature": signature,
        "backoff_until": until,
        "backoff_reason": reason,
    }


def backoff_message(store) -> str:
    return _("Scheduled runs are paused until {0}: {1}").format(
        store.backoff_until, store.backoff_reason or ""
    )
