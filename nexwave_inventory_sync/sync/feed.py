"""Rows to batches: read the rows in chunks (a 500,000-row push holds one chunk, the run's id
caches and at most `concurrency` batches in memory, never the catalog twice), resolve and
prepare each chunk, and send every batch of 250 as it fills; what is left goes last."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence, Sized

from .checkpoints import take_checkpoint
from .limits import BATCH_SIZE
from .prepare import Preparer
from .push import ReadyRow, batch_kind
from .results import StockRow
from .sender import Sender


def chunks(rows: Iterable[StockRow], size: int) -> Iterator[list[StockRow]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def estimate_batches(rows: Iterable[StockRow], total_rows: int | None) -> int | None:
    count = len(rows) if isinstance(rows, Sized) else total_rows
    return math.ceil(count / BATCH_SIZE) if count is not None else None


class Feed:
    """Keeps what a stop leaves behind (rows read but not sent, rows not read) for `unsent`."""

    def __init__(
        self, rows: Iterable[StockRow], preparer: Preparer, sender: Sender, chunk_rows: int, api_version: str
    ):
        self.rows = rows
        self.preparer = preparer
        self.sender = sender
        self.chunk_rows = chunk_rows
        self.api_version = api_version
        self._iterator = iter(rows)
        # Ready rows waiting for a full batch, by push.batch_kind (before 2026-04 compared and
        # plain rows cannot share a batch; from 2026-04 there is one kind).
        self._pending: dict[str, list[ReadyRow]] = {}
        self._unprepared: list[StockRow] = []  # a chunk read whose resolution a stop cut short

    def run(self) -> None:
        """Send every row, then wait for the batches in flight. Raises RunAborted when a
        resolution call stops the run (the tally keeps the abort of a batch)."""
        tally = self.preparer.tally
        at_hand = isinstance(self.rows, Sequence)
        if at_hand and not tally.stopped:
            # All rows are at hand: one resolution pass picks the cheapest strategy for the
            # whole run (filter by SKU, or scan the catalog once).
            self.preparer.resolve(self.rows)
        for chunk in chunks(self._iterator, self.chunk_rows):
            self._unprepared = chunk
            if tally.stopped:  # stopped before the first batch (a bulk resolution abort)
                break
            if not at_hand:
                self.preparer.resolve(chunk)
            for ready in self.preparer.prepare(chunk):
                self._pending.setdefault(batch_kind(ready, self.api_version), []).append(ready)
            self._unprepared = []
            on_checkpoint = self.sender.on_checkpoint
            if on_checkpoint is not None and tally.new_resolved:
                # Saved before this chunk's batches go out: a run killed while sending keeps
                # every id it learnt.
                on_checkpoint(take_checkpoint(tally))
            for queue in self._pending.values():
                while len(queue) >= BATCH_SIZE and self.sender.send(queue[:BATCH_SIZE]):
                    del queue[:BATCH_SIZE]
            if tally.stopped:
                break
        for kind, queue in self._pending.items():
            if queue and self.sender.send(queue):
                self._pending[kind] = []
        self.sender.flush()

    def unsent(self) -> tuple[list[ReadyRow], Iterable[StockRow]]:
        """After a stop: the ready rows no batch took, and the rows not prepared or not read."""
        pending = [r for queue in self._pending.values() for r in queue]
        return pending, itertools.chain(self._unprepared, self._iterator)
