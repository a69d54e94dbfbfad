"""A whole sync run: rows in, RunResult out.

Rows are read in chunks, so a 500,000-row push holds one chunk, the run's id caches and at
most `concurrency` batches in memory, never the catalog twice. Per chunk: resolve missing
ids in bulk, apply the quantity rule, drop duplicates and unchanged rows, and send full
batches of 250 as they fill.

Public API (stable; the Frappe side and the CLI call it):

    sync_inventory(endpoint, rows, *, options=SyncOptions(...), clock=None, progress=None,
                   total_rows=None, read_stock=None) -> RunResult

- Pick the rows with `delta.select_delta(current_rows, confirmed_levels)` for a delta run:
  it sets `StockRow.change_from` (compare-and-set) on every row with a confirmed level.
- `SyncOptions.conflict_policy` (conflicts.ConflictPolicy, default keep-shopify-sales)
  settles CHANGE_FROM_QUANTITY_STALE / COMPARE_QUANTITY_STALE rows; every conflict is in
  `RunResult.conflict_rows` (conflicts.Conflict); held and unsettled rows count in
  `RunResult.held` and make the status Partial.
- `SyncOptions.quantity_name`: "available" (default) or "on_hand".
- `SyncOptions.activate_unstocked`: on ITEM_NOT_STOCKED_AT_LOCATION, activate the item at
  the location (inventoryActivate, idempotent) and push it again in the same run.
- `RunResult.confirmed`: a `delta.ConfirmedLevel` per row Shopify accepted (its value as
  accepted): store them, and pass them to select_delta next time.
- `RunResult.forget`: confirmed levels to delete from that store: their item is gone from
  Shopify (deleted, or replaced by a re-created product: `Resolution.replaces`) or, for a zero
  row, no longer stocked at the location. Such a zero row counts in `RunResult.dropped` (done:
  nothing is left to zero), never as failed. `forget` never holds a level in `confirmed`.
  A re-created product's new id (`Checkpoint.resolved`) and its old level (`Checkpoint.forget`)
  come in a checkpoint before its row is sent again: apply both with that checkpoint.
- A row Shopify already shows at ERPNext's figure is confirmed under every policy, without a
  conflict.
- `read_stock`: a cold run resolves ids first and only then reads the stock to push: pass
  the identifier rows (SKUs / variant ids; their quantity is ignored) as `rows` and a
  callable returning the stock rows as `read_stock`; it is called once resolution is done,
  and the ids just resolved are used without another lookup.

Where each part lives: options.py (SyncOptions), prepare.py (id lookup, quantity rule),
feed.py (chunks to batches), sender.py (concurrent batches), stale_ids.py (cached ids
Shopify refused), after_batches.py (activation, conflicts), checkpoints.py (the crash
rule's marks and checkpoints), tally.py and run_result.py (the accounting), resolve_rows.py
(ids without a push).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from .after_batches import PostRun, after_batches
from .client import CallStats, RunAborted
from .clock import Clock, SystemClock
from .endpoint import ShopifyEndpoint
from .feed import Feed, estimate_batches
from .options import ProgressCallback, SyncOptions
from .prepare import Preparer, resolve_first
from .resolve import Resolver
from .resolve_rows import ResolvedRows, resolve_rows
from .results import RunResult, StockRow
from .run_result import run_result
from .sender import Sender, sessions
from .stale_ids import items_gone, push_again
from .tally import Tally

# Old import paths: the CLI, the app and the benchmarks import these from here.
__all__ = ["ResolvedRows", "SyncOptions", "resolve_rows", "sync_inventory"]


def sync_inventory(
    endpoint: ShopifyEndpoint,
    rows: Iterable[StockRow],
    *,
    options: SyncOptions | None = None,
    clock: Clock | None = None,
    progress: ProgressCallback | None = None,
    total_rows: int | None = None,
    read_stock: Callable[[], Iterable[StockRow]] | None = None,
) -> RunResult:
    """Push `rows` to the shop. Never raises for anything Shopify or the network does: an
    aborted run comes back with aborted=True and the reason; rows are streamed when `rows` is
    an iterator. Every row read ends in exactly one count (see RunResult.accounted). With
    `read_stock`, `rows` only name the items to resolve; the stock pushed is read_stock()'s,
    read after resolution."""
    options = options or SyncOptions()
    clock = clock or SystemClock()
    run_id = options.run_id or uuid.uuid4().hex
    started = clock.now()
    deadline = started + options.deadline_s if options.deadline_s is not None else None
    tally, stats, post = Tally(), CallStats(), PostRun()
    with sessions(endpoint, options, clock, stats, deadline) as (senders, caller_session):
        preparer = Preparer(Resolver(caller_session), tally, options)
        rows = resolve_first(preparer, rows, read_stock, options)
        sender = Sender(senders, run_id, tally, progress, estimate_batches(rows, total_rows), options)
        feed = Feed(rows, preparer, sender, options.chunk_rows, endpoint.api_version)
        try:
            feed.run()
            push_again(preparer, sender, tally)
            if not tally.stopped:
                # On the calling thread, every batch folded in: its session is free.
                post = after_batches(caller_session, tally, options, run_id)
        except RunAborted as abort:  # raised by resolution, conflict and activation calls
            tally.stop(abort)
        finally:
            sender.close()
        sender.end_progress()
    items_gone(tally)
    if tally.stopped:
        tally.count_unsent(*feed.unsent())
    duration_s = round(clock.now() - started, 3)
    return run_result(
        tally, post, stats, options, run_id=run_id, api_version=endpoint.api_version, duration_s=duration_s
    )
