"""Root fields: the queries an inventory push makes and inventorySetQuantities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import count
from typing import Any

from graphql import FieldNode, GraphQLError, value_from_ast_untyped

from .catalog import NOT_STOCKED, Catalog, gid, parse_gid
from .idempotency import IdempotencyStore, fingerprint
from .inventory import set_quantities, user_error
from .search import parse_search
from .shop_profile import ShopProfile
from .shopify_facts import MAX_NODE_IDS
from .stats import EmulatorStats
from .views import (
    InventoryItem,
    InventoryLevel,
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

    def _require_idempotency_key(self, info: Any) -> None:
        """From 2026-04 @idempotent(key:) is required on inventory mutations (field
        descriptions in admin_2026-07); the error text and code are a guess."""
        field = info.field_nodes[0]
        present, key = idempotent_directive(field, self.context.raw_variables)
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

    def inventoryActivate(
        self,
        info: Any,
        inventoryItemId: str,
        locationId: str,
        available: int | None = None,
        onHand: int | None = None,
    ) -> dict:
        """Stock an item at a location (documented: "Activate an inventory item at a
        location"); a level that already exists is returned as is (guess: no error)."""
        if self.context.change_from_era:
            self._require_idempotency_key(info)
        catalog = self.context.catalog
        item = parse_gid(inventoryItemId)
        location = parse_gid(locationId)
        row = catalog.item_row(item[1]) if item and item[0] == "InventoryItem" else None
        loc = catalog.location_row(location[1]) if location and location[0] == "Location" else None
        if row is None or loc is None:
            what = "inventoryItemId" if row is None else "locationId"
            return {
                "inventoryLevel": None,
                "userErrors": [{"field": [what], "message": f"The {what} could not be found."}],
            }
        if catalog.level(row, loc) is None:
            start = onHand if onHand is not None else (available or 0)
            catalog.write_level(row, loc, start)
            self.context.stats.add(activations=1)
        return {"inventoryLevel": InventoryLevel(catalog, row, loc), "userErrors": []}

    def inventoryBulkToggleActivation(
        self, info: Any, inventoryItemId: str, inventoryItemUpdates: list[dict]
    ) -> dict:
        """Documented: activates or deactivates one item at several locations and returns the
        activated levels. Guessed: the error paths and texts, that an unknown location fails
        the whole call (nothing applied), and deactivation refused while units are committed."""
        catalog = self.context.catalog
        item = parse_gid(inventoryItemId)
        row = catalog.item_row(item[1]) if item and item[0] == "InventoryItem" else None
        if row is None:
            return {
                "inventoryItem": None,
                "inventoryLevels": None,
                "userErrors": [
                    {
                        "code": "INVENTORY_ITEM_NOT_FOUND",
                        "field": ["inventoryItemId"],
                        "message": "The inventory item could not be found.",
                    }
                ],
            }
        targets = []
        for index, update in enumerate(inventoryItemUpdates):
            location = parse_gid(update.get("locationId"))
            loc = catalog.location_row(location[1]) if location and location[0] == "Location" else None
            if loc is None:
                return {
                    "inventoryItem": InventoryItem(catalog, row),
                    "inventoryLevels": None,
                    "userErrors": [
                        {
                            "code": "LOCATION_NOT_FOUND",
                            "field": ["inventoryItemUpdates", str(index), "locationId"],
                            "message": "The location could not be found.",
                        }
                    ],
                }
            targets.append((loc, bool(update.get("activate"))))
        levels, errors = [], []
        for index, (loc, activate) in enumerate(targets):
            if activate:
                if catalog.level(row, loc) is None:
                    catalog.write_level(row, loc, 0)
                    self.context.stats.add(activations=1)
                levels.append(InventoryLevel(catalog, row, loc))
            elif catalog.level(row, loc) is not None:
                if catalog.committed(row, loc):
                    errors.append(
                        {
                            "code": "COMMITTED_INVENTORY_AT_LOCATION",
                            "field": ["inventoryItemUpdates", str(index), "locationId"],
                            "message": "The item has committed inventory at the location.",
                        }
                    )
                else:
                    catalog.write_level(row, loc, NOT_STOCKED)
        return {"inventoryItem": InventoryItem(catalog, row), "inventoryLevels": levels, "userErrors": errors}

    def bulkOperationRunQuery(self, info: Any, query: str, groupObjects: bool = False) -> dict:
        operations = self.context.bulk_operations
        if operations is None:
            return {
                "bulkOperation": None,
                "userErrors": [{"code": "INVALID", "field": None, "message": "bulk operations are off"}],
            }
        payload = operations.run_query(self.context.version, self.context.schema, query)
        if payload.get("bulkOperation") is not None:
            self.context.stats.add(bulk_operations=1)
        return payload

    def webhookSubscriptionCreate(self, info: Any, topic: str, webhookSubscription: dict) -> dict:
        """Kept on the executor (emulator/webhooks.py's sender may be pointed at them); the same
        topic and address twice is refused, as Shopify refuses it."""
        subscriptions = self.context.webhook_subscriptions
        uri = (webhookSubscription.get("uri") or "").strip()
        if not uri.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            return _subscription_error(["webhookSubscription", "uri"], "Address is invalid")
        if subscriptions is None or any(s[1:] == (topic, uri) for s in subscriptions):
            return _subscription_error(
                ["webhookSubscription", "uri"], "Address for this topic has already been taken"
            )
        subscription = (gid("WebhookSubscription", len(subscriptions) + 1), topic, uri)
        subscriptions.append(subscription)
        return {
            "webhookSubscription": {"id": subscription[0], "topic": topic, "uri": uri, "format": "JSON"},
            "userErrors": [],
        }

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


def _subscription_error(field: list[str], message: str) -> dict:
    return {"webhookSubscription": None, "userErrors": [{"field": field, "message": message}]}
