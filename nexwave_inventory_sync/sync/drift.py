"""Drift reconciliation as a pure comparison: ERPNext's figures against what Shopify holds.

Public API (stable):

- `compare_levels(erpnext_rows, shopify, *, mode="available", tolerance=0,
  previous_shortfalls=None, safety_buffer=0, tracked=None) -> DriftPlan`
  - `erpnext_rows`: StockRows with cached inventory item ids (rows without are skipped:
    nothing to compare them with);
  - `shopify`: {(item gid, location gid): quantity} as read (`levels.read_*`);
  - `previous_shortfalls`: the `DriftPlan.shortfalls` of the previous reconciliation;
  - `tracked`: {item gid: bool} as the read found it (`LevelRead.tracked`); an item missing
    there falls back to the row's cached `tracked`.
- `DriftPlan`: `compared`, `drifted` (every row beyond tolerance, as `LevelDrift`),
  `corrections` (StockRows to push, `change_from` = the figure just read), `shortfalls` (keep
  them for the next reconciliation), `not_stocked`, `untracked` (rows of items Shopify does not
  track: not compared, not drift), `unconfirmed`, `drift_percent`, `largest(n)`.
- `levels_to_confirm(plan, read, previous_levels) -> {key: quantity}`: the confirmed level
  each compared row gets from a reconciliation (before its corrections land).

The shortfall rule: Shopify below ERPNext may be Shopify sales ERPNext has not imported yet
(in on_hand mode: fulfilments ERPNext has not booked yet, whose Delivery Note follows the
fulfilment); "correcting" them is the snapshot overwrite race. So a row where Shopify shows
MORE than ERPNext is corrected at once; a row where it shows LESS only for the part of the
shortfall that was already there at the previous reconciliation (an order import takes
minutes, a reconciliation interval an hour: a shortfall that survived one interval is not an
unimported order). The rule is the same in both modes: in on_hand mode Shopify's open orders
sit in `committed`, but a fulfilment takes units out of `on_hand` before ERPNext books it.

The same rule decides what a reconciliation confirms: a shortfall seen for the first time (or
grown since, or inside the tolerance) keeps its old confirmed level instead of Shopify's lower
figure, or the next delta run would push ERPNext's figure over the order it has not imported
(compare-and-set would even agree).

Items Shopify does not track have levels but no stock to keep: a push skips them by design,
so a reconciliation leaves them out of the comparison (and of the drift) and counts them apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from .delta import LevelKey, row_key
from .push import QUANTITY_NAMES
from .quantity import QuantityError, shopify_quantity
from .results import StockRow

# A shortfall counts as seen before (the rule above: corrected the second time) only once its
# first sighting is this old. The rule assumed an hour between two looks; a webhook check looks
# again within seconds, and a shortfall that young is an order ERPNext has not imported yet (an
# import takes minutes). Shorter than any reconciliation interval worth having, so the hourly
# reconciliation corrects what it corrected before. Stored and applied by the caller, which
# knows when a shortfall was first seen (the app's confirmed levels, the simulation).
SHORTFALL_MIN_AGE_S = 15 * 60.0


@dataclass(frozen=True)
class LevelDrift:
    key: LevelKey
    ref: str
    erpnext: int
    shopify: int
    # "correct": pushed now; "wait": a shortfall first seen, left for the next reconciliation;
    # "partial": only the part of the shortfall seen last time is corrected.
    action: str
    target: int | None = None  # what the correction sets

    @property
    def difference(self) -> int:
        """Shopify minus ERPNext: positive = Shopify shows more (oversell risk)."""
        return self.shopify - self.erpnext


@dataclass(frozen=True)
class DriftPlan:
    compared: int
    drifted: tuple[LevelDrift, ...]
    corrections: tuple[StockRow, ...]
    shortfalls: Mapping[LevelKey, int] = field(default_factory=dict)
    not_stocked: tuple[StockRow, ...] = ()  # ERPNext rows Shopify has no level for
    untracked: tuple[StockRow, ...] = ()  # rows of items Shopify does not track: not compared
    # Shortfalls not corrected now ("wait", "partial", inside the tolerance): Shopify's lower
    # figure may be a sale ERPNext has not imported, so it is not confirmed (levels_to_confirm).
    unconfirmed: frozenset[LevelKey] = frozenset()

    @property
    def drift_percent(self) -> float:
        return round(100.0 * len(self.drifted) / self.compared, 3) if self.compared else 0.0

    def largest(self, n: int = 20) -> list[LevelDrift]:
        return sorted(self.drifted, key=lambda d: (-abs(d.difference), d.ref))[:n]


def compare_levels(
    erpnext_rows: Iterable[StockRow],
    shopify: Mapping[LevelKey, int],
    *,
    mode: str = "available",
    tolerance: int = 0,
    previous_shortfalls: Mapping[LevelKey, int] | None = None,
    safety_buffer: float = 0,
    tracked: Mapping[str, bool] | None = None,
) -> DriftPlan:
    """ERPNext's rows against Shopify's figures read, row by row (the decision is `_decision`'s).
    Kept whole: one pass puts each row into exactly one of the plan's lists, which a reader
    checks best in one place."""
    if mode not in QUANTITY_NAMES:
        raise ValueError(f"mode must be one of {QUANTITY_NAMES}, not {mode!r}")
    previous = previous_shortfalls or {}
    tracked = tracked or {}
    compared = 0
    drifted: list[LevelDrift] = []
    corrections: list[StockRow] = []
    shortfalls: dict[LevelKey, int] = {}
    not_stocked: list[StockRow] = []
    untracked: list[StockRow] = []
    unconfirmed: set[LevelKey] = set()
    for row in erpnext_rows:
        key = row_key(row)
        if key is None:
            continue
        try:
            erpnext = shopify_quantity(row.quantity, safety_buffer)
        except QuantityError:
            continue
        if key not in shopify:
            not_stocked.append(row)
            continue
        # The read's answer is fresher than the row's cached one (tracking may be on now).
        is_tracked = tracked.get(key[0], row.tracked)
        if is_tracked is False:
            untracked.append(row)
            continue
        compared += 1
        current = int(shopify[key])
        gap = current - erpnext
        if gap < 0:
            # Kept even inside the tolerance: a shortfall that grows past it later has its
            # first part already seen.
            shortfalls[key] = -gap
        action, target = _decision(erpnext, current, tolerance, previous.get(key, 0))
        if gap < 0 and action != "correct":
            unconfirmed.add(key)  # a shortfall not corrected in full: see levels_to_confirm
        if action is None:
            continue
        drifted.append(LevelDrift(key, row.label, erpnext, current, action, target))
        if action == "wait":
            continue
        corrections.append(_correction(row, key, target, current, is_tracked))
    return DriftPlan(
        compared,
        tuple(drifted),
        tuple(corrections),
        shortfalls,
        tuple(not_stocked),
        tuple(untracked),
        frozenset(unconfirmed),
    )


def _correction(row: StockRow, key: LevelKey, target: int, current: int, is_tracked: bool | None) -> StockRow:
    """The row that sets `target`, compared with the figure just read."""
    return replace(
        row,
        target=target,  # already the quantity rule's figure: the run sets it as it is
        inventory_item_id=key[0],
        location_id=key[1],
        change_from=current,
        tracked=True if is_tracked else row.tracked,
    )


def _decision(erpnext: int, current: int, tolerance: int, seen_before: int) -> tuple[str | None, int | None]:
    """Pure: what one compared level needs, (action, target). None within the tolerance;
    Shopify above ERPNext: "correct" to ERPNext's figure; Shopify below: "wait" the first time
    the shortfall is seen, then correct up to the part seen before ("partial" when that is
    not all of it)."""
    gap = current - erpnext
    if abs(gap) <= tolerance:
        return None, None
    if gap > 0:
        return "correct", erpnext
    if seen_before <= 0:
        return "wait", None
    target = current + min(seen_before, -gap)
    return ("correct" if target == erpnext else "partial"), target


def levels_to_confirm(
    plan: DriftPlan,
    read: Mapping[LevelKey, int],
    previous_levels: Mapping[LevelKey, int] | None = None,
) -> dict[LevelKey, int]:
    """Shopify's figure for every row read, except a shortfall seen for the first time: it keeps
    its previous confirmed level, so the next delta run leaves it alone (ERPNext unchanged) or
    meets a conflict its policy settles. So does a shortfall that grew since the last time
    ("partial"): its new part is as unconfirmed as a new shortfall; when its correction lands,
    the figure it set replaces this one (reconcile()). So does a shortfall inside the tolerance:
    not drift worth a correction, but no less a possible unimported sale. A waiting row with no
    previous level gets the figure read: with or without it the next delta run sends ERPNext's
    figure, and the stored row carries the shortfall to the next reconciliation."""
    previous = previous_levels or {}
    return {
        key: int(previous[key]) if key in plan.unconfirmed and key in previous else int(quantity)
        for key, quantity in read.items()
    }
