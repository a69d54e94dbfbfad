"""The emulated shop's data: variants, inventory items, locations and levels.

Compact on purpose (100,000 variants × 5 locations must stay small): variant i owns
inventory item i, and each location keeps its levels in one array indexed by item number.
"""

from __future__ import annotations

import json
import random
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

NOT_STOCKED = -(2**62)


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def gid_number(value: str, kind: str) -> int | None:
    prefix = f"gid://shopify/{kind}/"
    if isinstance(value, str) and value.startswith(prefix) and value[len(prefix) :].isdigit():
        return int(value[len(prefix) :])
    return None


@dataclass(slots=True)
class Variant:
    number: int
    sku: str | None
    tracked: bool = True
    title: str = ""

    def as_dict(self) -> dict:
        return {
            "id": gid("ProductVariant", self.number),
            "sku": self.sku,
            "inventory_item_id": gid("InventoryItem", self.number),
            "tracked": self.tracked,
            "product_id": gid("Product", self.number),
            "title": self.title,
        }


@dataclass(slots=True)
class Location:
    number: int
    name: str
    active: bool = True


class Catalog:
    def __init__(self, locations: Iterable[Location] = ()):
        self._variants: dict[int, Variant] = {}
        self._locations: dict[int, Location] = {}
        self._levels: dict[int, array] = {}
        self._next = 1
        for location in locations:
            self.add_location(location.name, location.number)

    # -- building ------------------------------------------------------------------------
    @classmethod
    def generate(
        cls,
        items: int,
        locations: int = 1,
        seed: int = 0,
        untracked_every: int = 0,
        unstocked_every: int = 0,
        initial_quantity: int = 0,
    ) -> Catalog:
        catalog = cls(Location(j, f"Location {j}") for j in range(1, locations + 1))
        rng = random.Random(seed)
        for location in catalog._locations:
            catalog._levels[location] = array("q", [NOT_STOCKED]) * (items + 1)
        for i in range(1, items + 1):
            tracked = not (untracked_every and i % untracked_every == 0)
            catalog._variants[i] = Variant(i, f"SKU-{i:06d}", tracked, f"Product {i}")
            if not (unstocked_every and i % unstocked_every == 0):
                for level in catalog._levels.values():
                    level[i] = initial_quantity if initial_quantity >= 0 else rng.randint(0, 100)
        catalog._next = items + 1
        return catalog

    def add_location(self, name: str, number: int | None = None) -> str:
        number = number or (max(self._locations, default=0) + 1)
        self._locations[number] = Location(number, name)
        self._levels[number] = array("q", [NOT_STOCKED]) * self._next
        return gid("Location", number)

    def add_variant(
        self, sku: str | None, tracked: bool = True, locations: Iterable[str] | None = None, quantity: int = 0
    ) -> dict:
        number = self._next
        self._next += 1
        self._variants[number] = Variant(number, sku, tracked, f"Product {number}")
        for level in self._levels.values():
            level.append(NOT_STOCKED)
        for location in locations if locations is not None else self.location_ids:
            self._levels[self._location_number(location)][number] = quantity
        return self._variants[number].as_dict()

    def remove_variant(self, variant_id: str) -> None:
        number = gid_number(variant_id, "ProductVariant")
        self._variants.pop(number, None)

    # -- reading and writing levels --------------------------------------------------------
    def _location_number(self, location_id: str) -> int:
        number = gid_number(location_id, "Location")
        if number not in self._locations:
            raise KeyError(location_id)
        return number

    def available(self, inventory_item_id: str, location_id: str) -> int | None:
        item = gid_number(inventory_item_id, "InventoryItem")
        location = gid_number(location_id, "Location")
        if item not in self._variants or location not in self._levels:
            return None
        value = self._levels[location][item]
        return None if value == NOT_STOCKED else value

    def set_available(self, inventory_item_id: str, location_id: str, quantity: int) -> None:
        self._levels[self._location_number(location_id)][gid_number(inventory_item_id, "InventoryItem")] = (
            quantity
        )

    def unstock(self, inventory_item_id: str, location_id: str) -> None:
        self._levels[self._location_number(location_id)][gid_number(inventory_item_id, "InventoryItem")] = (
            NOT_STOCKED
        )

    # -- lookups the API uses -----------------------------------------------------------
    def variant(self, number: int | None) -> Variant | None:
        return self._variants.get(number) if number is not None else None

    def location(self, number: int | None) -> Location | None:
        return self._locations.get(number) if number is not None else None

    def variant_numbers(self) -> list[int]:
        return sorted(self._variants)

    def stocked_locations(self, item: int) -> list[int]:
        return [n for n, level in self._levels.items() if item < len(level) and level[item] != NOT_STOCKED]

    @property
    def variant_count(self) -> int:
        return len(self._variants)

    @property
    def location_ids(self) -> list[str]:
        return [gid("Location", n) for n in sorted(self._locations)]

    @property
    def locations(self) -> list[Location]:
        return [self._locations[n] for n in sorted(self._locations)]

    @property
    def variants(self) -> Iterator[dict]:
        for number in sorted(self._variants):
            yield self._variants[number].as_dict()

    # -- files ------------------------------------------------------------------------------
    def to_file(self, path: str | Path) -> None:
        data = {
            "locations": [{"id": gid("Location", loc.number), "name": loc.name} for loc in self.locations],
            "variants": [
                {
                    **{k: v for k, v in self._variants[n].as_dict().items() if k in ("id", "sku", "tracked")},
                    "levels": {
                        gid("Location", loc): lvl[n]
                        for loc, lvl in self._levels.items()
                        if lvl[n] != NOT_STOCKED
                    },
                }
                for n in sorted(self._variants)
            ],
        }
        Path(path).write_text(json.dumps(data))

    @classmethod
    def from_file(cls, path: str | Path) -> Catalog:
        data = json.loads(Path(path).read_text())
        catalog = cls(
            Location(gid_number(loc["id"], "Location"), loc.get("name", "")) for loc in data["locations"]
        )
        for entry in data["variants"]:
            number = gid_number(entry["id"], "ProductVariant")
            catalog._next = max(catalog._next, number + 1)
            for level in catalog._levels.values():
                level.extend([NOT_STOCKED] * (catalog._next - len(level)))
            catalog._variants[number] = Variant(
                number, entry.get("sku"), entry.get("tracked", True), f"Product {number}"
            )
            for location_id, quantity in entry.get("levels", {}).items():
                catalog.set_available(gid("InventoryItem", number), location_id, quantity)
        return catalog
