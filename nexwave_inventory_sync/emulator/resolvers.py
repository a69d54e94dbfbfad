"""Root fields: the queries an inventory push makes and inventorySetQuantities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import count
from typing import Any

from graphql import FieldNode, GraphQLError, value_from_ast_untyped

from ..sync.limits import MAX_NODES_PER_QUERY
from .catalog import Catalog, parse_gid
from .idempotency import IdempotencyStore, fingerprint
from .inventory import set_quantities, user_error
from .search import parse_search
from .shop_profile import ShopProfile
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

MAX_INPUT_SIZE = MAX_NODES_PER_QUERY
# productVariantsCount stops counting here and says AT_LEAST, as Shopify does.
COUNT_LIMIT = 10_000


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
        size = page_size(first)
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

    def productVariantsCount(self, info: Any, query: str | None = None) -> dict:
        matching = self._matching_rows(query)
        total = self.catalog.variant_count if matching is None else len(matching)
        if total > COUNT_LIMIT:
            return {"count": COUNT_LIMIT, "precision": "AT_LEAST"}
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


class MutationRoot:
    def __init__(self, context: RequestContext):
        self.context = context

    def inventorySetQuantities(self, info: Any, input: dict) -> dict:
        context = self.context
        field = info.field_nodes[0]
        key = None
        if context.change_from_era:
            present, key = idempotent_directive(field, context.raw_variables)
            if not present:
                raise GraphQLError(
                    "The @idempotent directive is required for this mutation.",
                    field,
                    extensions={"code": "BAD_REQUEST"},
                )
            if not isinstance(key, str) or not key.strip():
                raise GraphQLError(
                    "The @idempotent directive key must not be empty or whitespace.",
                    field,
                    extensions={"code": "BAD_REQUEST"},
                )
            self._require_change_from(field)
        quantities = input.get("quantities") or []
        if len(quantities) > context.max_batch:
            raise max_input_size_error(len(quantities), context.max_batch)

        print_ = fingerprint(input)
        if key is not None:
            remembered = context.idempotency.lookup(key)
            if remembered is not None:
                if remembered[0] != print_:
                    return {
                        "inventoryAdjustmentGroup": None,
                        "userErrors": [
                            user_error(
                                "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                                "The idempotency key was already used with different parameters.",
                                "idempotencyKey",
                            )
                        ],
                    }
                context.stats.add(idempotent_replays=1)
                return remembered[1]

        outcome = set_quantities(
            context.catalog,
            input,
            change_from_era=context.change_from_era,
            partial_apply=context.partial_apply,
            group_number=next(context.group_numbers),
            created_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        if outcome.rows_written:
            context.stats.add(mutations_applied=1, quantities_set=outcome.rows_written)
        if key is not None:
            context.idempotency.remember(key, print_, outcome.payload)
        return outcome.payload

    def _require_change_from(self, field: FieldNode) -> None:
        """From 2026-04 every row must carry changeFromQuantity, even as null; only the input
        as sent can tell an absent field from an explicit null."""
        sent = None
        for argument in field.arguments or ():
            if argument.name.value == "input":
                sent = value_from_ast_untyped(argument.value, self.context.raw_variables)
        rows = sent.get("quantities") if isinstance(sent, dict) else None
        missing = [
            str(i)
            for i, row in enumerate(rows or [])
            if not isinstance(row, dict) or "changeFromQuantity" not in row
        ]
        if missing:
            shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
            raise GraphQLError(
                f'"changeFromQuantity" must be provided on every quantity (null skips the check); '
                f"missing in input.quantities {shown}",
                field,
                extensions={"code": "BAD_REQUEST"},
            )
