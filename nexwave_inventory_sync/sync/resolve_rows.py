"""The engine's second entry point: fill in inventory item ids without pushing (the
reconciliation needs ids before it can compare)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .client import CallStats, RunAborted, ShopifyClient
from .clock import Clock, SystemClock
from .endpoint import ShopifyEndpoint
from .options import SyncOptions
from .prepare import Preparer, bulk_resolve
from .resolve import Resolver
from .results import Resolution, RowFailure, StockRow
from .tally import Tally


@dataclass(frozen=True)
class ResolvedRows:
    rows: tuple[StockRow, ...]  # each with its inventory_item_id (and tracked) filled in
    resolved: tuple[Resolution, ...]  # what was learnt, to cache
    unresolved: tuple[RowFailure, ...]  # rows left out, with why
    api_calls: int = 0
    aborted: bool = False
    abort_reason: str | None = None


def resolve_rows(
    endpoint: ShopifyEndpoint,
    rows: Iterable[StockRow],
    *,
    options: SyncOptions | None = None,
    clock: Clock | None = None,
) -> ResolvedRows:
    """Fill in the inventory item id of rows that only have a SKU or a variant id (in bulk:
    one bulk operation, a scan or SKU searches, as a sync run would), without pushing. The
    reconciliation needs ids before it can compare."""
    options = options or SyncOptions()
    clock = clock or SystemClock()
    rows = list(rows)
    stats = CallStats()
    tally = Tally()
    with ShopifyClient(
        endpoint, policy=options.policy, clock=clock, timeout=options.timeout, stats=stats
    ) as client:
        preparer = Preparer(Resolver(client), tally, options)
        try:
            bulk_resolve(preparer.resolver, rows, options)
            preparer.resolve(rows)
        except RunAborted as abort:
            return ResolvedRows((), (), (), stats.api_calls, True, str(abort.error))
        out = []
        for row in rows:
            if row.inventory_item_id:
                out.append(row)
                continue
            found = preparer.inventory_item(row)
            if isinstance(found, Resolution):
                out.append(replace(row, inventory_item_id=found.inventory_item_id, tracked=found.tracked))
    return ResolvedRows(
        tuple(out),
        tuple(tally.resolved.values()),
        tuple(tally.unresolved_rows) + tuple(tally.failures),
        stats.api_calls,
    )
