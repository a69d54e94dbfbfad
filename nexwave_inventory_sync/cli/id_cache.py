"""The ids an earlier run resolved, given to this run's rows so they need no lookup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from ..sync.api import StockRow
from .state import CachedId, SyncState

# A SKU Shopify answered "not tracked" is looked up again after this long (and on --full):
# the merchant may have turned "Track quantity" on since. The app's default is
# erpnext_side/constants.DEFAULT_RECHECK_UNTRACKED_HOURS (also 24).
RECHECK_UNTRACKED_HOURS = 24


def use_cached_id(cached: CachedId, *, full: bool, now: datetime) -> bool:
    """Pure. A cached id is used as is, except an "untracked" answer older than
    RECHECK_UNTRACKED_HOURS, or any on --full: the merchant may have turned tracking on since,
    and the row would otherwise be skipped for ever (D7). The SKU is then looked up again."""
    if cached.tracked:
        return True
    if full or cached.resolved_at is None:
        return False
    return now - cached.resolved_at < timedelta(hours=RECHECK_UNTRACKED_HOURS)


def with_cached_ids(
    rows: Sequence[StockRow], state: SyncState, *, full: bool = False, now: datetime | None = None
) -> list[StockRow]:
    """Give each row the inventory item id resolved on an earlier run: no lookup for it."""
    ids = state.item_ids()
    now = now or datetime.now(timezone.utc)
    out = []
    for row in rows:
        known = ids.get(row.sku) if row.sku and not row.inventory_item_id else None
        if known is not None and use_cached_id(known, full=full, now=now):
            out.append(replace(row, inventory_item_id=known.inventory_item_id, tracked=known.tracked))
        else:
            out.append(row)
    return out
