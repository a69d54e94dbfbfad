"""What the next run would send, without sending it: the rows select_delta picks, each with the
figure the quantity rule makes of ERPNext's, the level Shopify last confirmed, Shopify's figure
now (one read, when asked) and the conflict that figure means for compare-and-set.

`preview_rows` is pure; `read_current` is the one read (no write: `inventorySetQuantities` is
never called). The app's Preview Next Sync and the CLI's `push --dry-run` both use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .client import CallFailed, CallStats, ShopifyClient
from .delta import LevelKey, row_key
from .endpoint import ShopifyEndpoint
from .levels import read_levels
from .quantity import QuantityError, row_quantity
from .results import StockRow

SET = "set"  # never confirmed: a plain set
CHANGE = "change"  # confirmed before: compare-and-set from the confirmed level
ZERO = "zero"  # left the stock read: set to 0 from the confirmed level
LOOK_UP = "look up"  # no Shopify id yet: looked up by SKU or variant id first


@dataclass(frozen=True)
class PreviewRow:
    ref: str | None
    sku: str | None
    location_id: str
    action: str
    erpnext: int | None  # what the quantity rule makes of ERPNext's figure (None: refused)
    confirmed: int | None  # what Shopify last confirmed
    shopify: int | None  # Shopify's figure now, when read
    conflict: bool  # compare-and-set will meet a moved figure
    note: str = ""


@dataclass(frozen=True)
class ShopifyRead:
    figures: Mapping[LevelKey, int | None]
    calls: int = 0
    error: str | None = None  # the read failed: figures are empty, the preview says why


def preview_rows(
    to_push: Iterable[StockRow],
    safety_buffer: float = 0,
    shopify: Mapping[LevelKey, int | None] | None = None,
) -> list[PreviewRow]:
    """Pure: one PreviewRow per row the run would send."""
    shopify = shopify or {}
    out: list[PreviewRow] = []
    for row in to_push:
        key = row_key(row)
        note = ""
        try:
            figure = row_quantity(row, safety_buffer)
        except QuantityError as exc:
            figure, note = None, str(exc)
        if row.tracked is False:
            note = note or "not tracked by Shopify: skipped"
        if key is None:
            action = LOOK_UP
        elif row.zeroing:
            action = ZERO
        elif row.change_from is not None:
            action = CHANGE
        else:
            action = SET
        current = shopify.get(key) if key is not None else None
        conflict = row.change_from is not None and current is not None and current != row.change_from
        if conflict:
            note = note or (
                f"Shopify shows {current}, not the confirmed {row.change_from}: the conflict policy decides"
            )
        out.append(
            PreviewRow(
                row.ref, row.sku, row.location_id, action, figure, row.change_from, current, conflict, note
            )
        )
    return out


def read_current(
    endpoint: ShopifyEndpoint, rows: Iterable[StockRow], quantity_name: str = "available"
) -> ShopifyRead:
    """Shopify's figures for the rows that have ids: up to 250 items per call, one location a
    call. A failure is reported, never raised: the preview still shows ERPNext's side."""
    keys = [key for key in map(row_key, rows) if key is not None]
    if not keys:
        return ShopifyRead({})
    stats = CallStats()
    try:
        with ShopifyClient(endpoint, stats=stats) as client:
            figures = read_levels(client, list(dict.fromkeys(keys)), quantity_name)
    except CallFailed as failure:  # RunAborted too
        error = failure.error
        return ShopifyRead({}, stats.api_calls, str(error))
    return ShopifyRead(figures, stats.api_calls)
