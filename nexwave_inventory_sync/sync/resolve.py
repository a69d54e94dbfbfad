"""Find each row's inventory item in bulk: variant ids through nodes(ids:) 250 at a time,
SKUs through productVariants, either filtered by SKU or as one full scan, whichever costs
fewer calls. Never one call per item (the old connector's 7,300 variant lookups)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from . import documents
from .client import CallFailed, RunAborted, ShopifyClient
from .errors import BadResponse
from .limits import MAX_NODES_PER_QUERY, MAX_PAGE_SIZE
from .results import Resolution
from .retry import Action

# SKUs OR-ed into one productVariants search; keeps the search string well inside
# Shopify's limits while each page still returns up to 250 variants.
SKU_FILTER_CHUNK = 50
# Searches that fail after their retries, one after another, before the rest of the SKUs
# are reported as failed lookups without a call each.
SEARCH_FAILURES_BEFORE_GIVING_UP = 2
# Requested cost of one variant with its inventory item: variant 1 + inventoryItem 1.
_COST_PER_VARIANT = 2


@dataclass(frozen=True)
class Unresolved:
    code: str
    message: str
    # The lookup call itself failed (5xx, bad answer): the row failed, it is not "not on Shopify".
    lookup_failed: bool = False


def sku_strategy(skus_needed: int, variant_count: int | None) -> str:
    """'filter' or 'scan': the fewer calls. A count that is a lower bound (AT_LEAST) only
    makes a scan look cheaper than it is, so an unknown count always filters."""
    filter_calls = math.ceil(skus_needed / SKU_FILTER_CHUNK)
    if variant_count is None or filter_calls <= 1:
        return "filter"
    scan_calls = max(1, math.ceil(variant_count / MAX_PAGE_SIZE))
    return "scan" if scan_calls < filter_calls else "filter"


def sku_search_query(skus: Iterable[str]) -> str:
    def quoted(sku: str) -> str:
        return '"' + sku.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return " OR ".join(f"sku:{quoted(sku)}" for sku in skus)


class Resolver:
    """Remembers what it learnt for the whole run: a SKU stocked at five locations is looked
    up once, and after a full scan a missing SKU costs no further call."""

    def __init__(self, client: ShopifyClient):
        self.client = client
        self.by_variant: dict[str, Resolution | Unresolved] = {}
        self.by_sku: dict[str, Resolution | Unresolved] = {}
        self._scanned = False
        self._variant_count: int | None = None
        self._counted = False  # the count comes with a scan's first page, asked once a run

    # -- variant ids -------------------------------------------------------------------
    # A lookup call that fails fails just the lookup (its rows say why); a RunAborted, which
    # is a CallFailed too, goes through every handler below: it stops the run.
    @staticmethod
    def _lookup_failed(failure: CallFailed) -> Unresolved:
        return Unresolved(
            failure.error.code or failure.error.kind.upper(),
            f"lookup failed: {failure.error.message}",
            lookup_failed=True,
        )

    def resolve_variants(self, variant_ids: Iterable[str]) -> None:
        missing = list(dict.fromkeys(v for v in variant_ids if v not in self.by_variant))
        for start in range(0, len(missing), MAX_NODES_PER_QUERY):
            chunk = missing[start : start + MAX_NODES_PER_QUERY]
            try:
                data = self.client.execute(
                    documents.VARIANT_INVENTORY_ITEMS,
                    {"ids": chunk},
                    operation="VariantInventoryItems",
                    expected_cost=1 + _COST_PER_VARIANT * len(chunk),
                )
            except RunAborted:
                raise
            except CallFailed as failure:
                for variant_id in chunk:
                    self.by_variant[variant_id] = self._lookup_failed(failure)
                continue
            nodes = data.get("nodes")
            nodes = nodes if isinstance(nodes, list) else []
            for variant_id, node in zip(chunk, nodes, strict=False):
                found = self._resolution(node)
                self.by_variant[variant_id] = found or Unresolved(
                    "VARIANT_NOT_FOUND", f"variant {variant_id} does not exist in the shop"
                )
            for variant_id in chunk[len(nodes) :]:
                self.by_variant[variant_id] = Unresolved(
                    "VARIANT_NOT_FOUND", f"variant {variant_id} was not returned"
                )

    def learn(self, resolutions, skus) -> None:
        """Take what a bulk read listed (every variant of the shop) as the answer for `skus`:
        found once, resolved; twice, ambiguous; absent, not in the shop. No call."""
        found: dict[str, list[Resolution]] = {}
        for resolution in resolutions:
            if resolution.sku:
                found.setdefault(resolution.sku, []).append(resolution)
        for sku in skus:
            self.by_sku[sku] = self._pick(sku, found.get(sku, []))
        self._scanned = True

    # -- SKUs --------------------------------------------------------------------------
    def resolve_skus(self, skus: Iterable[str], *, fresh: bool = False) -> None:
        """Resolve SKUs not yet known; `fresh` looks them up again by search whatever this run
        learnt before (a cached id Shopify has just refused)."""
        if fresh:
            wanted = list(dict.fromkeys(skus))
            for sku in wanted:
                self.by_sku.pop(sku, None)
            self._search(wanted)
            return
        missing = list(dict.fromkeys(s for s in skus if s not in self.by_sku))
        if not missing:
            return
        if self._scanned:
            for sku in missing:
                self.by_sku[sku] = Unresolved("SKU_NOT_FOUND", f"no variant in the shop has SKU {sku!r}")
            return
        if math.ceil(len(missing) / SKU_FILTER_CHUNK) > 1 and not self._counted:
            # Many SKUs: the first page of a scan tells how big the catalog is; go on
            # scanning if that is fewer calls than searching, else search for the rest.
            self._counted = True
            try:
                self._scan(pending=len(missing))
            except RunAborted:
                raise
            except CallFailed:
                # One failed call (a burst of 5xx outlasting its retries) must not fail every
                # SKU of the run: searching asks other questions, and stops early if the shop
                # is really down (see _search).
                self._search(missing)
                return
            if self._scanned:
                self.resolve_skus(missing)
                return
            missing = [s for s in missing if s not in self.by_sku]
        self._search(missing)

    def _search(self, skus: list[str]) -> None:
        failed_in_a_row: CallFailed | None = None
        streak = 0
        for start in range(0, len(skus), SKU_FILTER_CHUNK):
            chunk = skus[start : start + SKU_FILTER_CHUNK]
            if streak >= SEARCH_FAILURES_BEFORE_GIVING_UP and failed_in_a_row is not None:
                # Searches keep failing after their retries: the rest would too; say so per
                # SKU without spending three calls on each chunk of them.
                self._fail_skus(chunk, failed_in_a_row)
                continue
            wanted = set(chunk)
            found: dict[str, list[Resolution]] = {}
            try:
                for node in self._variant_pages(sku_search_query(chunk)):
                    resolution = self._resolution(node)
                    if resolution is not None and resolution.sku in wanted:
                        found.setdefault(resolution.sku, []).append(resolution)
            except RunAborted:
                raise
            except CallFailed as failure:
                self._fail_skus(chunk, failure)
                failed_in_a_row, streak = failure, streak + 1
                continue
            streak = 0
            for sku in chunk:
                self.by_sku[sku] = self._pick(sku, found.get(sku, []))

    def _fail_skus(self, skus: list[str], failure: CallFailed) -> None:
        for sku in skus:
            self.by_sku.setdefault(sku, self._lookup_failed(failure))

    def _scan(self, pending: int) -> None:
        """Read the catalog's first page and its variant count; read on to the end only when
        that is fewer calls than searching for the `pending` SKUs."""
        data = self.client.execute(
            documents.VARIANTS_COUNT_AND_FIRST_PAGE,
            {"first": MAX_PAGE_SIZE},
            operation="VariantsCountAndFirstPage",
            expected_cost=3 + _COST_PER_VARIANT * MAX_PAGE_SIZE,
        )
        counted = data.get("productVariantsCount") or {}
        count = counted.get("count") if isinstance(counted, dict) else None
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            count = None
        # AT_LEAST: Shopify stopped counting at its limit (10,000 by default, documented on
        # productVariantsCount); the catalog may be any size above it, so a scan's cost is
        # unknown and searching, whose cost is known, is the safe choice.
        exact = isinstance(counted, dict) and counted.get("precision") != "AT_LEAST"
        self._variant_count = count if isinstance(count, int) and exact else None
        nodes, cursor = _page(data)
        found: dict[str, list[Resolution]] = {}
        self._collect(nodes, found)
        complete = cursor is None
        if not complete and sku_strategy(pending, self._variant_count) != "scan":
            # A SKU seen once on this page may repeat on a later one: searching settles it.
            return
        if not complete:
            for node in self._variant_pages(None, after=cursor):
                self._collect([node], found)
        for sku, matches in found.items():
            self.by_sku[sku] = self._pick(sku, matches)
        self._scanned = True

    @classmethod
    def _collect(cls, nodes: list[dict], found: dict[str, list[Resolution]]) -> None:
        for node in nodes:
            resolution = cls._resolution(node)
            if resolution is not None and resolution.sku:
                found.setdefault(resolution.sku, []).append(resolution)

    # Shopify caps pagination at 25,000 objects on the Storefront API and in Liquid, and says
    # the Admin GraphQL API keeps higher limits (changelog "New pagination limits for Liquid &
    # Storefront GraphQL API", 2025-06-17). Should a later page fail anyway, the whole lookup
    # fails (CallFailed) and its SKUs are reported as lookups that failed, never as missing.
    def _variant_pages(self, query: str | None, after: str | None = None):
        while True:
            data = self.client.execute(
                documents.VARIANTS_PAGE,
                {"first": MAX_PAGE_SIZE, "after": after, "query": query},
                operation="VariantsPage",
                expected_cost=2 + _COST_PER_VARIANT * MAX_PAGE_SIZE,
            )
            nodes, cursor = _page(data)
            yield from nodes
            if cursor is None:
                return
            if cursor == after:
                # A page that points back at itself would loop for ever; what lies beyond it
                # is unknown, so the lookup fails rather than calling the rest missing.
                raise CallFailed(
                    BadResponse("Shopify's variant pages did not advance (same cursor)"), Action.FAIL_BATCH
                )
            after = cursor

    def _pick(self, sku: str, matches: list[Resolution]) -> Resolution | Unresolved:
        if not matches:
            return Unresolved("SKU_NOT_FOUND", f"no variant in the shop has SKU {sku!r}")
        if len(matches) > 1:
            # Pushing to a guess could oversell the other variant: refuse and say so.
            return Unresolved("AMBIGUOUS_SKU", f"{len(matches)} variants in the shop share SKU {sku!r}")
        return matches[0]

    @staticmethod
    def _resolution(node: object) -> Resolution | None:
        """The variant node as a Resolution; None for anything without an inventory item id."""
        item = node.get("inventoryItem") if isinstance(node, dict) else None
        item_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(item_id, str) or not item_id:
            return None
        variant_id, sku = node.get("id"), node.get("sku")
        bundle = node.get("requiresComponents") is True
        return Resolution(
            inventory_item_id=item_id,
            # tracked is Boolean! in the schema; only an explicit false skips the item. A
            # Shopify bundle is never sent either (Resolution.requires_components).
            tracked=item.get("tracked") is not False and not bundle,
            requires_components=bundle,
            variant_id=variant_id if isinstance(variant_id, str) else None,
            sku=sku if isinstance(sku, str) and sku else None,
        )


def _page(data: dict) -> tuple[list, str | None]:
    """A productVariants page's nodes and the cursor of the next page (None: the last page)."""
    page = data.get("productVariants")
    page = page if isinstance(page, dict) else {}
    nodes = page.get("nodes")
    info = page.get("pageInfo")
    info = info if isinstance(info, dict) else {}
    cursor = info.get("endCursor")
    more = info.get("hasNextPage") is True and isinstance(cursor, str) and bool(cursor)
    return (nodes if isinstance(nodes, list) else []), (cursor if more else None)
