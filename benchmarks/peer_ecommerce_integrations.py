"""frappe/ecommerce_integrations' Shopify inventory push as its code runs, for the side-by-side
benchmark only. Our own re-enactment of its call pattern, written from reading its source
(branch version-15; the app is GPL, so nothing of it is copied here):

- `shopify/inventory.py::upload_inventory_data_to_shopify`: for every changed Bin row, in order,
  `Variant.find(variant_id)` then `InventoryLevel.set(location_id=..., inventory_item_id=...,
  available=cint(actual_qty) - cint(reserved_qty))` through the ShopifyAPI library
  (its pyproject pins ShopifyAPI==12.7.0). No sleep, no retry: a 429 raises pyactiveresource's
  ClientError, caught by its `except Exception`, and the row is marked "Failed".
  `ResourceNotFound` marks the row synced ("Not Found"). Rows go in batches of 50 only for its
  log and its per-row `frappe.db.commit()`, which this re-enactment leaves out (ERPNext side).
- `controllers/inventory.py::get_inventory_levels` picks the rows whose `Bin.modified` is newer
  than `Ecommerce Item.inventory_synced_on`, and `update_inventory_sync_status` stamps that only
  on "Success" or "Not Found": a failed row is picked again by the next run, and only then.
- `controllers/scheduling.py::need_to_run`: the next run comes `inventory_sync_frequency`
  minutes later (`shopify_setting.json`: default 60; choices 5 to 60).
- `shopify/connection.py::temp_shopify_session`: `Session.temp(shopify_url, API_VERSION, token)`
  with `constants.py::API_VERSION = "2024-01"`, a version Shopify has retired: Shopify answers it
  with the oldest supported version, and so does the emulator.
- `shopify/doctype/shopify_setting/shopify_setting.py::update_location_table`: the locations come
  from `Location.find()` (paginated), once, when the merchant maps warehouses.

ShopifyAPI builds its URL as `https://{shop}.myshopify.com/admin/api/{version}`; the one change
made here is to point that site at the emulator on loopback after the session is opened.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

API_VERSION = "2024-01"  # ecommerce_integrations' shopify/constants.py
DEFAULT_INTERVAL_MIN = 60  # shopify_setting.json: inventory_sync_frequency default


@dataclass(frozen=True)
class PeerRow:
    """One changed Bin as `get_inventory_levels` returns it, reduced to what the push uses."""

    variant_id: int
    location_id: int
    available: int


@dataclass(frozen=True)
class PeerRun:
    """One scheduled run of the peer's loop."""

    run: int
    pending: int
    calls: int
    throttled: int
    landed: int
    not_found: int
    failed: int
    http_s: float  # real time on loopback
    virtual_s: float  # the emulator's per-call latency, on its FakeClock

    @property
    def wall_s(self) -> float:
        return self.http_s + self.virtual_s


def open_session(base_url: str, shop_domain: str, token: str, version: str = API_VERSION):
    """Session.temp as temp_shopify_session opens it, with the site moved to the emulator."""
    import shopify

    context = shopify.Session.temp(shop_domain, version, token)
    context.__enter__()
    shopify.ShopifyResource.site = f"{base_url}/admin/api/{version}"
    return context


def location_ids() -> list[int]:
    """The ids `update_location_table` stores, through ShopifyAPI's paginated Location.find()."""
    from shopify import Location, PaginatedIterator

    return [location.id for page in PaginatedIterator(Location.find()) for location in page]


def push_once(rows: list[PeerRow], clock, run: int = 1) -> tuple[PeerRun, list[PeerRow]]:
    """One run of the loop over `rows` inside an open session; returns the run and the rows
    left "Failed" (picked again by the next run)."""
    from pyactiveresource.connection import ConnectionError as ActiveResourceError
    from pyactiveresource.connection import ResourceNotFound
    from shopify import InventoryLevel, Variant

    calls = throttled = landed = not_found = 0
    failed: list[PeerRow] = []
    started, started_virtual = time.perf_counter(), clock.now()
    for row in rows:
        try:
            calls += 1
            variant = Variant.find(row.variant_id)
            calls += 1
            InventoryLevel.set(
                location_id=row.location_id,
                inventory_item_id=variant.inventory_item_id,
                available=row.available,
            )
            landed += 1
        except ResourceNotFound:
            not_found += 1
        except Exception as error:  # as the app does: any other failure waits for the next run
            response = getattr(error, "response", None) if isinstance(error, ActiveResourceError) else None
            if getattr(response, "code", None) == 429:
                throttled += 1
            failed.append(row)
    virtual_s = clock.now() - started_virtual
    return (
        PeerRun(
            run=run,
            pending=len(rows),
            calls=calls,
            throttled=throttled,
            landed=landed,
            not_found=not_found,
            failed=len(failed),
            http_s=time.perf_counter() - started,
            virtual_s=virtual_s,
        ),
        failed,
    )


def push_until_landed(
    rows: list[PeerRow], clock, interval_min: float = DEFAULT_INTERVAL_MIN, max_runs: int = 1000
) -> list[PeerRun]:
    """Scheduled runs until every row has landed or `max_runs` ran. A run starts
    `interval_min` after the previous one started (`need_to_run` stamps the time before the
    work), or when it ended if it ran longer: Frappe does not enqueue a scheduled job type
    again while it is still queued or running. REST's bucket drains in between."""
    runs: list[PeerRun] = []
    pending = list(rows)
    while pending and len(runs) < max_runs:
        result, pending = push_once(pending, clock, run=len(runs) + 1)
        runs.append(result)
        if pending:
            clock.advance(max(0.0, interval_min * 60 - result.wall_s))
    return runs


def hours_until_landed(runs: list[PeerRun], interval_min: float = DEFAULT_INTERVAL_MIN) -> float:
    """From the first run's start to the end of the run that landed the last row."""
    if not runs:
        return 0.0
    between = sum(max(interval_min * 60, run.wall_s) for run in runs[:-1])
    return (between + runs[-1].wall_s) / 3600
