"""A second look at a shortfall a webhook check left.

Shopify below ERPNext, first seen, may be an order ERPNext has not imported: a check leaves it
(sync/drift.py's shortfall rule) and counts it only once its first sighting is
SHORTFALL_MIN_AGE_S old. No webhook comes for a level nobody touches again, so without a second
look an edit down in Shopify admin stayed until the hourly reconciliation. Each level left waits
in a per-store sorted set, scored by when it is due; the per-minute sweep (webhooks.sweep) takes
the due ones and marks them for the next check.

Only in on_hand mode. In available mode every Shopify order is such a shortfall until ERPNext
imports it, and a second look 15 minutes later overwrote the orders imported later than that
(docs/benchmarks.md §7, g'.: 17 -> 24 units oversold with it); there the shortfall is left, as
before, to the reconciliation, whose second sighting comes an interval later.
"""

from __future__ import annotations

import time
from datetime import datetime

import frappe
from frappe.utils import now_datetime

from . import confirmed_levels
from .constants import CONFIRMED_LEVEL_DOCTYPE
from .quantity_names import ON_HAND
from .webhook_queue import cache_key

WAITING_ACTIONS = ("wait", "partial")
RECHECK_TTL_S = 2 * 3600  # an entry Redis lost is the hourly reconciliation's, as before


def recheck_due(action: str, since: datetime | None, now: datetime) -> datetime:
    """Pure: when a level a check left is looked at again: once its shortfall's first sighting
    (`since`, the stored shortfall_since) is SHORTFALL_MIN_AGE old; the new part of a grown
    shortfall ("partial") and one not stored were first seen now."""
    first_seen = since if action == "wait" and since is not None and since <= now else now
    return first_seen + confirmed_levels.SHORTFALL_MIN_AGE


def looks_again(mode: str) -> bool:
    """Whether a shortfall a check left gets a second look (on_hand mode only: see above)."""
    return mode == ON_HAND


def schedule_rechecks(store_name: str, drifted) -> None:
    waiting = {drift.key: drift.action for drift in drifted if drift.action in WAITING_ACTIONS}
    if not waiting:
        return
    since = {
        (item, location): first_seen
        for item, location, first_seen in frappe.db.sql(
            f"""SELECT inventory_item_id, shopify_location_id, shortfall_since
            FROM `tab{CONFIRMED_LEVEL_DOCTYPE}`
            WHERE shopify_store = %(store)s AND inventory_item_id IN %(ids)s""",
            {"store": store_name, "ids": tuple({item for item, _location in waiting})},
        )
    }
    now, epoch = now_datetime(), time.time()
    # Scores in epoch seconds, as the sweep's clock; shortfall_since is in the site's time zone.
    due = {
        f"{item}|{location}": epoch
        + (recheck_due(action, since.get((item, location)), now) - now).total_seconds()
        for (item, location), action in waiting.items()
    }
    key = cache_key("recheck", store_name)
    pipe = frappe.cache.pipeline()
    pipe.zadd(key, due)
    pipe.expire(key, RECHECK_TTL_S)
    pipe.execute()


def take_due_rechecks(store_name: str, now: float) -> list[str]:
    """The levels due by `now` (epoch seconds), taken off the set."""
    key = cache_key("recheck", store_name)
    pipe = frappe.cache.pipeline(transaction=True)
    pipe.zrangebyscore(key, "-inf", now)
    pipe.zremrangebyscore(key, "-inf", now)
    members = pipe.execute()[0] or []
    return [m.decode() if isinstance(m, bytes) else str(m) for m in members]
