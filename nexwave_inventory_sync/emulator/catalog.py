"""The emulated shop's data: variants, their inventory items, locations and `available`
quantities, in compact arrays so 100,000 variants × 5 locations stay a few tens of MB.

Variant row k (0-based) holds one variant, its product and its inventory item; a level is
one int64 per (row, location) in a per-location array, NOT_STOCKED where the item is not
stocked at that location. Ids are Shopify gids outside, integers inside.
"""

from __future__ import annotations

import json
import random
import re
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

NOT_STOCKED = -(2**63)

_GID = re.compile(r"^gid://shopify/([A-Za-z]+)/(\d+)(?:\?.*)?$")


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: Any) -> tuple[str, int] | None:
    """('ProductVariant', 12) from 'gid://shopify/ProductVariant/12'; None if not a gid."""
    if not isinstance(value, str):
        return None
    match = _GID.match(value)
    return (match.group(1), int(match.group(2))) if match else None


def _number(value: Any, kind: str) -> int | None:
    """The integer id from a gid of `kind`, a bare number or an int (test set-up is lenient)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    parsed = parse_gid(value)
    if parsed is None or parsed[0] != kind:
        return None
    return parsed[1]


class CatalogError(ValueError):
    pass


class Catalog:
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
    @classmethod
    def generate(
        cls,
        items: int,
        locations: int = 1,
        seed: int = 0,
        untracked_every: int = 0,
        unstocked_every: int = 0,
        initial_quantity: int | None = 0,
    ) -> Catalog:
        """Variant i (1-based): sku SKU-{i:06d}, product, inventory item and variant all
        numbered i. `initial_quantity=None` draws each level from 0..100 with `seed`."""
        if items < 0 or locations < 1:
            raise CatalogError("a catalog needs items >= 0 and locations >= 1")
        catalog = cls()
        for j in range(1, locations + 1):
            catalog._add_location_row(j, f"Location {j}", True)
        catalog._variant_nums = array("q", range(1, items + 1))
        catalog._item_nums = array("q", range(1, items + 1))
        catalog._product_nums = array("q", range(1, items + 1))
        catalog._skus = [f"SKU-{i:06d}" for i in range(1, items + 1)]
        catalog._by_variant = {i: i - 1 for i in range(1, items + 1)}
        catalog._by_item = dict(catalog._by_variant)
        catalog._by_sku = {sku: k for k, sku in enumerate(catalog._skus)}
        catalog._alive = bytearray(b"\x01") * items
        catalog._tracked = bytearray(b"\x01") * items
        catalog._live = items
        rng = random.Random(seed)
        for levels in catalog._levels:
            if initial_quantity is None:
                levels.extend(rng.randint(0, 100) for _ in range(items))
            else:
                levels.extend(array("q", [int(initial_quantity)]) * items)
        for i in range(1, items + 1):
            if untracked_every and i % untracked_every == 0:
                catalog._tracked[i - 1] = 0
            if unstocked_every and i % unstocked_every == 0:
                for levels in catalog._levels:
                    levels[i - 1] = NOT_STOCKED
        return catalog

    @classmethod
    def from_dict(cls, data: dict) -> Catalog:
        catalog = cls()
        for position, location in enumerate(data.get("locations") or [], start=1):
            number = _number(location.get("id", position), "Location")
            if number is None:
                raise CatalogError(f"location id {location.get('id')!r} is not a Location gid")
            active = location.get("isActive", location.get("active", True))
            catalog._add_location_row(number, location.get("name") or f"Location {number}", bool(active))
        variants = []
        for variant in data.get("variants") or []:
            number = _number(variant.get("id"), "ProductVariant")
            item = _number(variant.get("inventory_item_id", number), "InventoryItem")
            if number is None or item is None:
                raise CatalogError(
                    f"variant {variant.get('id')!r} needs ProductVariant and InventoryItem gids"
                )
            variants.append((number, item, variant))
        for number, item, variant in sorted(variants, key=lambda v: v[0]):
            product = _number(variant.get("product_id", number), "Product") or number
            row = catalog._append_variant(
                number, item, product, variant.get("sku"), bool(variant.get("tracked", True))
            )
            if variant.get("product_title") and variant["product_title"] != f"Product {product}":
                catalog._product_titles[row] = variant["product_title"]
            for location_id, quantity in (variant.get("levels") or {}).items():
                loc = catalog._location_row(location_id)
                if loc is None:
                    raise CatalogError(
                        f"variant {variant.get('id')!r} names unknown location {location_id!r}"
                    )
                catalog._levels[loc][row] = int(quantity)
        return catalog

    @classmethod
    def from_file(cls, path: str | Path) -> Catalog:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def to_dict(self) -> dict:
        with self.lock:
            return {
                "locations": [
                    {"id": gid("Location", n), "name": name, "isActive": active}
                    for n, name, active in zip(
                        self._location_nums, self._location_names, self._location_active, strict=True
                    )
                ],
                "variants": list(self.variants),
            }

    def to_file(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict()))

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
            number = _number(variant_id, "ProductVariant")
            row = self._by_variant.get(number) if number is not None else None
            if row is None:
                raise CatalogError(f"no variant {variant_id!r}")
            (self._requires_components.add if value else self._requires_components.discard)(row)

    def requires_components(self, row: int) -> bool:
        return row in self._requires_components

    def remove_variant(self, variant_id: str | int) -> None:
        """Delete a variant with its inventory item: nodes() then answers null for both."""
        with self.lock:
            number = _number(variant_id, "ProductVariant")
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
            row = self.variant_row(_number(variant_id, "ProductVariant"))
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

    def committed(self, row: int, loc: int) -> int:
        return 0 if self._committed is None else self._committed[loc][row]

    def set_committed(self, inventory_item_id: str | int, location_id: str | int, quantity: int) -> None:
        """Units committed to unfulfilled orders at a location (on_hand = available + committed)."""
        with self.lock:
            row, loc = self._require(inventory_item_id, location_id)
            self._committed_levels(loc)[row] = int(quantity)

    def on_hand(self, row: int, loc: int) -> int | None:
        """Shopify: available = on_hand - committed - reserved - ... (the emulator models
        committed only), so on_hand = available + committed."""
        available = self.level(row, loc)
        return None if available is None else available + self.committed(row, loc)

    def _committed_levels(self, loc: int) -> array:
        if self._committed is None:
            self._committed = [array("q", [0]) * len(self._variant_nums) for _ in self._levels]
        return self._committed[loc]

    # -- shop activity (what happens on Shopify without us) ------------------------------
    def sell(self, inventory_item_id: str | int, location_id: str | int, units: int = 1) -> bool:
        """A Shopify order: refused (False) when `available` is short, as checkout does for a
        tracked item that does not continue selling; else available down, committed up."""
        with self.lock:
            row, loc = self._require(inventory_item_id, location_id)
            available = self._levels[loc][row]
            if available == NOT_STOCKED or available < units:
                return False
            self._levels[loc][row] = available - units
            self._committed_levels(loc)[row] += units
            return True

    def fulfil(self, inventory_item_id: str | int, location_id: str | int, units: int = 1) -> None:
        """Shipping committed units: committed (and so on_hand) down, available unchanged."""
        with self.lock:
            row, loc = self._require(inventory_item_id, location_id)
            committed = self._committed_levels(loc)
            committed[row] = max(0, committed[row] - units)

    def committed_units(self, inventory_item_id: str | int, location_id: str | int) -> int:
        with self.lock:
            row, loc = self._require(inventory_item_id, location_id)
            return self.committed(row, loc)

    def adjust_available(self, inventory_item_id: str | int, location_id: str | int, delta: int) -> int:
        """A restock or an admin edit by a delta; returns the new `available`."""
        with self.lock:
            row, loc = self._require(inventory_item_id, location_id)
            if self._levels[loc][row] == NOT_STOCKED:
                raise CatalogError(f"item {inventory_item_id!r} is not stocked at {location_id!r}")
            self._levels[loc][row] += delta
            return self._levels[loc][row]

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
        return self.item_row(_number(inventory_item_id, "InventoryItem"))

    def _location_row(self, location_id: str | int) -> int | None:
        return self.location_row(_number(location_id, "Location"))

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
