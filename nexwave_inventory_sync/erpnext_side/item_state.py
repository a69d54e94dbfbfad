"""Why isn't this item on Shopify? Each item's state in a store, in words, from what the app
already keeps: the item and its row for the store (Item Shopify Store), the store's rule of what
syncs, its Bins in the mapped warehouses, the levels Shopify confirmed and the rows of the
store's recent Shopify Logs. No call to Shopify.

`classify` is the pure decision (one home for the order of the states); `store_item_states`
reads what it needs in eight queries for the whole store (the Item form asks for one item, the
Shopify Item Coverage report for all), so a 7,300-item store is explained in well under 2 s
(benchmarks/item_coverage.py)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import frappe
from frappe import _

from .constants import (
    CONFIRMED_LEVEL_DOCTYPE,
    ITEM_STORE_DOCTYPE,
    LOG_DOCTYPE,
    LOG_ROW_DOCTYPE,
    STORE_DOCTYPE,
)
from .item_choice import ItemChoice
from .item_choice import load as load_choice
from .stock_levels import item_codes_param, sku_column

PUSHED = "Pushed"
WAITING = "Waiting for the next run"
NOT_FOUND = "Not found on Shopify"
SKU_ON_TWO_VARIANTS = "SKU on two variants"
SKU_ON_TWO_ITEMS = "SKU on two items"
NO_SKU = "No SKU"
UNTRACKED = "Untracked in Shopify"
SHOPIFY_BUNDLE = "Shopify bundle"
TAKEN_OUT = "Taken out of sync"
NO_WAREHOUSE = "No mapped warehouse holds it"
HELD_CONFLICT = "Held conflict"
REFUSED = "Refused"

STATES = (
    PUSHED,
    WAITING,
    NOT_FOUND,
    SKU_ON_TWO_VARIANTS,
    SKU_ON_TWO_ITEMS,
    NO_SKU,
    UNTRACKED,
    SHOPIFY_BUNDLE,
    TAKEN_OUT,
    NO_WAREHOUSE,
    HELD_CONFLICT,
    REFUSED,
)
# The store's recent logs the report looks through for rows that did not land.
RECENT_LOGS = 50
_NOT_FOUND_CODES = {"SKU_NOT_FOUND", "VARIANT_NOT_FOUND"}


@dataclass(frozen=True)
class Level:
    location_id: str
    quantity: int
    confirmed_at: datetime | None
    confirmed_by: str | None
    run: str | None  # the Shopify Log whose run confirmed it, when one did


@dataclass(frozen=True)
class LogRow:
    log: str
    started_at: datetime
    code: str
    message: str
    sku: str | None
    location_id: str | None
    erpnext: int | None = None
    confirmed: int | None = None
    shopify: int | None = None
    held: bool = False  # a conflict the Hold policy left for review


@dataclass(frozen=True)
class ItemFacts:
    """What the app knows of one item in one store."""

    item_code: str
    sku: str | None
    is_bundle: bool = False  # an ERPNext Product Bundle's parent
    has_ids: bool = False
    tracked: bool = True
    shopify_bundle: bool = False
    taken_out: str | None = None  # the rule in words
    in_mapped_warehouse: bool = False
    levels: tuple[Level, ...] = ()
    last_row: LogRow | None = None  # the newest row of the store's recent logs for it


@dataclass(frozen=True)
class ItemState:
    item_code: str
    sku: str | None
    state: str
    reason: str
    levels: tuple[Level, ...] = field(default=())
    log: str | None = None


def classify(facts: ItemFacts) -> ItemState:
    """Pure: the item's state and its reason, in words."""

    def state(name: str, reason: str, log: str | None = None) -> ItemState:
        return ItemState(facts.item_code, facts.sku, name, reason, facts.levels, log)

    if facts.taken_out:
        return state(TAKEN_OUT, _("Taken out of sync: {0}").format(facts.taken_out))
    if facts.shopify_bundle:
        return state(SHOPIFY_BUNDLE, _("Shopify bundle: stock comes from its components"))
    if facts.has_ids and not facts.tracked:
        return state(UNTRACKED, _("Shopify does not track this variant's inventory; it is skipped"))
    if not facts.sku and not facts.has_ids:
        return state(NO_SKU, _("The item has no SKU to look up on Shopify"))
    if not facts.in_mapped_warehouse and not facts.is_bundle:
        return state(NO_WAREHOUSE, _("No warehouse mapped to the store holds a stock record of it"))
    row = facts.last_row
    newest_level = max((level.confirmed_at for level in facts.levels if level.confirmed_at), default=None)
    if row is not None and (newest_level is None or row.started_at >= newest_level):
        if row.code in _NOT_FOUND_CODES:
            return state(
                NOT_FOUND,
                _("Not found on Shopify: no variant has SKU {0}").format(row.sku or facts.sku),
                row.log,
            )
        if row.code == "AMBIGUOUS_SKU":
            return state(SKU_ON_TWO_VARIANTS, row.message, row.log)
        if row.code == "SKU_ON_TWO_ITEMS":
            return state(SKU_ON_TWO_ITEMS, row.message, row.log)
        if row.held:
            return state(
                HELD_CONFLICT,
                _("Held conflict at {0}: ERPNext {1}, confirmed {2}, Shopify {3}").format(
                    row.location_id, row.erpnext, row.confirmed, row.shopify
                ),
                row.log,
            )
        if row.code != "CONFLICT":
            return state(REFUSED, _("Refused: {0}: {1}").format(row.code, row.message), row.log)
    if facts.levels:
        newest = max(facts.levels, key=lambda level: level.confirmed_at or datetime.min)
        figures = ", ".join(f"{level.quantity} at {level.location_id}" for level in facts.levels)
        how = (
            _("by run {0}").format(newest.run)
            if newest.run
            else _("by {0}").format(newest.confirmed_by or "?")
        )
        return state(
            PUSHED, _("Pushed: {0}, confirmed {1} {2}").format(figures, newest.confirmed_at, how), newest.run
        )
    return state(WAITING, _("Not pushed yet: the next run sends it"))


def store_item_states(store, items: Iterable[str] | None = None) -> list[ItemState]:
    """Every stock item (and Product Bundle parent) of the site, or only `items`, in `store`."""
    column = sku_column(store.sku_field)
    params: dict = {"store": store.name}
    limited = items is not None
    if limited:
        params["items"] = item_codes_param(items)

    def only(column: str) -> str:
        return f"AND {column} IN %(items)s" if limited else ""

    bundles = set(
        frappe.db.sql_list(
            f"""SELECT DISTINCT bundle.new_item_code FROM `tabProduct Bundle` bundle
            WHERE IFNULL(bundle.disabled, 0) = 0 {only("bundle.new_item_code")}""",
            params,
        )
    )
    params["bundles"] = item_codes_param(bundles)
    records = frappe.db.sql(
        f"""SELECT item.name, item.`{column}` AS sku, item.item_group, item.brand
        FROM `tabItem` item
        WHERE item.disabled = 0 AND (item.is_stock_item = 1 OR item.name IN %(bundles)s) {only("item.name")}
        ORDER BY item.name""",
        params,
        as_dict=True,
    )
    cache, switched_off, held = _cache_and_mapping(store, params, only)
    levels = _confirmed_levels(store.name, params, only("item_code"))
    last_rows = _last_rows(store.name, params, only("log_row.item_code"))
    choice = load_choice(store)
    groups, brands = frozenset(choice.item_groups), frozenset(choice.brands)
    return [
        classify(
            ItemFacts(
                item_code=r.name,
                sku=(str(r.sku).strip() or None) if r.sku is not None else None,
                is_bundle=r.name in bundles,
                has_ids=bool(cache.get(r.name) and cache[r.name].inventory_item_id),
                tracked=bool(cache[r.name].tracked) if r.name in cache else True,
                shopify_bundle=bool(cache.get(r.name) and cache[r.name].shopify_bundle),
                taken_out=_taken_out(choice, r, r.name in switched_off, groups, brands),
                in_mapped_warehouse=r.name in held,
                levels=tuple(levels.get(r.name, ())),
                last_row=last_rows.get(r.name),
            )
        )
        for r in records
    ]


def _cache_and_mapping(store, params: dict, only) -> tuple[dict, set[str], set[str]]:
    """({item: its cached ids row}, items left out of sync, items with a Bin in a mapped
    warehouse) for store_item_states."""
    cache = {}
    for row in frappe.db.sql(
        f"""SELECT parent, inventory_item_id, tracked, shopify_bundle
        FROM `tab{ITEM_STORE_DOCTYPE}`
        WHERE parenttype = 'Item' AND shopify_store = %(store)s {only("parent")}
        ORDER BY idx DESC""",
        params,
        as_dict=True,
    ):
        cache[row.parent] = row  # the lowest idx wins, as in the stock read
    switched_off = set(
        frappe.db.sql_list(
            f"""SELECT DISTINCT parent FROM `tab{ITEM_STORE_DOCTYPE}`
            WHERE parenttype = 'Item' AND shopify_store = %(store)s AND leave_out_of_sync = 1
                {only("parent")}""",
            params,
        )
    )
    warehouses = tuple({row.warehouse for row in store.locations}) or ("",)
    held = set(
        frappe.db.sql_list(
            f"""SELECT DISTINCT item_code FROM `tabBin`
            WHERE warehouse IN %(warehouses)s {only("item_code")}""",
            {**params, "warehouses": warehouses},
        )
    )
    return cache, switched_off, held


def _confirmed_levels(store_name: str, params: dict, only_items: str) -> dict[str, list[Level]]:
    runs = _runs(store_name)
    levels: dict[str, list[Level]] = {}
    for r in frappe.db.sql(
        f"""SELECT item_code, shopify_location_id, quantity, confirmed_at, confirmed_by
        FROM `tab{CONFIRMED_LEVEL_DOCTYPE}`
        WHERE shopify_store = %(store)s AND unconfirmed = 0 {only_items}
        ORDER BY shopify_location_id""",
        params,
        as_dict=True,
    ):
        levels.setdefault(r.item_code, []).append(
            Level(
                r.shopify_location_id,
                int(r.quantity),
                r.confirmed_at,
                r.confirmed_by,
                _run_at(runs, r.confirmed_at),
            )
        )
    return levels


def _taken_out(
    choice: ItemChoice, item, switched_off: bool, groups: frozenset[str], brands: frozenset[str]
) -> str | None:
    """item_choice's rule, in Python for the whole store at once (its SQL twin: ItemChoice.condition)."""
    if switched_off:
        return _("Leave Out of Shopify Sync is ticked on the item for this store")
    if (
        choice.chosen_only
        and item.item_group not in choice.item_groups
        and (item.brand or "") not in choice.brands
    ):
        return _("the store syncs {0}; the item is in Item Group {1}, Brand {2}").format(
            choice.describe(), item.item_group, item.brand or _("none")
        )
    return None


def _runs(store_name: str) -> tuple[list[datetime], list[tuple[str, datetime | None]]]:
    """The store's runs by start: (starts, [(log, finished)]), to name the run that confirmed a level."""
    logs = frappe.db.sql(
        f"""SELECT name, started_at, finished_at FROM `tab{LOG_DOCTYPE}`
        WHERE shopify_store = %(store)s AND status != 'Skipped' AND started_at IS NOT NULL
        ORDER BY started_at""",
        {"store": store_name},
        as_dict=True,
    )
    return [log.started_at for log in logs], [(log.name, log.finished_at) for log in logs]


def _run_at(runs, at: datetime | None) -> str | None:
    starts, logs = runs
    if at is None:
        return None
    index = bisect_right(starts, at) - 1
    if index < 0:
        return None
    name, finished = logs[index]
    return name if finished is None or at <= finished else None


def _last_rows(store_name: str, params: dict, only: str) -> dict[str, LogRow]:
    """The newest row per item among the store's last RECENT_LOGS runs that listed rows."""
    rows = frappe.db.sql(
        f"""SELECT log_row.item_code, log_row.code, log_row.message, log_row.sku, log_row.shopify_location_id,
            log_row.erpnext_quantity, log_row.confirmed_quantity, log_row.shopify_quantity, log_row.outcome,
            log_row.parentfield, run_log.name AS log, run_log.started_at
        FROM `tab{LOG_ROW_DOCTYPE}` log_row
        JOIN (
            SELECT name, started_at FROM `tab{LOG_DOCTYPE}`
            WHERE shopify_store = %(store)s AND status NOT IN ('Skipped', 'Running')
            ORDER BY started_at DESC LIMIT {RECENT_LOGS}
        ) run_log ON run_log.name = log_row.parent
        WHERE log_row.parenttype = '{LOG_DOCTYPE}' {only}
        ORDER BY run_log.started_at""",
        {**params, "store": store_name},
        as_dict=True,
    )
    out: dict[str, LogRow] = {}
    for r in rows:
        if not r.item_code:
            continue
        out[r.item_code] = LogRow(
            r.log,
            r.started_at,
            r.code or "",
            r.message or "",
            r.sku,
            r.shopify_location_id,
            r.erpnext_quantity,
            r.confirmed_quantity,
            r.shopify_quantity,
            held=r.parentfield == "conflict_rows" and r.outcome == "Held for review",
        )
    return out


@frappe.whitelist()
def item_shopify_states(item_code: str) -> list[dict]:
    """The Item form: the item's state in each store its user may read."""
    frappe.has_permission("Item", "read", item_code, throw=True)
    out = []
    for name in frappe.get_all(STORE_DOCTYPE, filters={"enabled": 1}, pluck="name"):
        if not frappe.has_permission(STORE_DOCTYPE, "read", name):
            continue
        store = frappe.get_doc(STORE_DOCTYPE, name)
        for state in store_item_states(store, [item_code]):
            out.append(
                {
                    "store": name,
                    "state": state.state,
                    "reason": state.reason,
                    "log": state.log,
                    "can_push": bool(frappe.has_permission(STORE_DOCTYPE, "write", name)),
                }
            )
    return out


@frappe.whitelist()
def push_item_now(item_code: str, store: str) -> dict:
    """Push this item now: one run of the store limited to the item. Same permission (write on
    the store) and kill switch as the store's Sync Inventory button."""
    from .scheduling import enqueue_store_sync
    from .stock_truth import ONE_ITEM
    from .store_job import refuse_manual_run

    doc = frappe.get_doc(STORE_DOCTYPE, store)
    doc.check_permission("write")
    frappe.has_permission("Item", "read", item_code, throw=True)
    refused = refuse_manual_run(doc, needs_locations=False)
    if refused:
        return refused
    queued = enqueue_store_sync(store, trigger="Manual", force=True, scope=ONE_ITEM + item_code)
    return {
        "queued": queued,
        "message": _("Push of {0} to {1} queued; the result lands in a Shopify Log").format(item_code, store)
        if queued
        else _("An inventory sync of this store is already queued or running"),
    }
