"""GraphQL objects over catalog rows. graphql-core's default resolver reads an attribute
named like the field, or calls it with (info, **arguments) when it is a method."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError

from .catalog import Catalog, gid, parse_gid
from .shop_profile import ShopProfile
from .shopify_facts import MAX_PAGE_SIZE

# Quantity names Shopify knows; the emulator models available and committed (Shopify
# orders not yet fulfilled), so on_hand = available + committed and the others read 0.
QUANTITY_NAMES = frozenset(
    {
        "available",
        "on_hand",
        "committed",
        "damaged",
        "incoming",
        "quality_control",
        "reserved",
        "safety_stock",
    }
)


def typename_of(value: Any, info: Any = None, abstract_type: Any = None) -> str | None:
    if isinstance(value, dict):
        return value.get("__typename")
    return getattr(value, "typename", None)


# -- connections -------------------------------------------------------------------------
def encode_cursor(number: int) -> str:
    return base64.b64encode(json.dumps({"last_id": number, "last_value": str(number)}).encode()).decode()


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        number = json.loads(base64.b64decode(cursor, validate=True))["last_id"]
        if isinstance(number, int) and not isinstance(number, bool):
            return number
    except (ValueError, KeyError, TypeError):
        pass
    raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor!r}")


def page_size(first: int | None) -> int:
    if first is None:
        raise GraphQLError("you must provide one of first or last")
    if first < 0 or first > MAX_PAGE_SIZE:
        raise GraphQLError(f"The value of first ({first}) must be between 0 and {MAX_PAGE_SIZE}.")
    return first


def connection(nodes: Sequence[Any], numbers: Sequence[int], has_next: bool, has_previous: bool) -> dict:
    edges = [{"cursor": encode_cursor(n), "node": node} for node, n in zip(nodes, numbers, strict=True)]
    return {
        "edges": edges,
        "nodes": list(nodes),
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


# -- objects -----------------------------------------------------------------------------
class _Row:
    typename = ""

    def __init__(self, catalog: Catalog, row: int):
        self.catalog = catalog
        self.row = row

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.row == self.row and other.catalog is self.catalog  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.row))


class ProductVariant(_Row):
    typename = "ProductVariant"
    title = "Default Title"

    @property
    def id(self) -> str:
        return gid("ProductVariant", self.catalog.variant_number(self.row))

    @property
    def sku(self) -> str | None:
        return self.catalog.sku(self.row)

    @property
    def product(self) -> Product:
        return Product(self.catalog, self.row)

    @property
    def requiresComponents(self) -> bool:
        return self.catalog.requires_components(self.row)

    @property
    def inventoryItem(self) -> InventoryItem:
        return InventoryItem(self.catalog, self.row)


class Product(_Row):
    typename = "Product"

    @property
    def id(self) -> str:
        return gid("Product", self.catalog.product_number(self.row))

    @property
    def title(self) -> str:
        return self.catalog.product_title(self.row)


class InventoryItem(_Row):
    typename = "InventoryItem"

    @property
    def id(self) -> str:
        return gid("InventoryItem", self.catalog.item_number(self.row))

    @property
    def sku(self) -> str | None:
        return self.catalog.sku(self.row)

    @property
    def tracked(self) -> bool:
        return self.catalog.tracked(self.row)

    @property
    def variant(self) -> ProductVariant:
        return ProductVariant(self.catalog, self.row)

    def inventoryLevel(
        self, info: Any, locationId: str, includeInactive: bool = False
    ) -> InventoryLevel | None:
        parsed = parse_gid(locationId)
        loc = self.catalog.location_row(parsed[1]) if parsed and parsed[0] == "Location" else None
        if loc is None or self.catalog.level(self.row, loc) is None:
            return None
        if not includeInactive and not self.catalog.location_active(loc):
            return None
        return InventoryLevel(self.catalog, self.row, loc)

    def inventoryLevels(
        self, info: Any, first: int | None = None, after: str | None = None, includeInactive: bool = False
    ) -> dict:
        bulk = getattr(getattr(info, "context", None), "bulk", False)
        size = 1_000_000 if bulk and first is None else page_size(first)
        after_number = decode_cursor(after)
        stocked = [
            loc
            for loc in range(self.catalog.location_count())
            if self.catalog.level(self.row, loc) is not None
            and (includeInactive or self.catalog.location_active(loc))
            and (after_number is None or self.catalog.location_number(loc) > after_number)
        ]
        page = stocked[:size]
        return connection(
            [InventoryLevel(self.catalog, self.row, loc) for loc in page],
            [self.catalog.location_number(loc) for loc in page],
            has_next=len(stocked) > size,
            has_previous=after_number is not None,
        )


class Location:
    typename = "Location"
    fulfillsOnlineOrders = True

    def __init__(self, catalog: Catalog, loc: int):
        self.catalog = catalog
        self.loc = loc

    @property
    def id(self) -> str:
        return gid("Location", self.catalog.location_number(self.loc))

    @property
    def name(self) -> str:
        return self.catalog.location_name(self.loc)

    @property
    def isActive(self) -> bool:
        return self.catalog.location_active(self.loc)

    def inventoryLevels(self, info: Any, first: int | None = None, after: str | None = None) -> dict:
        """Levels stocked here, in variant order (the cursor carries the variant number; a
        guess: Shopify's cursor is opaque). Bulk queries (no `first`) get them all."""
        bulk = getattr(getattr(info, "context", None), "bulk", False)
        size = None if bulk and first is None else page_size(first)
        after_number = decode_cursor(after)
        rows = []
        for row in self.catalog.live_rows_after(after_number):
            if self.catalog.level(row, self.loc) is None:
                continue
            rows.append(row)
            if size is not None and len(rows) > size:
                break
        page = rows if size is None else rows[:size]
        return connection(
            [InventoryLevel(self.catalog, row, self.loc) for row in page],
            [self.catalog.variant_number(row) for row in page],
            has_next=size is not None and len(rows) > size,
            has_previous=after_number is not None,
        )


class InventoryLevel:
    typename = "InventoryLevel"

    def __init__(self, catalog: Catalog, row: int, loc: int):
        self.catalog = catalog
        self.row = row
        self.loc = loc

    @property
    def id(self) -> str:
        item = self.catalog.item_number(self.row)
        return (
            f"gid://shopify/InventoryLevel/{self.catalog.location_number(self.loc)}?inventory_item_id={item}"
        )

    @property
    def item(self) -> InventoryItem:
        return InventoryItem(self.catalog, self.row)

    @property
    def location(self) -> Location:
        return Location(self.catalog, self.loc)

    def quantities(self, info: Any, names: list[str]) -> list[dict]:
        unknown = [name for name in names if name not in QUANTITY_NAMES]
        if unknown:
            raise GraphQLError(f"Invalid quantity names: {', '.join(unknown)}")
        available = self.catalog.level(self.row, self.loc) or 0
        committed = self.catalog.committed(self.row, self.loc)
        figures = {"available": available, "committed": committed, "on_hand": available + committed}
        item = self.catalog.item_number(self.row)
        location = self.catalog.location_number(self.loc)
        return [
            {
                "__typename": "InventoryQuantity",
                "id": f"gid://shopify/InventoryQuantity/{location}?inventory_item_id={item}&name={name}",
                "name": name,
                "quantity": figures.get(name, 0),
            }
            for name in names
        ]


class Shop:
    typename = "Shop"
    id = "gid://shopify/Shop/1"

    def __init__(self, domain: str, profile: ShopProfile | None = None):
        self.myshopifyDomain = domain
        self.profile = profile or ShopProfile()

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def plan(self) -> dict:
        p = self.profile
        return {
            "publicDisplayName": p.plan_display_name,
            "displayName": p.plan_display_name,
            "partnerDevelopment": p.partner_development,
            "shopifyPlus": p.shopify_plus,
        }
