"""A run saves as it goes: at each checkpoint of the engine the ids learnt go to the Item cache,
the levels landed to the confirmed levels and the counts to the Running log, in one commit
inside a worker, so a worker killed mid-run leaves a log saying what landed and a cache that
keeps what it learnt."""

from __future__ import annotations

from collections.abc import Iterable

import frappe

from ..sync.api import Checkpoint, Resolution, StockRow
from . import flight_marks
from .constants import LOG_DOCTYPE
from .id_cache import ResolutionIndex, resolution_key, save_resolutions


class Checkpointer:
    """The engine's on_checkpoint: ids learnt go to the Item cache, counts to the Running log."""

    def __init__(self, store_name: str, log_name: str, rows: Iterable[StockRow]):
        self.store_name = store_name
        self.log_name = log_name
        self.index = ResolutionIndex(rows)
        self.saved: set[tuple] = set()
        # The engine's on_sending: a batch's rows are marked in flight and committed before it
        # leaves, so a worker killed before its checkpoint leaves them to be read again.
        self.marker = flight_marks.Marker(store_name)
        self.sending = self.marker.sending

    def __call__(self, checkpoint: Checkpoint) -> None:
        # One small transaction per batch of 250 rows (cheap next to the mutation itself),
        # written again when it loses a deadlock to another store's run.
        flight_marks.in_own_transaction(lambda: self._write(checkpoint))

    def _write(self, checkpoint: Checkpoint) -> None:
        if checkpoint.resolved:
            self._save(checkpoint.resolved)
        # The levels this batch landed, in the same transaction as its counts and ids: a kill
        # after this commit keeps them; one before it leaves their in-flight marks.
        self.marker.landed(checkpoint)
        frappe.db.set_value(
            LOG_DOCTYPE,
            self.log_name,
            {
                "pushed": checkpoint.pushed,
                "failed": checkpoint.failed,
                "batches_ok": checkpoint.batches_ok,
                "batches_failed": checkpoint.batches_failed,
            },
            update_modified=False,
        )

    def save(self, resolved: Iterable[Resolution]) -> None:
        resolved = list(resolved)
        flight_marks.in_own_transaction(lambda: self._save(resolved))

    def _save(self, resolved: Iterable[Resolution]) -> None:
        resolved = list(resolved)
        self.saved.update(resolution_key(r) for r in resolved)
        save_resolutions(self.store_name, self.index, resolved)

    def save_rest(self, resolved: Iterable[Resolution]) -> None:
        """What the engine reports at the end and no checkpoint carried (ids found again
        for rows Shopify refused, for instance)."""
        rest = [r for r in resolved if resolution_key(r) not in self.saved]
        if rest:
            self.save(rest)
