"""`nexwave-sync push --dry-run`: what the push would send, row by row, with the confirmed and
Shopify's figures and the conflicts they mean. Nothing is written: no mutation, and the state
file is only read.

Rows an earlier push left in flight (the crash rule) are settled by the push before it picks
its delta; the dry run reads them the same way and settles them in memory only
(sync/preview_in_flight.py), so it shows what the push will really do. When they cannot be read
the push sends nothing, and the dry run says so."""

from __future__ import annotations

from collections.abc import Sequence

from ..sync.api import (
    ShopifyEndpoint,
    StockRow,
    SyncOptions,
    check_in_flight,
    levels_after_check,
    preview_rows,
    read_current,
    summarise,
    with_in_flight_notes,
)
from .selection import select_rows  # the push's own selection, read only
from .state import SyncState

_SHOWN = 200


def dry_run(
    endpoint: ShopifyEndpoint,
    rows: Sequence[StockRow],
    state: SyncState,
    options: SyncOptions,
    *,
    full: bool = False,
    zero_missing: bool = True,
) -> int:
    marks = state.marks()
    check = (
        check_in_flight(
            endpoint,
            marks,
            quantity_name=options.quantity_name,
            policy=options.policy,
            timeout=options.timeout,
        )
        if marks
        else None
    )
    confirmed = levels_after_check(state.confirmed(), check) if check is not None else state.confirmed()
    selection = select_rows(rows, state, options, full=full, zero_missing=zero_missing, confirmed=confirmed)
    read = read_current(endpoint, selection.to_push, options.quantity_name)
    preview = with_in_flight_notes(
        preview_rows(selection.to_push, options.safety_buffer, read.figures), marks, check
    )
    conflicts = sum(1 for row in preview if row.conflict)
    print(
        f"Dry run: {len(preview):,} rows would be sent ({len(selection.zero_rows):,} zeroed), "
        f"{selection.unchanged:,} unchanged, {conflicts:,} conflicts expected; nothing was sent"
    )
    in_flight = summarise(marks, check)
    if in_flight.marks:
        print(in_flight.describe())
    if in_flight.in_doubt:
        # The push itself stops there (cli.delta_push): no row is sent on a guess.
        print("The push would read them first; nothing is sent until they are read")
    if read.error:
        print(f"Shopify's figures were not read: {read.error}")
    print(
        f"{'sku / item':<24} {'location':<28} {'action':<9} {'send':>7} {'confirmed':>9} {'shopify':>8}  note"
    )
    for row in preview[:_SHOWN]:
        print(
            f"{(row.sku or row.ref or '?')[:24]:<24} {row.location_id[:28]:<28} {row.action:<9} "
            f"{_figure(row.erpnext):>7} {_figure(row.confirmed):>9} {_figure(row.shopify):>8}  {row.note}"
        )
    if len(preview) > _SHOWN:
        print(f"... and {len(preview) - _SHOWN:,} more rows")
    return 0


def _figure(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
