"""What happens on Shopify without the connector: orders (committed units), fulfilment,
restocks and admin edits. A part of Catalog (catalog.py), mixed in; `committed` is only
made on the first sale, so a catalog no test sells from stays as small as before."""

from __future__ import annotations

from array import array

from .catalog_ids import NOT_STOCKED, CatalogError


class ShopChanges:
    """Committed units and the shop's own changes to `available` (mixed into Catalog)."""

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
