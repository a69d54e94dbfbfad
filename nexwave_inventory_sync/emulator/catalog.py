"""The emulated shop's data: variants, their inventory items, locations and `available`
quantities, in compact arrays so 100,000 variants × 5 locations stay a few tens of MB.

Variant row k (0-based) holds one variant, its product and its inventory item; a level is
one int64 per (row, location) in a per-location array, NOT_STOCKED where the item is not
stocked at that location. Ids are Shopify gids outside, integers inside.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Callable, Iterable, Iterator

from .catalog_activity import ShopChanges
from .catalog_build import CatalogBuilding
from .catalog_ids import NOT_STOCKED, CatalogError, gid, number_of, parse_gid

__all__ = ["NOT_STOCKED", "Catalog", "CatalogError", "gid", "parse_gid"]


class Catalog(CatalogBuilding, ShopChanges):
    """The shop's variants, inventory items, locations and levels. Built and written to files
    by CatalogBuilding (catalog_build.py); changed by the shop itself (orders, restocks, admin
    edits) through ShopChanges (catalog_activity.py); here: test set-up and what the
    resolvers read."""

    def __init__(self) -> None:
        # Re-entrant: the emulator holds it for a whole request while resolvers call in.
        self.lock = threading.RLock()
        self._variant_nums = array("q")  # strictly increasing: pagination order is id order
        self._item_nums = array("q")
        self._product_nums = array("q")
        self._skus: list[str | None] = []
        self._tracked = bytearray()
        self._alive = bytearray()
        self._product_titles: dict[int, str] = {}  # row -> title, only where not "Product {n}"
        self._by_variant: dict[int, int] = {}
        self._by_item: dict[int, int] = {}
        self._by_sku: dict[str, int | list[int]] = {}
        self._live = 0
        self._location_nums: list[int] = []
        self._location_names: list[str] = []
        self._location_active: list[bool] = []
        self._by_location: dict[int, int] = {}
        self._levels: list[array] = []  # `available` per location
        # `committed` per location (unfulfilled orders), made on the first sale: a catalog
        # no test sells from stays as small as before.
        self._committed: list[array] | None = None
        # Rows of Shopify bundles (ProductVariant.requiresComponents): their stock comes from
        # their components, and inventorySetQuantities refuses them (NON_MUTABLE_INVENTORY_ITEM).
        self._requires_components: set[int] = set()
        # Called as (row, loc, quantity written, referenceDocumentUri) for every level an
        # inventorySetQuantities writes (not for sales or admin edits): a soak's record of
        # what the connector itself set.
        self.write_listener: Callable[[int, int, int, str | None], None] | None = None

    # -- construction ------------------------------------------------------------------
    # -- test set-up -------------------------------------------------------------------
    def available(self, inventory_item_id: str | int, location_id: str | int) -> int | None:
        """The `available` quantity, or None when the item is not stocked there (or unknown)."""
        with self.lock:
            row, loc = self._item_row(inventory_item_id), self._location_row(location_id)
            if row is None or loc is None:
                return None
            quantity = self._levels[loc][row]
            return None if quantity == NOT_STOCKED else quantity

    def set_available(self, inventory_item_id: str | int, location_id: str | int, quantity: int) -> None:
        """Set a level directly (stocking the item there if it was not)."""
        with self.lock:
            row, loc = self._require(inventory_item_id, location_id)
            self._levels[loc][row] = int(quantity)

    def set_tracked(self, inventory_item_id: str | int, tracked: bool) -> None:
        """Turn "Track quantity" on or off for an item, as the merchant does in Shopify admin
        (documented: InventoryItem.tracked). Guessed: the levels stay as they were, so an item
        tracked again shows the figures it had when tracking was turned off."""
        with self.lock:
            row = self._item_row(inventory_item_id)
            if row is None:
                raise KeyError(f"no inventory item {inventory_item_id}")
            self._tracked[row] = 1 if tracked else 0

    def unstock(self, inventory_item_id: str | int, location_id: str | int) -> None:
        with self.lock:
            row, loc = self._require(inventory_item_id, location_id)
            self._levels[loc][row] = NOT_STOCKED

    def add_variant(
        self,
        sku: str | None,
        tracked: bool = True,
        locations: Iterable[str | int] | None = None,
        quantity: int = 0,
    ) -> dict:
        """A new variant (and product, inventory item) numbered after the last one, stocked at
        `locations` (default: every location) with `quantity`."""
        with self.lock:
            number = (self._variant_nums[-1] + 1) if self._variant_nums else 1
            item = max(self._by_item, default=0) + 1
            row = self._append_variant(number, item, number, sku, tracked)
            targets = (
                range(len(self._levels))
                if locations is None
                else [self._require_location(loc) for loc in locations]
            )
            for loc in targets:
                self._levels[loc][row] = int(quantity)
            return self._variant_dict(row)

    def set_requires_components(self, variant_id: str | int, value: bool = True) -> None:
        """Make the variant a Shopify bundle (or not)."""
        with self.lock:
            number = number_of(variant_id, "ProductVariant")
            row = self._by_variant.get(number) if number is not None else None
            if row is None:
                raise CatalogError(f"no variant {variant_id!r}")
            (self._requires_components.add if value else self._requires_components.discard)(row)

    def requires_components(self, row: int) -> bool:
        return row in self._requires_components

    def remove_variant(self, variant_id: str | int) -> None:
        """Delete a variant with its inventory item: nodes() then answers null for both."""
        with self.lock:
            number = number_of(variant_id, "ProductVariant")
            row = self._by_variant.get(number) if number is not None else None
            if row is None or not self._alive[row]:
                raise CatalogError(f"no variant {variant_id!r}")
            self._alive[row] = 0
            self._live -= 1

    def recreate_variant(self, sku: str, quantity: int = 0) -> dict:
        """A product deleted in admin and created again with the same SKU: the old variant and
        inventory item are gone (nodes() answers null for them) and a new variant, product and
        inventory item, with new ids, carry the SKU, stocked at every location with `quantity`
        (what the merchant typed). Documented: a deleted product's ids are gone and a new one
        gets new ids. Guessed: the new variant is stocked at every location, tracked as the old
        one was."""
        with self.lock:
            rows = self.rows_with_sku(sku)
            if not rows:
                raise CatalogError(f"no live variant with SKU {sku!r}")
            tracked = self.tracked(rows[0])
            for row in rows:
                self.remove_variant(self._variant_nums[row])
            return self.add_variant(sku, tracked=tracked, quantity=quantity)

    def add_location(self, name: str | None = None, active: bool = True) -> str:
        with self.lock:
            number = max(self._location_nums, default=0) + 1
            self._add_location_row(number, name or f"Location {number}", active)
            return gid("Location", number)

    def levels_at(self, location_id: str | int) -> list[int | None]:
        """`available` of every row at a location, row order (None where not stocked): one
        copy, for simulations that sample the whole shop often."""
        with self.lock:
            loc = self._require_location(location_id)
            return [None if q == NOT_STOCKED else q for q in self._levels[loc]]

    @property
    def variant_count(self) -> int:
        return self._live

    @property
    def location_ids(self) -> list[str]:
        return [gid("Location", n) for n in self._location_nums]

    @property
    def variants(self) -> Iterator[dict]:
        """Every live variant as a dict: id, sku, inventory_item_id, tracked, product_id,
        product_title, levels {location gid: quantity} (stocked locations only)."""
        for row in range(len(self._variant_nums)):
            if self._alive[row]:
                yield self._variant_dict(row)

    def variant(self, variant_id: str | int) -> dict | None:
        with self.lock:
            row = self.variant_row(number_of(variant_id, "ProductVariant"))
            return None if row is None else self._variant_dict(row)

    # -- what the resolvers read (integers in, integers out) ---------------------------
    def variant_row(self, number: int | None) -> int | None:
        row = self._by_variant.get(number) if number is not None else None
        return row if row is not None and self._alive[row] else None

    def item_row(self, number: int | None) -> int | None:
        row = self._by_item.get(number) if number is not None else None
        return row if row is not None and self._alive[row] else None

    def product_row(self, number: int | None) -> int | None:
        # Products are numbered like their (single) variant unless a file says otherwise.
        row = self.variant_row(number)
        if row is not None and self._product_nums[row] == number:
            return row
        for candidate in range(len(self._product_nums)):
            if self._product_nums[candidate] == number and self._alive[candidate]:
                return candidate
        return None

    def location_row(self, number: int | None) -> int | None:
        return self._by_location.get(number) if number is not None else None

    def rows_with_sku(self, sku: str) -> list[int]:
        found = self._by_sku.get(sku)
        if found is None:
            return []
        rows = found if isinstance(found, list) else [found]
        return [row for row in rows if self._alive[row]]

    def live_rows_after(self, after_number: int | None) -> Iterator[int]:
        """Live rows in id order, starting after the variant numbered `after_number`."""
        start = 0
        if after_number is not None:
            lo, hi = 0, len(self._variant_nums)
            while lo < hi:  # bisect on the increasing variant numbers
                mid = (lo + hi) // 2
                if self._variant_nums[mid] <= after_number:
                    lo = mid + 1
                else:
                    hi = mid
            start = lo
        for row in range(start, len(self._variant_nums)):
            if self._alive[row]:
                yield row

    def variant_number(self, row: int) -> int:
        return self._variant_nums[row]

    def item_number(self, row: int) -> int:
        return self._item_nums[row]

    def product_number(self, row: int) -> int:
        return self._product_nums[row]

    def product_title(self, row: int) -> str:
        return self._product_titles.get(row) or f"Product {self._product_nums[row]}"

    def sku(self, row: int) -> str | None:
        return self._skus[row]

    def tracked(self, row: int) -> bool:
        return bool(self._tracked[row])

    def level(self, row: int, loc: int) -> int | None:
        quantity = self._levels[loc][row]
        return None if quantity == NOT_STOCKED else quantity

    def write_level(self, row: int, loc: int, quantity: int) -> None:
        self._levels[loc][row] = quantity

    def location_count(self) -> int:
        return len(self._location_nums)

    def location_number(self, loc: int) -> int:
        return self._location_nums[loc]

    def location_name(self, loc: int) -> str:
        return self._location_names[loc]

    def location_active(self, loc: int) -> bool:
        return self._location_active[loc]

    # -- internals ---------------------------------------------------------------------
    def _add_location_row(self, number: int, name: str, active: bool) -> None:
        if number in self._by_location:
            raise CatalogError(f"duplicate location {number}")
        self._by_location[number] = len(self._location_nums)
        self._location_nums.append(number)
        self._location_names.append(name)
        self._location_active.append(active)
        self._levels.append(array("q", [NOT_STOCKED]) * len(self._variant_nums))
        if self._committed is not None:
            self._committed.append(array("q", [0]) * len(self._variant_nums))

    def _append_variant(self, number: int, item: int, product: int, sku: str | None, tracked: bool) -> int:
        if self._variant_nums and number <= self._variant_nums[-1]:
            raise CatalogError(f"variant {number} is not after {self._variant_nums[-1]} (ids must increase)")
        if item in self._by_item:
            raise CatalogError(f"inventory item {item} belongs to another variant")
        row = len(self._variant_nums)
        self._variant_nums.append(number)
        self._item_nums.append(item)
        self._product_nums.append(product)
        self._skus.append(sku)
        self._tracked.append(1 if tracked else 0)
        self._alive.append(1)
        self._by_variant[number] = row
        self._by_item[item] = row
        if sku is not None:
            existing = self._by_sku.get(sku)
            if existing is None:
                self._by_sku[sku] = row
            elif isinstance(existing, list):
                existing.append(row)
            else:
                self._by_sku[sku] = [existing, row]
        for levels in self._levels:
            levels.append(NOT_STOCKED)
        for committed in self._committed or ():
            committed.append(0)
        self._live += 1
        return row

    def _variant_dict(self, row: int) -> dict:
        levels = {}
        for loc, quantities in enumerate(self._levels):
            if quantities[row] != NOT_STOCKED:
                levels[gid("Location", self._location_nums[loc])] = quantities[row]
        return {
            "id": gid("ProductVariant", self._variant_nums[row]),
            "sku": self._skus[row],
            "inventory_item_id": gid("InventoryItem", self._item_nums[row]),
            "tracked": bool(self._tracked[row]),
            "requires_components": row in self._requires_components,
            "product_id": gid("Product", self._product_nums[row]),
            "product_title": self.product_title(row),
            "levels": levels,
        }

    def _item_row(self, inventory_item_id: str | int) -> int | None:
        return self.item_row(number_of(inventory_item_id, "InventoryItem"))

    def _location_row(self, location_id: str | int) -> int | None:
        return self.location_row(number_of(location_id, "Location"))

    def _require_location(self, location_id: str | int) -> int:
        loc = self._location_row(location_id)
        if loc is None:
            raise CatalogError(f"no location {location_id!r}")
        return loc

    def _require(self, inventory_item_id: str | int, location_id: str | int) -> tuple[int, int]:
        row = self._item_row(inventory_item_id)
        if row is None:
            raise CatalogError(f"no inventory item {inventory_item_id!r}")
        return row, self._require_location(location_id)
