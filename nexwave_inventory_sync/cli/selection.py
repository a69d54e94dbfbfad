"""What a push sends, in one place: the rows with the ids an earlier run cached, picked against the
confirmed levels by the store's quantity rule and conflict policy. The push and its dry run both
call it, so the dry run shows what the push sends (--full included)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..sync.api import ConfirmedLevel, DeltaSelection, StockRow, SyncOptions, keeps_held, select_delta
from .id_cache import with_cached_ids
from .state import SyncState


def select_rows(
    rows: Sequence[StockRow],
    state: SyncState,
    options: SyncOptions,
    *,
    full: bool = False,
    zero_missing: bool = True,
    confirmed: Iterable[ConfirmedLevel] | None = None,
) -> DeltaSelection:
    """`confirmed`: the levels to compare with (the stored ones unless given, e.g. after the dry
    run's own check of rows in flight)."""
    return select_delta(
        with_cached_ids(rows, state, full=full),
        state.confirmed() if confirmed is None else confirmed,
        full=full,
        zero_missing=zero_missing,
        safety_buffer=options.safety_buffer,
        keep_held=keeps_held(options.conflict_policy),
    )
