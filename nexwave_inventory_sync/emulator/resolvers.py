"""Root query fields: the queries an inventory push makes (mutations.py has the mutations),
and what a request's resolvers share."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from typing import Any

from graphql import FieldNode, GraphQLError, value_from_ast_untyped

from .catalog import Catalog, parse_gid
from .idempotency import IdempotencyStore
from .search import parse_search
from .shop_profile import ShopProfile
from .shopify_facts import MAX_NODE_IDS
from .stats import EmulatorStats
from .views import (
    InventoryItem,
    Location,
    Product,
    ProductVariant,
    Shop,
    connection,
    decode_cursor,
    page_size,
)

MAX_INPUT_SIZE = MAX_NODE_IDS
# productVariantsCount stops counting at `limit` (default 10,000; null: no limit) and says
# AT_LEAST (documented on productVariantsCount and CountPrecision). 2025-01 has no `limit`
# argument; that it caps at 10,000 there too is a guess.
COUNT_LIMIT = 10_000
_UNSET = object()


def max_input_size_error(size: int, limit: int) -> GraphQLError:
    return GraphQLError(
        f"The input array size of {size} is greater than the maximum allowed of {limit}.",
        extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
    )


def idempotent_directive(field: FieldNode, variables: dict[str, Any]) -> tuple[bool, Any]:
    """(present, key) of @idempotent(key:) on a field; the key as sent (raw variables)."""
    for directive in field.directives or ():
        if directive.name.value == "idempotent":
            for argument in directive.arguments or ():
                if argument.name.value == "key":
                    return True, value_from_ast_untyped(argument.value, variables)
            return True, None
    return False, None


@dataclass
class RequestContext:
    """What one request's resolvers share: the shop, the rules of its API version, and the
    variables exactly as sent (coercion turns an absent changeFromQuantity into None)."""

    catalog: Catalog
    shop_domain: str
    raw_variables: dict[str, Any]
    change_from_era: bool
    partial_apply: bool
    max_batch: int
    stats: EmulatorStats
    idempotency: IdempotencyStore
    group_numbers: count
    profile: ShopProfile
    bulk_operations: Any = None  # bulk.BulkOperations
    version: str = ""
    schema: Any = None
    bulk: bool = False  # executing a bulk query: connections without `first` return everything
    webhook_subscriptions: list | None = None  # executor.Executor's: (id, topic, uri)


class QueryRoot:
    def __init__(self, context: RequestContext):
        self.context = context
        self.catalog = context.catalog

    # -- nodes ---------------------------------------------------------------------------
    def _node(self, value: Any) -> Any:
        parsed = parse_gid(value)
        if parsed is None:
            raise GraphQLError(
                f"Invalid global id '{value}'", extensions={"code": "argumentLiteralsIncompatible"}
            )
        kind, number = parsed
        if kind == "ProductVariant":
            row = self.catalog.variant_row(number)
            return None if row is None else ProductVariant(self.catalog, row)
        if kind == "InventoryItem":
            row = self.catalog.item_row(number)
            return None if row is None else InventoryItem(self.catalog, row)
        if kind == "Product":
            row = self.catalog.product_row(number)
            return None if row is None else Product(self.catalog, row)
        if kind == "Location":
            loc = self.catalog.location_row(number)
            return None if loc is None else Location(self.catalog, loc)
        if kind == "Shop" and number == 1:
            return Shop(self.context.shop_domain, self.context.profile)
        if kind == "BulkOperation" and self.context.bulk_operations is not None:
            return self.context.bulk_operations.get(number)
        return None

    def node(self, info: Any, id: str) -> Any:
        return self._node(id)

    def nodes(self, info: Any, ids: list[str]) -> list[Any]:
        if len(ids) > MAX_INPUT_SIZE:
            raise max_input_size_error(len(ids), MAX_INPUT_SIZE)
        return [self._node(value) for value in ids]

    def inventoryItem(self, info: Any, id: str) -> InventoryItem | None:
        node = self._node(id)
        return node if isinstance(node, InventoryItem) else None

    def shop(self, info: Any) -> Shop:
        return Shop(self.context.shop_domain, self.context.profile)

    def currentAppInstallation(self, info: Any) -> dict:
        # Documented shape (AppInstallation.accessScopes); descriptions are ours, not Shopify's.
        return {
            "id": "gid://shopify/AppInstallation/1",
            "accessScopes": [
                {"handle": h, "description": f"granted: {h}"} for h in self.context.profile.access_scopes
            ],
        }

    def location(self, info: Any, id: str | None = None) -> Location | None:
        node = self._node(id) if id is not None else None
        return node if isinstance(node, Location) else None

    # -- bulk operations -------------------------------------------------------------------
    def currentBulkOperation(self, info: Any, type: str = "QUERY") -> Any:
        operations = self.context.bulk_operations
        if type != "QUERY" or operations is None:
            return None
        return operations.current()

    def bulkOperation(self, info: Any, id: str) -> Any:
        parsed = parse_gid(id)
        if parsed is None or parsed[0] != "BulkOperation" or self.context.bulk_operations is None:
            return None
        return self.context.bulk_operations.get(parsed[1])

    # -- variants ------------------------------------------------------------------------
    def _matching_rows(self, query: str | None) -> list[int] | None:
        """Rows matching a search, in id order; None when there is no search."""
        if query is None or not query.strip():
            return None
        matched: set[int] = set()
        for group in parse_search(query):
            rows: set[int] | None = None
            for term in group:
                if term.field == "sku":
                    found = set(self.catalog.rows_with_sku(term.value))
                else:
                    row = self.catalog.variant_row(int(term.value)) if term.value.isdigit() else None
                    found = set() if row is None else {row}
                rows = found if rows is None else rows & found
            matched |= rows or set()
        return sorted(matched)

    def productVariants(
        self, info: Any, first: int | None = None, after: str | None = None, query: str | None = None
    ) -> dict:
        # In a bulk query a connection has no `first`: it returns every node.
        size = 10**9 if self.context.bulk and first is None else page_size(first)
        after_number = decode_cursor(after)
        matching = self._matching_rows(query)
        rows: list[int] = []
        if matching is None:
            for row in self.catalog.live_rows_after(after_number):
                rows.append(row)
                if len(rows) > size:
                    break
        else:
            rows = [
                r for r in matching if after_number is None or self.catalog.variant_number(r) > after_number
            ][: size + 1]
        page = rows[:size]
        return connection(
            [ProductVariant(self.catalog, row) for row in page],
            [self.catalog.variant_number(row) for row in page],
            has_next=len(rows) > size,
            has_previous=after_number is not None,
        )

    def productVariantsCount(self, info: Any, query: str | None = None, limit: Any = _UNSET) -> dict:
        matching = self._matching_rows(query)
        total = self.catalog.variant_count if matching is None else len(matching)
        cap = COUNT_LIMIT if limit is _UNSET else limit
        if cap is not None and total > cap:
            return {"count": max(0, cap), "precision": "AT_LEAST"}
        return {"count": total, "precision": "EXACT"}

    # -- locations -----------------------------------------------------------------------
    def locations(
        self, info: Any, first: int | None = None, after: str | None = None, includeInactive: bool = False
    ) -> dict:
        size = page_size(first)
        after_number = decode_cursor(after)
        locs = [
            loc
            for loc in range(self.catalog.location_count())
            if (includeInactive or self.catalog.location_active(loc))
            and (after_number is None or self.catalog.location_number(loc) > after_number)
        ]
        page = locs[:size]
        return connection(
            [Location(self.catalog, loc) for loc in page],
            [self.catalog.location_number(loc) for loc in page],
            has_next=len(locs) > size,
            has_previous=after_number is not None,
        )
