"""Making a catalog: generated (numbered variants, seeded levels) or read from a dict or a
JSON file, and written back. A part of Catalog (catalog.py), apart because it is a job of
its own: it fills the catalog's arrays, which the rest of Catalog only reads and updates."""

from __future__ import annotations

import json
import random
from array import array
from pathlib import Path
from typing import TypeVar

from .catalog_ids import NOT_STOCKED, CatalogError, gid, number_of

_Built = TypeVar("_Built", bound="CatalogBuilding")


class CatalogBuilding:
    """Catalog's constructors and its file form (mixed into Catalog)."""

    @classmethod
    def generate(
        cls: type[_Built],
        items: int,
        locations: int = 1,
        seed: int = 0,
        untracked_every: int = 0,
        unstocked_every: int = 0,
        initial_quantity: int | None = 0,
    ) -> _Built:
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
    def from_dict(cls: type[_Built], data: dict) -> _Built:
        catalog = cls()
        for position, location in enumerate(data.get("locations") or [], start=1):
            number = number_of(location.get("id", position), "Location")
            if number is None:
                raise CatalogError(f"location id {location.get('id')!r} is not a Location gid")
            active = location.get("isActive", location.get("active", True))
            catalog._add_location_row(number, location.get("name") or f"Location {number}", bool(active))
        variants = []
        for variant in data.get("variants") or []:
            number = number_of(variant.get("id"), "ProductVariant")
            item = number_of(variant.get("inventory_item_id", number), "InventoryItem")
            if number is None or item is None:
                raise CatalogError(
                    f"variant {variant.get('id')!r} needs ProductVariant and InventoryItem gids"
                )
            variants.append((number, item, variant))
        for number, item, variant in sorted(variants, key=lambda v: v[0]):
            product = number_of(variant.get("product_id", number), "Product") or number
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
    def from_file(cls: type[_Built], path: str | Path) -> _Built:
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
