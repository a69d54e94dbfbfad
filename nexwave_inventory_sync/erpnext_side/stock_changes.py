"""Which items a run reads: all of the store's, or only those whose stock may have changed since
the store's last read (its watermark), so a tick where little moved costs little.

The watermark is the instant the last run began reading ERPNext's stock, kept only when that
run left nothing it read unsettled, or the few items it left are listed for the next run
(`stock_recheck`); otherwise it is cleared and the next run reads everything (seed 004:
advance only after a successful sync, never before).

An item is read when, since the watermark less OVERLAP:
- one of its Bins in the store's warehouses changed (ERPNext stamps Bin.modified on every
  quantity write: stock ledger, reservations, production, subcontracting, reposts);
- the Item changed (disabled, no longer a stock item, its SKU field, its cached ids edited on
  the form), or was deleted (Deleted Document): its confirmed levels are then set to 0;
- a reconciliation confirmed one of its levels;
- in on_hand mode, a Sales Order with it changed (this store's own orders are added back);
and always when its cached variant id was edited, its "untracked" answer is due for a
re-check, or the last run left it unsettled: not confirmed by Shopify (refused, held, not sent)
or held back by ERPNext's own data (one SKU on two items). Items without cached ids are looked up
only among the items read (a new item's Bin or Item changed), so a run's work does not grow with
the catalog. An item Shopify does not have is not unsettled but marked (not_on_shopify.py) and
left out until its Item changes or the mark is a day old, however many there are.

Everything is read instead when a full push is due, a setting that shapes the figures changed
since the last settled read (FIGURE_SETTINGS: the warehouse mapping, the quantity rule, the
safety buffer, the SKU field, the API version; the log names which), a mapped warehouse is
gone, there is no watermark, or more than MAX_CHANGED_ITEMS items qualify. Saving the store for
anything else (its interval, its reconciliation, its notifications) keeps the delta read.

OVERLAP: a row is stamped when it is written but seen only once its transaction commits. A
stock transaction still open when we read, stamped before the read, is caught by the next run
as long as it commits within OVERLAP of its write; 30 minutes is beyond Frappe's long-queue
job timeout (1,500 s) and a web request's (120 s). Longer transactions are caught by the
scheduled reconciliation (hourly by default) and the full push (daily by default).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import frappe
from frappe import _
from frappe.utils import get_datetime

from ..sync.api import RunResult, StockRow, unsettled_rows
from . import bundles, not_on_shopify
from .confirmed_levels import RECONCILIATION
from .constants import CONFIRMED_LEVEL_DOCTYPE, ITEM_STORE_DOCTYPE, STORE_DOCTYPE
from .quantity_names import ON_HAND, quantity_name

OVERLAP = timedelta(minutes=30)
# Beyond this many items one full read is cheaper than a long IN list, and the list of items
# a run left unsettled is not kept (the next run reads everything).
MAX_CHANGED_ITEMS = 5000


@dataclass(frozen=True)
class ReadScope:
    items: frozenset[str] | None  # None: every item of the store
    since: datetime | None = None  # changes after this instant qualify (watermark − OVERLAP)
    reason: str = ""  # why everything is read

    def describe(self) -> str:
        """The Shopify Log's "Stock Read" line."""
        if self.items is None:
            return _("All items: {0}").format(self.reason)
        return _("{0} items that changed since {1} or were left to re-check").format(
            len(self.items), self.since.replace(microsecond=0)
        )


# What shapes the figures a run sends, in the words the Shopify Log uses: a change to one of
# these makes the next run read every item, since the levels Shopify confirmed were figured
# under the old value.
FIGURE_SETTINGS = {
    "locations": "warehouse mapping",
    "quantity_name": "quantity rule",
    "order_marker_field": "quantity rule",
    "order_marker_value": "quantity rule",
    "safety_buffer": "safety buffer",
    "sku_field": "SKU field",
    "api_version": "API version",
}


def figure_settings(store) -> dict:
    """The store's FIGURE_SETTINGS as plain values (kept as JSON with the watermark)."""
    values = {field: store.get(field) or None for field in FIGURE_SETTINGS if field != "locations"}
    values["safety_buffer"] = float(store.safety_buffer or 0)
    values["locations"] = sorted([row.warehouse, row.shopify_location_id] for row in store.locations)
    return values


def changed_figure_settings(recorded: str | None, current: dict) -> list[str] | None:
    """Labels of the settings that differ from the recorded ones, in FIGURE_SETTINGS' order;
    None when nothing was recorded (a store last read by an older version)."""
    try:
        before = json.loads(recorded) if recorded else None
    except ValueError:
        before = None
    if not isinstance(before, dict):
        return None
    labels = [FIGURE_SETTINGS[field] for field in FIGURE_SETTINGS if before.get(field) != current.get(field)]
    return list(dict.fromkeys(labels))


def everything(reason: str) -> ReadScope:
    return ReadScope(None, reason=reason)


def read_scope(store, full: bool, now: datetime, recheck_hours: int) -> ReadScope:
    """`recheck_hours`: how old an "untracked" answer may get (0: never looked up again)."""
    if full:
        return everything(_("a full push"))
    if not store.stock_read_at:
        return everything(_("no earlier run read the store's stock and settled it, or one stopped part-way"))
    since = get_datetime(store.stock_read_at) - OVERLAP
    changed = changed_figure_settings(store.get("figure_settings"), figure_settings(store))
    if changed is None:
        return everything(_("the settings the last read was figured with were not recorded"))
    if changed:
        return everything(
            _("the store's settings changed: {0}").format(", ".join(_(label) for label in changed))
        )
    warehouses = tuple(sorted({row.warehouse for row in store.locations}))
    if frappe.db.count("Warehouse", {"name": ["in", warehouses]}) < len(warehouses):
        return everything(_("a mapped warehouse no longer exists"))
    items = set(_recheck_list(store))
    for found in (
        _changed_bins(warehouses, since),
        _changed_items(since),
        _deleted_items(since),
        _reconciled_items(store.name, since),
        _cache_to_look_up_again(store.name, recheck_hours, now),
        _changed_orders(since) if quantity_name(store) == ON_HAND else (),
        bundles.changed_bundles(since),
    ):
        items.update(found)
    # A bundle's figure moves with any of its components (bundles.py).
    items.update(bundles.parents_of(items))
    # Items not on Shopify are a state of the catalog: not looked up again on every stock move
    # (not_on_shopify.py), and never what pushes a run past MAX_CHANGED_ITEMS.
    items.difference_update(not_on_shopify.resting_items(store.name, now))
    if len(items) > MAX_CHANGED_ITEMS:
        return everything(_("more than {0} items changed").format(MAX_CHANGED_ITEMS))
    return ReadScope(frozenset(items), since)


def _column(query: str, params: dict) -> list[str]:
    return [row[0] for row in frappe.db.sql(query, params)]


def _changed_bins(warehouses: tuple[str, ...], since: datetime) -> list[str]:
    return _column(
        "SELECT DISTINCT item_code FROM `tabBin` WHERE modified > %(since)s AND warehouse IN %(warehouses)s",
        {"since": since, "warehouses": warehouses},
    )


def _changed_items(since: datetime) -> list[str]:
    return _column("SELECT name FROM `tabItem` WHERE modified > %(since)s", {"since": since})


def _deleted_items(since: datetime) -> list[str]:
    return _column(
        "SELECT deleted_name FROM `tabDeleted Document` WHERE modified > %(since)s AND deleted_doctype = 'Item'",
        {"since": since},
    )


def _reconciled_items(store_name: str, since: datetime) -> list[str]:
    return _column(
        f"""SELECT DISTINCT item_code FROM `tab{CONFIRMED_LEVEL_DOCTYPE}`
        WHERE shopify_store = %(store)s AND modified > %(since)s AND confirmed_by = %(how)s""",
        {"store": store_name, "since": since, "how": RECONCILIATION},
    )


def _cache_to_look_up_again(store_name: str, recheck_hours: int, now: datetime) -> list[str]:
    """Cached ids stock_levels.stock_rows will not trust: a variant id edited by hand (compared
    loosely here: a number and its gid differ as text, and reading one more item is harmless),
    or an "untracked" answer older than the store's re-check interval."""
    stale = now - timedelta(hours=recheck_hours) if recheck_hours > 0 else None
    return _column(
        f"""SELECT DISTINCT parent FROM `tab{ITEM_STORE_DOCTYPE}`
        WHERE parenttype = 'Item' AND shopify_store = %(store)s AND IFNULL(inventory_item_id, '') != ''
            AND ((IFNULL(variant_id, '') != '' AND IFNULL(resolved_variant_id, '') != ''
                    AND variant_id != resolved_variant_id)
                OR (%(stale)s IS NOT NULL AND tracked = 0
                    AND (last_resolved IS NULL OR last_resolved < %(stale)s)))""",
        {"store": store_name, "stale": stale},
    )


def _changed_orders(since: datetime) -> list[str]:
    return _column(
        """SELECT DISTINCT so_item.item_code FROM `tabSales Order` so
        JOIN `tabSales Order Item` so_item ON so_item.parent = so.name
        WHERE so.modified > %(since)s""",
        {"since": since},
    )


def _recheck_list(store) -> list[str]:
    try:
        items = json.loads(store.stock_recheck or "[]")
    except ValueError:
        return []
    return [item for item in items if isinstance(item, str)] if isinstance(items, list) else []


def clear(store) -> None:
    """The next run reads everything: this one stopped part-way (killed, or an error), after
    caching ids and perhaps pushing rows it could not record."""
    store.stock_read_at = store.stock_recheck = None
    frappe.db.set_value(
        STORE_DOCTYPE,
        store.name,
        {"stock_read_at": None, "stock_recheck": None, "figure_settings": None},
        update_modified=False,
    )


def advance(
    store_name: str,
    read_at: datetime | None,
    sent: Iterable[StockRow],
    result: RunResult,
    untracked: Iterable[str],
    held_back: Iterable[str],
    settings: dict | None = None,
    missing: Iterable[str] = (),
) -> None:
    """After a run: the watermark moves to the instant its read began, with the items it left
    unsettled (and those ERPNext's data held back) to re-check; or is cleared when there was no
    read, the run stopped, or too many are left (the next run then reads everything)."""
    unsettled = None
    if read_at is not None and not result.aborted:
        unsettled = unsettled_rows(sent, result.confirmed)
    if unsettled is not None:
        # Items Shopify does not track, or does not have (`missing`), are looked up again on
        # their own schedule.
        unsettled = (unsettled - set(untracked) - set(missing)) | set(held_back)
    if unsettled is None or len(unsettled) > MAX_CHANGED_ITEMS:
        values = {"stock_read_at": None, "stock_recheck": None, "figure_settings": None}
    else:
        values = {
            "stock_read_at": read_at,
            "stock_recheck": json.dumps(sorted(unsettled)) if unsettled else None,
            # `settings`: figure_settings() of the store this run read with.
            "figure_settings": json.dumps(settings, sort_keys=True) if settings is not None else None,
        }
    frappe.db.set_value(STORE_DOCTYPE, store_name, values, update_modified=False)
