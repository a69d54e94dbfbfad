"""Read Shopify's current quantities: for a few (item, location)s (conflicts), or every level
of the shop (reconciliation), by pages or, for a large catalog, by one bulk operation.

Public API (stable):

- `read_levels(client, keys, name="available") -> dict[LevelKey, int | None]`: the named
  quantity of each (item gid, location gid); None when the item is not stocked there (or
  gone). Up to 250 items per call, one location per call.
- `read_all_levels(client, location_ids, name="available", *, method="auto",
  variant_count=None, http_get=None, poll_interval=2.0, max_wait=1800.0, progress=None)
  -> LevelRead`: every level at the given
  locations. `method`: "pages" (location.inventoryLevels, 250 per page), "bulk"
  (bulkOperationRunQuery, see bulk.py), or "auto": bulk from `BULK_THRESHOLD` variants up.
  `progress(read_so_far)` is called after every page (levels read) and every bulk poll
  (Shopify's objectCount: lines the operation has written), then once the file is read.
- `LevelRead`: `levels` {key: quantity}, `skus` {inventory item gid: sku}, `tracked`
  {inventory item gid: bool}, `resolutions` (bulk only: every variant with its inventory item, for id resolution), `method`, `calls`.
- `BULK_THRESHOLD` (levels = variants x locations, 2,500) and `BULK_RESOLVE_THRESHOLD` (SKUs
  to resolve, 2,500): where one bulk operation replaces the pages. Measured
  (docs/benchmarks.md, section 7, Standard bucket of 2,000 points refilling 100/s, 300 ms a
  request): a page of 250 levels costs ~752 points, so 1,000 levels read in 11 s, 5,000 in
  131 s, 10,000 in 282 s, 30,000 in ~14 minutes, and every point they take is a point the sync
  runs of the same shop wait for. A bulk operation costs ~15 points whatever the size; its
  own processing time is not documented (the emulator's 2 s + 1 s per 2,000 objects is a
  guess; reports put small operations at seconds to tens of seconds). Pages win while they
  fit in about one bucket plus the time a bulk operation takes: ~2,500 levels. Resolution by
  the scan (2 points a variant) crosses the bulk operation between 1,000 SKUs (scan 1.2 s,
  bulk 5.2 s) and 1,500 (10.7 s against 5.2 s); at 2,500 the scan needs ~31 s, so bulk still
  wins if Shopify takes up to ~25 s more than the emulator's guess, and at a store's 7,300 it
  is 131 s against 10 s (issue 17 §4: 50 such stores' first tick inside one interval). A
  partner app without bulk access is refused (ACCESS_DENIED): the resolver then scans.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from . import documents
from .client import CallFailed, RunAborted, ShopifyClient
from .delta import LevelKey, level_key
from .limits import MAX_NODES_PER_QUERY, MAX_PAGE_SIZE
from .results import Resolution
from .retry import Action

BULK_THRESHOLD = 2_500
BULK_RESOLVE_THRESHOLD = 2_500
# Requested cost of one level on a page: the level 1 + its item 1 + quantities 1.
_COST_PER_LEVEL = 3
# Pages of 250 levels would ask ~752 points: under the 1,000 cap, so the full page size holds.
LEVEL_PAGE_SIZE = MAX_PAGE_SIZE


# Told how far a read has come: levels read by the pages, or objects a bulk operation wrote.
ReadProgress = Callable[[int], None]


class LevelReadFailed(Exception):
    pass


def _execute(client: ShopifyClient, document: str, variables: dict, operation: str, cost: float) -> dict:
    try:
        return client.execute(document, variables, operation=operation, expected_cost=cost)
    except CallFailed as failure:
        if failure.action is Action.ABORT_RUN:
            raise RunAborted(failure) from None
        raise


def _quantity(quantities: Iterable[dict] | None, name: str) -> int | None:
    """The named figure, or None; an answer of the wrong shape counts as no figure (the
    fuzzed-answer rule: nothing Shopify sends may raise out of the engine)."""
    if not isinstance(quantities, list):
        return None
    for entry in quantities:
        if isinstance(entry, dict) and entry.get("name") == name:
            value = entry.get("quantity")
            return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None


def read_levels(
    client: ShopifyClient, keys: Iterable[LevelKey], name: str = "available"
) -> dict[LevelKey, int | None]:
    """Raises CallFailed (or RunAborted) when a read fails: the caller decides what the rows
    it was reading for become."""
    by_location: dict[str, list[str]] = {}
    for item, location in dict.fromkeys(keys):
        by_location.setdefault(location, []).append(item)
    found: dict[LevelKey, int | None] = {}
    for location, items in by_location.items():
        for start in range(0, len(items), MAX_NODES_PER_QUERY):
            chunk = items[start : start + MAX_NODES_PER_QUERY]
            data = _execute(
                client,
                documents.LEVELS_AT_LOCATION,
                {"ids": chunk, "locationId": location, "names": [name]},
                "InventoryLevelsAt",
                1 + _COST_PER_LEVEL * len(chunk),
            )
            nodes = data.get("nodes")
            nodes = nodes[: len(chunk)] if isinstance(nodes, list) else []
            for item, node in zip(chunk, nodes + [None] * (len(chunk) - len(nodes)), strict=True):
                level = node.get("inventoryLevel") if isinstance(node, dict) else None
                found[(item, location)] = (
                    _quantity(level.get("quantities"), name) if isinstance(level, dict) else None
                )
    return found


@dataclass
class LevelRead:
    levels: dict[LevelKey, int] = field(default_factory=dict)
    skus: dict[str, str | None] = field(default_factory=dict)  # inventory item gid -> sku
    resolutions: list[Resolution] = field(default_factory=list)  # bulk reads only
    # inventory item gid -> whether Shopify tracks its stock (a reconciliation leaves the
    # untracked out of its comparison: a push skips them by design).
    tracked: dict[str, bool] = field(default_factory=dict)
    method: str = "pages"
    calls: int = 0


def read_location_pages(
    client: ShopifyClient,
    location_id: str,
    name: str,
    read: LevelRead,
    progress: ReadProgress | None = None,
) -> None:
    location = level_key(1, location_id)[1]
    after = None
    while True:
        data = _execute(
            client,
            documents.LOCATION_LEVELS_PAGE,
            {"locationId": location, "first": LEVEL_PAGE_SIZE, "after": after, "names": [name]},
            "LocationLevelsPage",
            2 + _COST_PER_LEVEL * LEVEL_PAGE_SIZE,
        )
        read.calls += 1
        node = data.get("location")
        if not isinstance(node, dict):
            raise LevelReadFailed(f"location {location} does not exist in the shop")
        page = node.get("inventoryLevels")
        page = page if isinstance(page, dict) else {}
        for level in page.get("nodes") if isinstance(page.get("nodes"), list) else []:
            item = level.get("item") if isinstance(level, dict) else None
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            quantity = _quantity(level.get("quantities"), name)
            if quantity is not None:
                read.levels[(item["id"], location)] = quantity
                read.skus[item["id"]] = item.get("sku")
                if isinstance(item.get("tracked"), bool):
                    read.tracked[item["id"]] = item["tracked"]
        if progress is not None:
            progress(len(read.levels))
        info = page.get("pageInfo") if isinstance(page.get("pageInfo"), dict) else {}
        cursor = info.get("endCursor")
        if not info.get("hasNextPage"):
            return
        if not cursor or cursor == after:
            raise LevelReadFailed(f"the level pages of {location} stopped advancing")
        after = cursor


def choose_method(variant_count: int | None, locations: int) -> str:
    if variant_count is None:
        return "pages"
    return "bulk" if variant_count * max(1, locations) >= BULK_THRESHOLD else "pages"


def read_all_levels(
    client: ShopifyClient,
    location_ids: Iterable[str],
    name: str = "available",
    *,
    method: str = "auto",
    variant_count: int | None = None,
    http_get: Callable[[str], Iterator[bytes]] | None = None,
    poll_interval: float = 2.0,
    max_wait: float = 1800.0,
    progress: ReadProgress | None = None,
) -> LevelRead:
    locations = [level_key(1, loc)[1] for loc in location_ids]
    if method == "auto":
        method = choose_method(variant_count, len(locations))
    if method == "bulk":
        from .bulk import bulk_levels  # local: bulk pulls in requests for the download

        return bulk_levels(
            client,
            locations,
            name,
            http_get=http_get,
            poll_interval=poll_interval,
            max_wait=max_wait,
            progress=progress,
        )
    read = LevelRead(method="pages")
    for location in locations:
        read_location_pages(client, location, name, read, progress)
    return read
