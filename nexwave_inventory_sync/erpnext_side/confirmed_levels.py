"""What Shopify last confirmed, per store, item and Shopify location (Shopify Confirmed Level).

A level is confirmed when Shopify accepted a row we set (a push) or when a reconciliation read
it. The engine decides from these levels what a run sends (sync/delta.py: changed rows only,
compare-and-set, 0 for items that left the stock query); this module keeps them in ERPNext:
read with one query per run, written with multi-row upserts on the (store, item, location)
unique key, never one save per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import frappe
from frappe.utils import now_datetime

from ..sync.api import SHORTFALL_MIN_AGE_S, ConfirmedLevel, InFlightCheck, InFlightLevel, LevelKey
from .bulk_sql import BULK_CHUNK, delete_by_name, insert_rows, update_by_name
from .constants import CONFIRMED_LEVEL_DOCTYPE
from .stock_levels import item_codes_param

PUSH = "Push"
RECONCILIATION = "Reconciliation"
# A shortfall counts as seen before only once its first sighting is this old (sync/drift.py).
SHORTFALL_MIN_AGE = timedelta(seconds=SHORTFALL_MIN_AGE_S)


@dataclass(frozen=True)
class StoredLevels:
    levels: tuple[ConfirmedLevel, ...]  # ref = the ERPNext item code
    # Units Shopify showed below ERPNext at the last reconciliation (sync/drift.py's rule), of
    # shortfalls first seen at least SHORTFALL_MIN_AGE ago (counted_shortfall).
    shortfalls: dict[LevelKey, int]


def load(store_name: str, items: Iterable[str] | None = None) -> StoredLevels:
    """The store's levels, or only those of `items` (item codes) when given."""
    params = {"store": store_name}
    if items is not None:
        params["items"] = item_codes_param(items)
    records = frappe.db.sql(
        f"""
        SELECT item_code, shopify_location_id, quantity, inventory_item_id, shortfall,
            shortfall_since, confirmed_by, held
        FROM `tab{CONFIRMED_LEVEL_DOCTYPE}`
        WHERE shopify_store = %(store)s AND IFNULL(inventory_item_id, '') != '' AND unconfirmed = 0
            {"AND item_code IN %(items)s" if items is not None else ""}
        """,
        params,
        as_dict=True,
    )
    levels = tuple(
        ConfirmedLevel(
            r.inventory_item_id,
            r.shopify_location_id,
            int(r.quantity),
            ref=r.item_code,
            source="reconcile" if r.confirmed_by == RECONCILIATION else "push",
            held=int(r.held or 0),
        )
        for r in records
    )
    now = now_datetime()
    shortfalls = {
        level.key: int(r.shortfall)
        for level, r in zip(levels, records, strict=True)
        if counted_shortfall(r.shortfall, r.shortfall_since, now)
    }
    return StoredLevels(levels, shortfalls)


def counted_shortfall(shortfall: int | None, since: datetime | None, now: datetime) -> bool:
    """Whether a stored shortfall counts as seen before: first seen SHORTFALL_MIN_AGE ago or
    earlier (one stored before first sightings were dated counts, as it did)."""
    return bool(shortfall) and (since is None or now - since >= SHORTFALL_MIN_AGE)


# The first columns of every level row written in bulk: which level, and its figure.
_LEVEL_HEAD = ("name", "shopify_store", "item_code", "shopify_location_id", "inventory_item_id", "quantity")
_UPSERT_COLUMNS = (*_LEVEL_HEAD, "confirmed_at", "confirmed_by", "shortfall", "shortfall_since", "held")


def upsert(
    store_name: str,
    levels: Iterable[ConfirmedLevel],
    how: str,
    now: datetime | None = None,
    shortfalls: dict[LevelKey, int] | None = None,
) -> int:
    """Record levels (ref = item code) in multi-row INSERT … ON DUPLICATE KEY UPDATE statements
    of 1,000 rows. A reconciliation passes the shortfalls it saw and replaces the stored ones;
    a push keeps them. Returns the number of rows written (the last of duplicates wins).

    A reconciliation writes only the levels whose figure, inventory item or shortfall differ
    from the stored ones: every level it writes is stamped, and stock_changes reads each item
    a reconciliation stamped since the last run, so writing all of them made the next delta
    tick read the whole catalog. A level it leaves as it was keeps its old stamp (and who
    confirmed it)."""
    latest: dict[tuple[str, str], ConfirmedLevel] = {}
    for level in levels:
        if level.ref:
            latest[(level.ref, level.location_id)] = level
    shortfalls = shortfalls or {}
    if how == RECONCILIATION and latest:
        latest = _changed(store_name, latest, shortfalls)
    if not latest:
        return 0
    now = now or now_datetime()
    return insert_rows(
        CONFIRMED_LEVEL_DOCTYPE,
        _UPSERT_COLUMNS,
        _rows(store_name, latest.values(), how, now, shortfalls),
        _on_duplicate(how),
        stamp=now,
    )


def _rows(
    store_name: str,
    levels: Iterable[ConfirmedLevel],
    how: str,
    now: datetime,
    shortfalls: dict[LevelKey, int],
) -> list[tuple]:
    """The values of _UPSERT_COLUMNS for each level (a shortfall seen is dated now)."""
    return [
        (
            frappe.generate_hash(length=12),
            store_name,
            level.ref,
            level.location_id,
            level.inventory_item_id,
            int(level.quantity),
            now,
            how,
            int(shortfalls.get(level.key, 0)),
            now if shortfalls.get(level.key, 0) > 0 else None,
            int(level.held),
        )
        for level in levels
    ]


def _on_duplicate(how: str) -> str:
    """The ON DUPLICATE KEY UPDATE assignments for a level already stored."""
    # A reconciliation replaces the stored shortfall; a push keeps it for the next reconciliation.
    # Its first sighting stays while it does not grow (MariaDB assigns left to right: `shortfall`
    # is still the stored one here); a grown shortfall holds new sales, dated now.
    shortfall = (
        """shortfall_since = IF(shortfall > 0 AND VALUES(shortfall) > 0 AND VALUES(shortfall) <= shortfall,
            IFNULL(shortfall_since, VALUES(shortfall_since)), VALUES(shortfall_since)),
        shortfall = VALUES(shortfall),"""
        if how == RECONCILIATION
        else ""
    )
    return f"""{shortfall}
        inventory_item_id = COALESCE(VALUES(inventory_item_id), inventory_item_id),
        quantity = VALUES(quantity), held = VALUES(held), confirmed_at = VALUES(confirmed_at),
        confirmed_by = VALUES(confirmed_by), modified = VALUES(modified),
        modified_by = VALUES(modified_by), in_flight = 0, unconfirmed = 0"""


def _changed(
    store_name: str, latest: dict[tuple[str, str], ConfirmedLevel], shortfalls: dict[LevelKey, int]
) -> dict[tuple[str, str], ConfirmedLevel]:
    """The levels that differ from the stored ones (one query for the store's rows)."""
    stored = {
        (r.item_code, r.shopify_location_id): (
            r.inventory_item_id,
            int(r.quantity),
            int(r.shortfall or 0),
            int(r.held or 0),
        )
        for r in frappe.db.sql(
            f"""SELECT item_code, shopify_location_id, inventory_item_id, quantity, shortfall, held
            FROM `tab{CONFIRMED_LEVEL_DOCTYPE}` WHERE shopify_store = %(store)s""",
            {"store": store_name},
            as_dict=True,
        )
    }
    return {
        key: level
        for key, level in latest.items()
        if stored.get(key)
        != (level.inventory_item_id, int(level.quantity), int(shortfalls.get(level.key, 0)), int(level.held))
    }


def forget(store_name: str) -> None:
    """A deleted store leaves no levels behind (a new store of that name starts cold)."""
    frappe.db.delete(CONFIRMED_LEVEL_DOCTYPE, {"shopify_store": store_name})


def full_push_due(last_full_push: datetime | None, interval_hours: int | None, now: datetime) -> bool:
    """A full push is due when none was ever made, or the interval has passed; 0 hours means
    a full push is never forced (the button can still ask for one)."""
    hours = int(interval_hours or 0)
    if hours <= 0:
        return False
    return last_full_push is None or last_full_push + timedelta(hours=hours) <= now


# -- in flight (the crash rule: sync/in_flight.py) ------------------------------------------------
def in_flight(store_name: str) -> tuple[InFlightLevel, ...]:
    """Rows a run sent whose answer it did not save (it was killed, or aborted mid-call)."""
    records = frappe.db.sql(
        f"""
        SELECT item_code, shopify_location_id, inventory_item_id, in_flight_quantity, quantity, unconfirmed,
            in_flight_held, held
        FROM `tab{CONFIRMED_LEVEL_DOCTYPE}`
        WHERE shopify_store = %(store)s AND in_flight = 1
        """,
        {"store": store_name},
        as_dict=True,
    )
    return tuple(
        InFlightLevel(
            r.inventory_item_id,
            r.shopify_location_id,
            int(r.in_flight_quantity or 0),
            None if r.unconfirmed else int(r.quantity),
            ref=r.item_code,
            held=int(r.in_flight_held or 0),
            previous_held=0 if r.unconfirmed else int(r.held or 0),
        )
        for r in records
    )


def mark_in_flight(store_name: str, marks: Iterable[InFlightLevel], now: datetime | None = None) -> int:
    """Before a batch leaves: each row's figure sent. A row never confirmed gets a record that
    holds only the mark (`unconfirmed`), which load() leaves out. `modified` is not touched: the
    changed-items read must not take a mark for a change."""
    latest = {(mark.ref, mark.location_id): mark for mark in marks if mark.ref}
    if not latest:
        return 0
    now = now or now_datetime()
    values = [
        (
            frappe.generate_hash(length=12),
            store_name,
            mark.ref,
            mark.location_id,
            mark.inventory_item_id,
            0,
            PUSH,
            1,
            1,
            int(mark.sent),
            int(mark.held),
        )
        for mark in latest.values()
    ]
    return insert_rows(
        CONFIRMED_LEVEL_DOCTYPE,
        (*_LEVEL_HEAD, "confirmed_by", "unconfirmed", "in_flight", "in_flight_quantity", "in_flight_held"),
        values,
        """in_flight = 1, in_flight_quantity = VALUES(in_flight_quantity), in_flight_held = VALUES(in_flight_held),
        inventory_item_id = IF(unconfirmed, VALUES(inventory_item_id), inventory_item_id)""",
        stamp=now,
    )


def _key_condition(keys: Iterable[LevelKey]) -> tuple[str, list]:
    keys = list(dict.fromkeys(keys))
    placeholders = ", ".join(["(%s, %s)"] * len(keys))
    return f"(inventory_item_id, shopify_location_id) IN ({placeholders})", [v for key in keys for v in key]


def _names(store_name: str, keys: Iterable[LevelKey]) -> list[str]:
    """The store's rows of `keys`, in item order, by a plain read (no lock): the write that
    follows locks those rows only, by name (bulk_sql.update_by_name)."""
    keys = list(keys)
    rows: list[tuple] = []
    for start in range(0, len(keys), BULK_CHUNK):
        condition, values = _key_condition(keys[start : start + BULK_CHUNK])
        rows += frappe.db.sql(
            f"""SELECT item_code, shopify_location_id, name FROM `tab{CONFIRMED_LEVEL_DOCTYPE}`
            WHERE shopify_store = %s AND {condition}""",
            [store_name, *values],
        )
    return [row[2] for row in sorted(rows)]


def release(store_name: str, keys: Iterable[LevelKey]) -> None:
    """Shopify answered these rows without applying them: the level before stands."""
    update_by_name(CONFIRMED_LEVEL_DOCTYPE, _names(store_name, keys), "in_flight = 0")


def forget_levels(store_name: str, keys: Iterable[LevelKey]) -> None:
    """Shopify has no level there any more (the item was deleted, or is not stocked there):
    nothing is left to compare with or to zero."""
    delete_by_name(CONFIRMED_LEVEL_DOCTYPE, _names(store_name, keys))


def settle_in_flight(store_name: str, check: InFlightCheck) -> None:
    """Apply what one read of Shopify proved about the marks (sync/in_flight.check_in_flight)."""
    upsert(store_name, check.confirmed, PUSH)
    forget_levels(store_name, [mark.key for mark in check.gone])
