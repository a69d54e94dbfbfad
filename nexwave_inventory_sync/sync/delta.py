"""Which rows a run pushes: the delta against the levels Shopify last confirmed.

Public API (stable; the Frappe side and the CLI call it):

- `ConfirmedLevel(inventory_item_id, location_id, quantity, ref=None, source="push")`: the
  figure Shopify last accepted (or a reconciliation read) for one (item, location). Callers
  store these and give them back on the next run.
- `level_key(inventory_item_id, location_id) -> LevelKey`: the (gid, gid) pair they are keyed by.
- `select_delta(rows, confirmed, *, full=False, zero_missing=True, safety_buffer=0, keep_held=True)
  -> DeltaSelection`: pure. `rows` are the current ERPNext figures; the selection holds
  - `rows`: the ones to push, each carrying `change_from` = its confirmed level (so Shopify
    refuses the write if its own figure moved meanwhile: compare-and-set), or no
    `change_from` when never confirmed;
  - `zero_rows`: confirmed (item, location)s that left the stock query (disabled, non-stock,
    warehouse unmapped, no Bin), to be set to 0, also compare-and-set (`StockRow.zeroing`: a
    run drops one whose item Shopify no longer has there, and lists its level in
    `RunResult.forget`);
  - `unchanged`: how many rows equal their confirmed level and are not sent.
  A confirmed level that holds Shopify sales back (`ConfirmedLevel.held`) keeps them back:
  its row's figure is ERPNext's less `conflicts.still_held` (`StockRow.target`, `held`).

- `zeroed(selection, confirmed) -> int`: how many of the selection's zero rows Shopify
  accepted (`confirmed` = RunResult.confirmed): the log's "zeroed" count.

Rows without a cached inventory item id (only a SKU or a variant id) cannot be matched to a
confirmed level before resolution, so they are always pushed, without compare-and-set: a
cold run is a full push.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from .conflicts import still_held
from .ids import IdError, to_gid
from .quantity import QuantityError, shopify_quantity
from .results import StockRow

LevelKey = tuple[str, str]  # (inventory item gid, location gid)


@dataclass(frozen=True)
class ConfirmedLevel:
    inventory_item_id: str
    location_id: str
    quantity: int
    ref: str | None = None  # the caller's name for the row (ERPNext item code, SKU)
    # "push": a batch Shopify accepted; "conflict": the resend after a conflict landed;
    # "reconcile": a reconciliation read (or corrected) it.
    source: str = "push"
    # Units of ERPNext's figure it kept off Shopify for Shopify sales ERPNext had not imported
    # (StockRow.held): the level answered to ERPNext's `quantity + held`.
    held: int = 0

    @property
    def key(self) -> LevelKey:
        return level_key(self.inventory_item_id, self.location_id)


def level_key(inventory_item_id: str | int, location_id: str | int) -> LevelKey:
    return to_gid("InventoryItem", inventory_item_id), to_gid("Location", location_id)


def row_key(row: StockRow) -> LevelKey | None:
    """The row's (item, location) key, or None when it has no usable cached item id."""
    if not row.inventory_item_id:
        return None
    try:
        return level_key(row.inventory_item_id, row.location_id)
    except IdError:
        return None  # the run reports the bad id on the row


@dataclass(frozen=True)
class DeltaSelection:
    rows: tuple[StockRow, ...]
    zero_rows: tuple[StockRow, ...]
    unchanged: int

    @property
    def to_push(self) -> tuple[StockRow, ...]:
        return self.rows + self.zero_rows


def _confirmed_map(
    confirmed: Iterable[ConfirmedLevel] | Mapping[LevelKey, int],
) -> dict[LevelKey, ConfirmedLevel]:
    if isinstance(confirmed, Mapping):
        return {
            level_key(*key): ConfirmedLevel(key[0], key[1], int(quantity))
            for key, quantity in confirmed.items()
        }
    return {level.key: level for level in confirmed}


def select_delta(
    rows: Iterable[StockRow],
    confirmed: Iterable[ConfirmedLevel] | Mapping[LevelKey, int],
    *,
    full: bool = False,
    zero_missing: bool = True,
    safety_buffer: float = 0,
    keep_held: bool = True,
) -> DeltaSelection:
    """Pure: no call, no clock. `full=True` sends every row (still compare-and-set).
    `keep_held=False` (a store no longer on keep-shopify-sales: conflicts.keeps_held) releases
    the units levels hold back: their rows are sent at ERPNext's figure."""
    levels = _confirmed_map(confirmed)
    seen: set[LevelKey] = set()
    selected: list[StockRow] = []
    unchanged = 0
    for row in rows:
        key = row_key(row)
        level = levels.get(key) if key is not None else None
        if key is not None:
            seen.add(key)
        if level is None:
            selected.append(row)  # never confirmed: plain set, no compare
            continue
        try:
            quantity = shopify_quantity(row.quantity, safety_buffer)
        except QuantityError:
            selected.append(row)  # the run fails it with the reason
            continue
        held = still_held(level.held, level.quantity, quantity) if keep_held else 0
        if quantity - held == level.quantity and held == level.held and not full:
            unchanged += 1
            continue
        # A hold that shrank is sent even when the figure stays: the level it confirms then
        # records what is still held, so a later receipt does not keep imported orders back.
        selected.append(
            replace(row, change_from=level.quantity, target=quantity - held, held=held)
            if held
            else replace(row, change_from=level.quantity)
        )
    zero_rows: list[StockRow] = []
    if zero_missing:
        for key, level in levels.items():
            if key in seen or level.quantity == 0:
                continue
            zero_rows.append(
                StockRow(
                    location_id=key[1],
                    quantity=0,
                    inventory_item_id=key[0],
                    change_from=level.quantity,
                    ref=level.ref,
                    zeroing=True,
                )
            )
    return DeltaSelection(tuple(selected), tuple(zero_rows), unchanged)


def zeroed(selection: DeltaSelection, confirmed: Iterable[ConfirmedLevel]) -> int:
    keys = {row_key(row) for row in selection.zero_rows}
    return sum(1 for level in confirmed if level.key in keys and level.quantity == 0)


def unsettled_rows(sent: Iterable[StockRow], confirmed: Iterable[ConfirmedLevel]) -> frozenset[str] | None:
    """The refs of rows a run sent that Shopify did not confirm (failed, held, not sent, not
    found), per (item, location): an item confirmed at one location and refused at another is
    unsettled. Pure. None when a sent row has no ref, so it cannot be named for a re-check."""
    gids: dict[str, str] = {}  # a store has a handful of locations: each converted once

    def location_gid(location_id: str) -> str:
        if location_id not in gids:
            try:
                gids[location_id] = to_gid("Location", location_id)
            except IdError:
                gids[location_id] = location_id  # the run failed the row for it
        return gids[location_id]

    landed = {(level.ref, location_gid(level.location_id)) for level in confirmed}
    unsettled: set[str] = set()
    for row in sent:
        if not row.ref:
            return None
        if (row.ref, location_gid(row.location_id)) not in landed and row.tracked is not False:
            unsettled.add(row.ref)
    return frozenset(unsettled)
