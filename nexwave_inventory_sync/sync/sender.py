"""Concurrent batches: one session per batch in flight, up to `SyncOptions.concurrency`,
all paced by one shared bucket model; every outcome is folded into the tally on the calling
thread, so callbacks may touch frappe."""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager

from .checkpoints import in_flight_marks, take_checkpoint
from .client import CallStats, RunAborted, ShopifyClient
from .clock import Clock
from .endpoint import ShopifyEndpoint
from .errors import Stopped
from .options import ProgressCallback, SyncOptions
from .push import QUANTITY_NAME, BatchOutcome, ReadyRow, send_batch
from .tally import Tally
from .throttle import BucketModel


@contextmanager
def sessions(
    endpoint: ShopifyEndpoint, options: SyncOptions, clock: Clock, stats: CallStats, deadline: float | None
) -> Iterator[tuple[list[ShopifyClient], ShopifyClient]]:
    """One session per sender and one for the calling thread, sharing one bucket model and
    one CallStats. Resolution runs on the calling thread while batches are in flight on the
    senders' threads: it gets a session of its own (a requests.Session is not for two threads)."""
    bucket = BucketModel()

    def new_client() -> ShopifyClient:
        return ShopifyClient(
            endpoint,
            policy=options.policy,
            clock=clock,
            timeout=options.timeout,
            bucket=bucket,
            stats=stats,
            deadline=deadline,
        )

    with ExitStack() as stack:
        senders = [stack.enter_context(new_client()) for _ in range(max(1, options.concurrency))]
        yield senders, stack.enter_context(new_client())


class Sender:
    """Sends batches inline (concurrency 1) or keeps up to k in flight on k sessions. Results
    are always folded in on the calling thread, so the progress callback may touch frappe."""

    def __init__(
        self,
        clients: list[ShopifyClient],
        run_id: str,
        tally: Tally,
        progress: ProgressCallback | None,
        total: int | None,
        options: SyncOptions,
    ):
        self.name = options.quantity_name
        self.should_stop = options.should_stop
        self.on_sending = options.on_sending
        self.clients = clients
        self.on_checkpoint = options.on_checkpoint
        self.run_id = run_id
        self.tally = tally
        self.progress = progress
        self.total = total
        self._pool = cf.ThreadPoolExecutor(len(clients)) if len(clients) > 1 else None
        self._idle = list(clients)
        self._in_flight: dict[cf.Future, ShopifyClient] = {}

    def send(self, batch: Sequence[ReadyRow]) -> bool:
        """Send (or queue) one batch; False, with the batch counted as not sent, once the
        run has stopped."""
        if self.tally.stopped or self._stop_requested():
            return False
        if self._pool is None:
            self._mark(batch)
            self._fold(lambda: send_safely(self.clients[0], batch, self.run_id, self.name))
            return True
        # The first batch goes alone: a bad token or a locked shop then costs one call, not k.
        while not self._idle or (self._in_flight and self.tally.batches_done == 0):
            self._wait(cf.FIRST_COMPLETED)
            if self.tally.stopped:
                return False
        if self._stop_requested():  # asked while this batch waited for a free session
            return False
        client = self._idle.pop()
        self._mark(batch)
        future = self._pool.submit(send_safely, client, batch, self.run_id, self.name)
        self._in_flight[future] = client
        return True

    def _stop_requested(self) -> bool:
        if self.should_stop is None or not self.should_stop():
            return False
        self.tally.abort = RunAborted(Stopped("the run was asked to stop before this batch"))
        return True

    def _mark(self, batch: Sequence[ReadyRow]) -> None:
        if self.on_sending is not None:
            self.on_sending(in_flight_marks(batch))

    def flush(self) -> None:
        """Wait for every batch in flight and fold it in."""
        while self._in_flight:
            self._wait(cf.ALL_COMPLETED)

    def close(self) -> None:
        self.flush()
        if self._pool is not None:
            self._pool.shutdown()

    def _wait(self, how: str) -> None:
        done, _ = cf.wait(list(self._in_flight), return_when=how)
        for future in done:
            self._idle.append(self._in_flight.pop(future))
            self._fold(future.result)

    def _fold(self, outcome_of: Callable[[], BatchOutcome]) -> None:
        try:
            outcome = outcome_of()
        except RunAborted as abort:
            self.tally.stop(abort)
            reason = abort.error.message
            self.tally.unsent_ready(
                abort.rows,
                "NOT_CONFIRMED",
                f"sent, but the run stopped before Shopify confirmed it: {reason}",
            )
            return
        self.tally.add(outcome)
        if self.on_checkpoint is not None:
            self.on_checkpoint(take_checkpoint(self.tally))
        if self.progress is not None:
            self.progress(self.tally.batches_done, self.total)

    def end_progress(self) -> None:
        if self.progress is not None and self.total != self.tally.batches_done and not self.tally.stopped:
            # Skipped rows made the estimate too high: end the bar at 100 %, not short of it.
            self.progress(self.tally.batches_done, self.tally.batches_done)


def send_safely(
    client: ShopifyClient, batch: Sequence[ReadyRow], run_id: str, name: str = QUANTITY_NAME
) -> BatchOutcome:
    """send_batch, with a last guard: an error no rule foresaw fails this batch with its
    type and text instead of escaping sync_inventory (which never raises for an answer)."""
    try:
        return send_batch(client, batch, run_id, name=name)
    except RunAborted:
        raise
    except Exception as exc:  # noqa: BLE001 - the guard is the point
        outcome = BatchOutcome()
        outcome.failures = [
            r.failure("UNEXPECTED_ERROR", f"{type(exc).__name__}: {exc}"[:300]) for r in batch
        ]
        outcome.in_doubt = list(batch)  # it may have failed after the write left
        return outcome
