"""A guard against zeroing the shop: a run whose read would set to 0 too many of the items
Shopify last confirmed above 0, or whose full read of ERPNext came back empty while it would
still send something, sends nothing and says why.

What it catches is a read gone wrong, not a sell-out: a warehouse mapping pointed at an empty
warehouse, stock moved to a warehouse the store does not map, a read that lost its rows. The
decision (`check`) is pure; the store's share, minimum and release flag, the count of items
above 0 and the notification are the I/O around it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import frappe
from frappe import _
from frappe.utils import cint, flt

from ..sync.api import QuantityError, StockRow, shopify_quantity
from .constants import CONFIRMED_LEVEL_DOCTYPE, LOG_DOCTYPE, STORE_DOCTYPE

HELD = "Held"
DEFAULT_SHARE_PERCENT = 20
# A shop of 3 items selling 2 out is not a broken read; below this many items zeroed the share
# is not looked at (an empty full read is held whatever its size).
DEFAULT_MIN_ITEMS = 10


@dataclass(frozen=True)
class ZeroHold:
    """Why a run sent nothing: `zeroing` of the `above_zero` items last confirmed above 0 would
    have gone to 0; `empty_read`: ERPNext's full read returned no row at all."""

    zeroing: int
    above_zero: int
    empty_read: bool = False

    def message(self) -> str:
        if self.empty_read:
            why = _("held: ERPNext's read of the store's warehouses came back empty")
        else:
            why = _("held: the read would zero {0} of {1} items").format(self.zeroing, self.above_zero)
        return (
            why
            + ". "
            + _(
                "Nothing was sent. Check the warehouse mapping and the stock, then release the run on the store."
            )
        )


def zeroing_items(rows: Iterable[StockRow], safety_buffer: float = 0) -> set[str]:
    """Items (refs) a run would take from a confirmed figure above 0 to 0: the rows sent with
    compare-and-set (change_from: the confirmed level) whose figure becomes 0. Pure."""
    items: set[str] = set()
    for row in rows:
        if not row.change_from or row.change_from <= 0:
            continue
        try:
            quantity = shopify_quantity(row.quantity, safety_buffer)
        except QuantityError:
            continue  # the run fails that row with its reason; it zeroes nothing
        if quantity == 0:
            items.add(row.ref or row.label)
    return items


def check(
    to_push: Iterable[StockRow],
    read_rows: int,
    full_read: bool,
    above_zero: int,
    *,
    safety_buffer: float = 0,
    share_percent: float = DEFAULT_SHARE_PERCENT,
    min_items: int = DEFAULT_MIN_ITEMS,
) -> ZeroHold | None:
    """None: the run may send. Pure. `above_zero`: the store's items last confirmed above 0
    (all of them, whatever this run reads: a changed-items read of 5 sold-out items is 5 of
    the store's 7,300, not 5 of 5). A share of 0 or less switches the share rule off."""
    to_push = list(to_push)
    if not to_push or above_zero <= 0:
        return None  # nothing would be sent, or nothing above 0 to lose
    zeroing = len(zeroing_items(to_push, safety_buffer))
    if full_read and read_rows == 0:
        return ZeroHold(zeroing, above_zero, empty_read=True)
    if share_percent <= 0 or zeroing < max(min_items, 1):
        return None
    if zeroing * 100 > share_percent * above_zero:
        return ZeroHold(zeroing, above_zero)
    return None


def items_above_zero(store_name: str) -> int:
    """Items of the store whose last confirmed level is above 0 at one location at least."""
    return cint(
        frappe.db.sql(
            f"""SELECT COUNT(DISTINCT item_code) FROM `tab{CONFIRMED_LEVEL_DOCTYPE}`
            WHERE shopify_store = %(store)s AND quantity > 0 AND unconfirmed = 0""",
            {"store": store_name},
        )[0][0]
    )


def check_store(store, to_push: list[StockRow], read_rows: int, full_read: bool) -> ZeroHold | None:
    """The store's guard, unless an admin released it for this run (consumed by `released`)."""
    if cint(store.get("zero_guard_released")):
        return None
    share = store.get("zero_guard_percent")
    minimum = store.get("zero_guard_min_items")
    return check(
        to_push,
        read_rows,
        full_read,
        items_above_zero(store.name),
        safety_buffer=flt(store.safety_buffer),
        share_percent=DEFAULT_SHARE_PERCENT if share is None else flt(share),
        min_items=DEFAULT_MIN_ITEMS if minimum is None else cint(minimum),
    )


def consume_release(store) -> None:
    """A release is good for one run."""
    if cint(store.get("zero_guard_released")):
        frappe.db.set_value(STORE_DOCTYPE, store.name, "zero_guard_released", 0, update_modified=False)


def notify(store, log_name: str, hold: ZeroHold) -> list[str]:
    """The store's notify users hear of a held run once, not every tick it stays held."""
    users = [row.user for row in store.get("drift_notify_users") or [] if row.user]
    if not users or store.last_run_status == HELD:
        return []
    from frappe.desk.doctype.notification_log.notification_log import make_notification_logs

    make_notification_logs(
        frappe._dict(
            {
                "type": "Alert",
                "document_type": LOG_DOCTYPE,
                "document_name": log_name,
                "from_user": "Administrator",
                "subject": _("Shopify inventory sync of {0} {1}").format(store.name, hold.message()),
            }
        ),
        users,
    )
    return users
