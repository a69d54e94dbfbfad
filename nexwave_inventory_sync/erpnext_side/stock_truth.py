"""The store job's side of "stock that stays true": what a run pushes (changed rows only, or all
of them on a full push, each with compare-and-set against the level Shopify last confirmed,
plus 0 for items that left the stock query), the store's settings turned into engine options,
and what the run leaves behind (confirmed levels, log counts, one log row per conflict).

The rules themselves live in the engine (sync/delta.py, sync/conflicts.py); this module reads
the store's settings and ERPNext's tables and hands them over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import frappe
from frappe import _
from frappe.utils import cint, flt, now_datetime

from ..sync.api import (
    NOT_STOCKED,
    ConflictPolicy,
    LevelKey,
    RowFailure,
    RunResult,
    StockRow,
    SyncOptions,
    keeps_held,
    row_key,
    select_delta,
)
from . import bundles, confirmed_levels, item_choice, item_units, not_on_shopify, stock_changes, zero_guard
from .confirmed_levels import StoredLevels, full_push_due
from .constants import DEFAULT_RECHECK_UNTRACKED_HOURS, STORE_DOCTYPE
from .quantity_names import quantity_name
from .screening import screen_rows
from .stock_levels import stock_rows

CHANGED_ONLY = "changed"
ALL_ITEMS = "all"
# "item:<item code>": Push this item now, from the Item form (item_state.push_item_now).
ONE_ITEM = "item:"

# The store's Select labels, in the words a stock manager reads, to the engine's policies.
POLICIES = {
    "Keep Shopify's sales": ConflictPolicy.KEEP_SHOPIFY_SALES,
    "ERPNext wins": ConflictPolicy.ERPNEXT_WINS,
    "Hold": ConflictPolicy.HOLD,
}
OUTCOMES = {
    "resolved": "Settled by the policy",
    "held": "Held for review",
    "unsettled": "Still moving on Shopify",
    "failed": "Failed",
}


def conflict_policy(store) -> ConflictPolicy:
    return POLICIES.get(store.conflict_policy or "", ConflictPolicy.KEEP_SHOPIFY_SALES)


def sync_options(store, run_id: str, **extra) -> SyncOptions:
    return SyncOptions(
        run_id=run_id,
        safety_buffer=flt(store.safety_buffer),
        conflict_policy=conflict_policy(store),
        quantity_name=quantity_name(store),
        activate_unstocked=bool(cint(store.connect_items_to_locations)),
        **extra,
    )


def recheck_untracked_hours(store) -> int:
    recheck = store.recheck_untracked_hours
    return DEFAULT_RECHECK_UNTRACKED_HOURS if recheck is None else cint(recheck)


def read_store_stock(store, items: Iterable[str] | None = None) -> list[StockRow]:
    """ERPNext's figures for the store in its quantity mode (for `items` only, when given): one
    query, and the store's Product Bundles (bundles.py: three more, when it has any). Cached ids
    the store does not trust (an edited variant id, an old untracked answer) come without ids,
    to be looked up again (stock_levels.stock_rows)."""
    mode = {
        "quantity_name": quantity_name(store),
        "marker_field": store.order_marker_field,
        "marker_value": store.order_marker_value,
    }
    choice = item_choice.load(store)
    rows = list(
        stock_rows(
            store.name,
            store.sku_field,
            recheck_untracked_hours(store),
            items=items,
            store_buffer=flt(store.safety_buffer),
            choice=choice,
            sell_in_sales_uom=item_units.store_rule(store),
            **mode,
        )
    )
    rows.extend(
        bundles.bundle_rows(
            store.name,
            store.sku_field,
            recheck_untracked_hours(store),
            choice=choice,
            store_buffer=flt(store.safety_buffer),
            items=items,
            **mode,
        )
    )
    return rows


def read_screened(
    store, items: Iterable[str] | None = None
) -> tuple[list[StockRow], list[RowFailure], list[RowFailure]]:
    """read_store_stock, less what ERPNext's own data keeps from a sure answer: (rows, held
    back, unmapped), as screening.screen_rows sorts them."""
    return screen_rows(read_store_stock(store, items), store.sku_field or "item_code")


@dataclass(frozen=True)
class PushPlan:
    """What a run reads, decided before anything is read (plan_push)."""

    full: bool
    stored: StoredLevels
    scope: stock_changes.ReadScope
    one_item: bool = False  # Push this item now: the watermark is not moved


@dataclass(frozen=True)
class StockRead:
    """What a run's stock read found (read_stock): the rows read and screened, what ERPNext's
    own data held back, and the delta picked from them. A run the engine stopped before it read
    (a refused token while ids were looked up) has its plan and nothing else."""

    plan: PushPlan
    stock: tuple[StockRow, ...] = ()  # every row read that passed the screen
    held_back: tuple[RowFailure, ...] = ()  # one SKU on two items (screening.screen_rows)
    unmapped: tuple[RowFailure, ...] = ()  # no SKU to look up
    read_at: datetime | None = None  # when the stock read began: the store's next watermark
    unchanged: int = 0
    would_send: tuple[StockRow, ...] = ()  # the selection, held or not (preview)
    sent: tuple[StockRow, ...] = ()  # what the run pushes: nothing when the zero guard held it
    zeroing: frozenset[LevelKey] = frozenset()
    released: tuple[LevelKey, ...] = ()  # levels of items taken out of the sync
    hold: zero_guard.ZeroHold | None = None  # the zero guard held the run: nothing was sent
    units: str | None = None  # the log's line of units (item_units.log_line)


def read_stock(store, plan: PushPlan) -> StockRead:
    """ERPNext's stock for the plan's items (read_store_stock), screened, and the delta picked
    against the plan's confirmed levels. A run calls it once ids are resolved (the engine's
    read_stock); the preview calls it as the run would."""
    read_at = now_datetime()
    stock, held_back, unmapped = read_screened(store, plan.scope.items)
    # An item whose cached id is being looked up again (its variant id edited by hand) has not
    # left the stock query: the level of its old inventory item is not zeroed.
    relooked = {row.ref for row in stock if row_key(row) is None}
    levels = [level for level in plan.stored.levels if level.ref not in relooked]
    # An item the store no longer syncs is left as Shopify has it: not zeroed, its levels
    # forgotten after the run (put back, it is pushed with a plain set).
    in_read = {row.ref for row in stock}
    taken_out = item_choice.excluded(
        item_choice.load(store), {level.ref for level in levels if level.ref not in in_read}
    )
    selection = select_delta(
        stock,
        [level for level in levels if level.ref not in taken_out],
        full=plan.full,
        zero_missing=bool(cint(store.zero_dropped_items)),
        safety_buffer=flt(store.safety_buffer),
        keep_held=keeps_held(conflict_policy(store)),
    )
    units = item_units.log_line(item_units.rules_for(store, in_read))
    hold = zero_guard.check_store(store, list(selection.to_push), len(stock), plan.scope.items is None)
    return StockRead(
        plan,
        stock=tuple(stock),
        held_back=tuple(held_back),
        unmapped=tuple(unmapped),
        read_at=read_at,
        unchanged=selection.unchanged,
        would_send=tuple(selection.to_push),
        # Held by the zero guard, the run sends nothing and zeroes nothing.
        sent=() if hold else tuple(selection.to_push),
        zeroing=frozenset()
        if hold
        else frozenset((row.inventory_item_id, row.location_id) for row in selection.zero_rows),
        released=tuple(level.key for level in levels if level.ref in taken_out),
        hold=hold,
        units=units,
    )


def plan_push(store, scope: str | None, now: datetime) -> PushPlan:
    """A full push when the button asked for all items or the store's interval has passed;
    otherwise the items that may have changed since the store's watermark (stock_changes), with
    their confirmed levels only."""
    if scope and scope.startswith(ONE_ITEM):
        # That item only, with its confirmed levels; the store's watermark is left alone.
        item = scope[len(ONE_ITEM) :]
        one = stock_changes.ReadScope(frozenset({item}), now, reason=item)
        return PushPlan(
            full=False, stored=confirmed_levels.load(store.name, [item]), scope=one, one_item=True
        )
    full = scope == ALL_ITEMS or full_push_due(store.last_full_push, store.full_push_interval, now)
    read = stock_changes.read_scope(store, full, now, recheck_untracked_hours(store))
    return PushPlan(full=full, stored=confirmed_levels.load(store.name, read.items), scope=read)


def record(
    store,
    read: StockRead,
    result: RunResult,
    started: datetime,
    untracked: Iterable[str] = (),
    held_back: Iterable[str] = (),
) -> str | None:
    """Move the store's watermark (stock_changes.advance). A full push that was not aborted restarts the
    full-push interval. `untracked`: items this run found Shopify does not track; `held_back`:
    items ERPNext's own data kept from being sent. Returns the log's line of the Shopify
    bundles among the items read (bundles.py)."""
    plan = read.plan
    zero_guard.consume_release(store)
    bundles.mark_shopify_bundles(store.name, result.resolved)
    shopify_bundles = bundles.shopify_bundles_line(
        bundles.shopify_bundles_among(store.name, {row.ref for row in read.stock})
    )
    if read.hold:
        # Nothing was sent: the next run reads everything again and meets the guard again.
        stock_changes.clear(store)
        return shopify_bundles
    # The confirmed levels were saved as the batches landed (checkpoint.Checkpointer).
    confirmed_levels.forget_levels(store.name, read.released)
    missing = set() if result.aborted else not_on_shopify.missing_items(read.sent, result, store.name)
    if not result.aborted:
        not_on_shopify.mark(store.name, missing)
    if plan.one_item:
        return shopify_bundles  # the other items' changes since the watermark are still to be read
    stock_changes.advance(
        store.name,
        read.read_at,
        read.sent,
        result,
        untracked,
        held_back,
        settings=stock_changes.figure_settings(store),
        missing=missing,
    )
    if plan.full and not result.aborted:
        frappe.db.set_value(STORE_DOCTYPE, store.name, "last_full_push", started, update_modified=False)
    return shopify_bundles


def log_fields(read: StockRead, result: RunResult, shopify_bundles: str | None = None) -> dict:
    """Counts for the Shopify Log. "considered" is every row ERPNext has for the store (and
    each zeroing row); "changed" the rows sent because they differ from what Shopify last
    confirmed or were never confirmed: 0 on a run with nothing to do, which makes no call."""
    plan = read.plan
    zeroed = sum(1 for level in result.confirmed if level.key in read.zeroing)
    held = {"status": zero_guard.HELD, "error": read.hold.message()} if read.hold else {}
    return {
        **held,
        "stock_read": _("Item {0}, pushed from its form").format(plan.scope.reason)
        if plan.one_item
        else plan.scope.describe(),
        "full_push": 1 if plan.full else 0,
        "considered": len(read.stock) + len(read.zeroing),
        "unchanged_skipped": read.unchanged + result.unchanged_skipped,
        "changed": max(0, result.considered - len(read.zeroing) - result.unresolved - result.untracked),
        "zeroed": zeroed,
        "held": result.held,
        "not_stocked": sum(1 for failure in result.failures if failure.code == NOT_STOCKED),
        "units": read.units,
        "shopify_bundles": shopify_bundles,
    }


def conflict_rows(result: RunResult, item_skus: dict[str, str | None] | None = None) -> list[dict]:
    """One Shopify Log row per conflict: ERPNext's figure, the confirmed one, Shopify's."""
    skus = item_skus or {}
    return [
        {
            "item_code": conflict.ref,
            "sku": skus.get(conflict.ref),
            "shopify_location_id": conflict.location_id,
            "quantity": conflict.sent,
            "erpnext_quantity": conflict.erpnext,
            "confirmed_quantity": conflict.confirmed,
            "shopify_quantity": conflict.shopify,
            "outcome": OUTCOMES.get(conflict.outcome, conflict.outcome),
            "code": "CONFLICT",
            "message": conflict.message,
        }
        for conflict in result.conflict_rows
    ]
