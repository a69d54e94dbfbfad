"""Resolvers: the catalog seen through the Admin GraphQL types (graphql-core's default
resolver calls a callable attribute with (info, **args), so plain objects serve as types)."""

from __future__ import annotations

import base64
import json
import re
import threading
from datetime import datetime, timezone
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, value_from_ast_untyped

from ..sync.versions import uses_idempotency
from .catalog import Catalog, Location, Variant, gid, gid_number

MAX_PAGE = 250
MAX_NODES = 250
MAX_SET_QUANTITY = 1_000_000_000
COUNT_CAP = 10_000  # productVariantsCount answers AT_LEAST beyond this
REASONS = frozenset(
    "correction cycle_count_available damaged movement_created movement_updated movement_received movement_canceled other "
    "promotion quality_control received reservation_created reservation_deleted reservation_updated restock safety_stock "
    "shrinkage".split()
)
_SKU_TERM = re.compile(r'sku:(?:"((?:[^"\\]|\\.)*)"|(\S+))')


def _cursor(number: int) -> str:
    return base64.b64encode(f"cursor:{number}".encode()).decode()


def _after(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        raise GraphQLError(f"Invalid cursor: {cursor}") from None


def _page_size(first: int | None) -> int:
    if first is None:
        raise GraphQLError("you must provide one of first or last")
    if first > MAX_PAGE or first < 0:
        raise GraphQLError(f"The first argument must be between 0 and {MAX_PAGE}")
    return first


def connection(objects: list[tuple[int, Any]], first: int | None, after: str | None) -> dict:
    """objects: (sort number, object) in order."""
    size = _page_size(first)
    start = _after(after)
    remaining = [(n, o) for n, o in objects if n > start]
    page = remaining[:size]
    return {
        "nodes": [o for _, o in page],
        "edges": [{"cursor": _cursor(n), "node": o} for n, o in page],
        "pageInfo": {
            "hasNextPage": len(remaining) > size,
            "hasPreviousPage": start > 0,
            "startCursor": _cursor(page[0][0]) if page else None,
            "endCursor": _cursor(page[-1][0]) if page else None,
        },
    }


def parse_sku_query(query: str) -> set[str]:
    return {
        quoted.replace('\\"', '"').replace("\\\\", "\\") if quoted is not None else bare
        for quoted, bare in _SKU_TERM.findall(query)
    }


class LocationNode:
    typename = "Location"

    def __init__(self, location: Location):
        self.id = gid("Location", location.number)
        self.name = location.name
        self.isActive = location.active
        self.fulfillsOnlineOrders = True


class LevelNode:
    typename = "InventoryLevel"

    def __init__(self, shop: ShopData, item: int, location: int):
        self._shop, self._item, self._location = shop, item, location
        self.id = f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"

    def item(self, info: GraphQLResolveInfo) -> ItemNode:
        return ItemNode(self._shop, self._shop.catalog.variant(self._item))

    def location(self, info: GraphQLResolveInfo) -> LocationNode:
        return LocationNode(self._shop.catalog.location(self._location))

    def quantities(self, info: GraphQLResolveInfo, names: list[str]) -> list[dict]:
        value = (
            self._shop.catalog.available(gid("InventoryItem", self._item), gid("Location", self._location))
            or 0
        )
        return [
            {"id": f"{self.id}&name={name}", "name": name, "quantity": value}
            for name in names
            if name in ("available", "on_hand")
        ]


class ItemNode:
    typename = "InventoryItem"

    def __init__(self, shop: ShopData, variant: Variant):
        self._shop, self._variant = shop, variant
        self.id = gid("InventoryItem", variant.number)
        self.sku = variant.sku
        self.tracked = variant.tracked

    def variant(self, info: GraphQLResolveInfo) -> VariantNode:
        return VariantNode(self._shop, self._variant)

    def inventoryLevel(
        self, info: GraphQLResolveInfo, locationId: str, includeInactive: bool = False
    ) -> LevelNode | None:
        location = gid_number(locationId, "Location")
        if location not in self._shop.catalog.stocked_locations(self._variant.number):
            return None
        return LevelNode(self._shop, self._variant.number, location)

    def inventoryLevels(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        includeInactive: bool = False,
    ) -> dict:
        stocked = self._shop.catalog.stocked_locations(self._variant.number)
        return connection(
            [(n, LevelNode(self._shop, self._variant.number, n)) for n in stocked], first, after
        )


class VariantNode:
    typename = "ProductVariant"

    def __init__(self, shop: ShopData, variant: Variant):
        self._shop, self._variant = shop, variant
        self.id = gid("ProductVariant", variant.number)
        self.sku = variant.sku
        self.title = "Default Title"

    def product(self, info: GraphQLResolveInfo) -> dict:
        return {"id": gid("Product", self._variant.number), "title": self._variant.title}

    def inventoryItem(self, info: GraphQLResolveInfo) -> ItemNode:
        return ItemNode(self._shop, self._variant)


class ShopData:
    """Everything the resolvers share: the catalog, the shop's name, the idempotency cache."""

    def __init__(self, catalog: Catalog, shop_domain: str, partial_apply: bool, max_batch: int, stats: Any):
        self.catalog = catalog
        self.shop_domain = shop_domain
        self.partial_apply = partial_apply
        self.max_batch = max_batch
        self.stats = stats
        self.lock = threading.RLock()
        self.idempotency: dict[str, tuple[str, dict]] = {}
        self._groups = 0


class QueryRoot:
    def __init__(self, shop: ShopData):
        self._shop = shop

    def _node(self, value: str) -> Any:
        catalog = self._shop.catalog
        if (number := gid_number(value, "ProductVariant")) is not None:
            variant = catalog.variant(number)
            return VariantNode(self._shop, variant) if variant else None
        if (number := gid_number(value, "InventoryItem")) is not None:
            variant = catalog.variant(number)
            return ItemNode(self._shop, variant) if variant else None
        if (number := gid_number(value, "Location")) is not None:
            location = catalog.location(number)
            return LocationNode(location) if location else None
        return None

    def node(self, info: GraphQLResolveInfo, id: str) -> Any:
        return self._node(id)

    def nodes(self, info: GraphQLResolveInfo, ids: list[str]) -> list[Any]:
        if len(ids) > MAX_NODES:
            raise GraphQLError(
                f"The input array size of {len(ids)} is greater than the maximum allowed of {MAX_NODES}."
            )
        return [self._node(value) for value in ids]

    def shop(self, info: GraphQLResolveInfo) -> dict:
        return {
            "id": "gid://shopify/Shop/1",
            "name": self._shop.shop_domain.split(".")[0],
            "myshopifyDomain": self._shop.shop_domain,
        }

    def inventoryItem(self, info: GraphQLResolveInfo, id: str) -> ItemNode | None:
        variant = self._shop.catalog.variant(gid_number(id, "InventoryItem"))
        return ItemNode(self._shop, variant) if variant else None

    def _matching(self, query: str | None) -> list[int]:
        catalog = self._shop.catalog
        numbers = catalog.variant_numbers()
        if query is None:
            return numbers
        skus = parse_sku_query(query)
        return [n for n in numbers if catalog.variant(n).sku in skus]

    def productVariants(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
    ) -> dict:
        catalog = self._shop.catalog
        return connection(
            [(n, VariantNode(self._shop, catalog.variant(n))) for n in self._matching(query)], first, after
        )

    def productVariantsCount(self, info: GraphQLResolveInfo, query: str | None = None) -> dict:
        count = len(self._matching(query))
        return {"count": min(count, COUNT_CAP), "precision": "EXACT" if count <= COUNT_CAP else "AT_LEAST"}

    def locations(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        includeInactive: bool = False,
    ) -> dict:
        locations = [loc for loc in self._shop.catalog.locations if loc.active or includeInactive]
        return connection([(loc.number, LocationNode(loc)) for loc in locations], first, after)


def _directive_key(info: GraphQLResolveInfo, variables: dict) -> str | None:
    for directive in info.field_nodes[0].directives or ():
        if directive.name.value == "idempotent":
            for argument in directive.arguments:
                if argument.name.value == "key":
                    return value_from_ast_untyped(argument.value, variables)
    return None


def _error(code: str, message: str, path: list[str] | None) -> dict:
    return {"code": code, "field": path, "message": message}


class Mutation:
    def __init__(self, shop: ShopData, api_version: str, variables: dict):
        self._shop = shop
        self._version = api_version
        self._variables = variables  # raw, as sent: graphql-core 3.3 wraps info.variable_values

    def inventorySetQuantities(self, info: GraphQLResolveInfo, input: dict) -> dict:
        shop = self._shop
        key = _directive_key(info, self._variables)
        quantities = input["quantities"]
        if uses_idempotency(self._version):
            if key is None:
                raise GraphQLError(
                    "The @idempotent directive is required for this mutation but was not provided."
                )
            if not str(key).strip():
                raise GraphQLError("The idempotency key cannot be empty or contain only whitespace.")
            for index, row in enumerate(quantities):
                if "changeFromQuantity" not in row:
                    raise GraphQLError(
                        f"changeFromQuantity must be provided for quantities[{index}]: pass null to skip the check."
                    )
        if len(quantities) > shop.max_batch:
            raise GraphQLError(
                f"The input array size of {len(quantities)} is greater than the maximum allowed of {shop.max_batch}."
            )
        fingerprint = json.dumps(input, sort_keys=True)
        with shop.lock:
            if key is not None and key in shop.idempotency:
                seen, payload = shop.idempotency[key]
                if seen == fingerprint:
                    shop.stats.count(idempotent_replays=1)
                    return payload
                return {
                    "inventoryAdjustmentGroup": None,
                    "userErrors": [
                        _error(
                            "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                            "The same idempotency key was used with different parameters.",
                            None,
                        )
                    ],
                }
            payload = self._apply(input)
            if key is not None:
                shop.idempotency[key] = (fingerprint, payload)
            return payload

    def _apply(self, input: dict) -> dict:
        shop, catalog = self._shop, self._shop.catalog
        errors: list[dict] = []
        if input["name"] not in ("available", "on_hand"):
            errors.append(
                _error(
                    "INVALID_NAME",
                    "The quantity name must be either 'available' or 'on_hand'.",
                    ["input", "name"],
                )
            )
        if input["reason"] not in REASONS:
            errors.append(_error("INVALID_REASON", "The specified reason is invalid.", ["input", "reason"]))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        legacy = not uses_idempotency(self._version)
        good: list[tuple[dict, int | None]] = []
        seen: set[tuple[str, str]] = set()
        for index, row in enumerate(input["quantities"]):
            path = ["input", "quantities", str(index)]
            item, location = row["inventoryItemId"], row["locationId"]
            current = catalog.available(item, location)
            if catalog.variant(gid_number(item, "InventoryItem")) is None:
                errors.append(
                    _error(
                        "INVALID_INVENTORY_ITEM",
                        "The specified inventory item could not be found.",
                        [*path, "inventoryItemId"],
                    )
                )
            elif catalog.location(gid_number(location, "Location")) is None:
                errors.append(
                    _error(
                        "INVALID_LOCATION",
                        "The specified location could not be found.",
                        [*path, "locationId"],
                    )
                )
            elif current is None:
                errors.append(
                    _error(
                        "ITEM_NOT_STOCKED_AT_LOCATION",
                        "The specified inventory item is not stocked at the location.",
                        [*path, "locationId"],
                    )
                )
            elif row["quantity"] < 0:
                errors.append(
                    _error(
                        "INVALID_QUANTITY_NEGATIVE", "The quantity can't be negative.", [*path, "quantity"]
                    )
                )
            elif row["quantity"] > MAX_SET_QUANTITY:
                errors.append(
                    _error(
                        "INVALID_QUANTITY_TOO_HIGH",
                        f"The quantity can't be higher than {MAX_SET_QUANTITY:,}.",
                        [*path, "quantity"],
                    )
                )
            elif (item, location) in seen:
                errors.append(
                    _error(
                        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                        "The combination of inventoryItemId and locationId must be unique.",
                        [*path, "inventoryItemId"],
                    )
                )
            elif legacy and not input.get("ignoreCompareQuantity") and row.get("compareQuantity") is None:
                errors.append(
                    _error(
                        "COMPARE_QUANTITY_REQUIRED",
                        "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.",
                        [*path, "compareQuantity"],
                    )
                )
            elif legacy and not input.get("ignoreCompareQuantity") and row["compareQuantity"] != current:
                errors.append(
                    _error(
                        "COMPARE_QUANTITY_STALE",
                        "The compareQuantity value does not match persisted value.",
                        [*path, "compareQuantity"],
                    )
                )
            elif (
                not legacy
                and row.get("changeFromQuantity") is not None
                and row["changeFromQuantity"] != current
            ):
                errors.append(
                    _error(
                        "CHANGE_FROM_QUANTITY_STALE",
                        "The changeFromQuantity value does not match the current quantity.",
                        [*path, "changeFromQuantity"],
                    )
                )
            else:
                seen.add((item, location))
                good.append((row, current))
        if errors and not shop.partial_apply:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes = []
        for row, current in good:
            catalog.set_available(row["inventoryItemId"], row["locationId"], row["quantity"])
            if row["quantity"] != current:
                changes.append(
                    {
                        "name": input["name"],
                        "delta": row["quantity"] - current,
                        "quantityAfterChange": row["quantity"],
                        "item": ItemNode(
                            shop, catalog.variant(gid_number(row["inventoryItemId"], "InventoryItem"))
                        ),
                        "location": LocationNode(catalog.location(gid_number(row["locationId"], "Location"))),
                    }
                )
        shop.stats.count(mutations_applied=1, quantities_set=len(good))
        if not changes:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        shop._groups += 1
        group = {
            "id": gid("InventoryAdjustmentGroup", shop._groups),
            "createdAt": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "reason": input["reason"],
            "referenceDocumentUri": input.get("referenceDocumentUri"),
            "changes": changes,
        }
        return {"inventoryAdjustmentGroup": group, "userErrors": errors}
