"""Shared set-up for engine tests: a generated shop served by the emulator over real HTTP on
loopback, and a virtual clock both sides share, so throttle waits and back-offs cost no time."""

from __future__ import annotations

import unittest

from nexwave_inventory_sync.emulator import Catalog, Emulator, FakeClock
from nexwave_inventory_sync.sync.endpoint import ShopifyEndpoint
from nexwave_inventory_sync.sync.results import RunResult, StockRow
from nexwave_inventory_sync.sync.run import SyncOptions, sync_inventory
from nexwave_inventory_sync.sync.versions import DEFAULT_API_VERSION

TOKEN = "shpat_test_secret_0123456789abcdef"


class EmulatedShopTest(unittest.TestCase):
    items = 300
    locations = 1
    plan = "plus"
    partial_apply = False
    untracked_every = 0
    unstocked_every = 0
    # OverlappingClock where batches in flight must not add their sleeps up (pacing tests).
    clock_class = FakeClock

    def setUp(self) -> None:
        self.catalog = Catalog.generate(
            items=self.items,
            locations=self.locations,
            seed=0,
            untracked_every=self.untracked_every,
            unstocked_every=self.unstocked_every,
        )
        self.clock = self.clock_class()
        self.emulator = Emulator(
            self.catalog,
            access_token=TOKEN,
            plan=self.plan,
            clock=self.clock,
            partial_apply=self.partial_apply,
        )
        self.emulator.start()
        self.addCleanup(self.emulator.stop)

    def endpoint(self, api_version: str = DEFAULT_API_VERSION, token: str = TOKEN) -> ShopifyEndpoint:
        return ShopifyEndpoint(
            "test-shop.myshopify.com", token, api_version, endpoint_override=self.emulator.base_url
        )

    def sync(
        self,
        rows,
        *,
        api_version: str = DEFAULT_API_VERSION,
        token: str = TOKEN,
        progress=None,
        read_stock=None,
        **options,
    ) -> RunResult:
        options.setdefault("timeout", (2.0, 5.0))
        return sync_inventory(
            self.endpoint(api_version, token),
            rows,
            options=SyncOptions(**options),
            clock=self.clock,
            progress=progress,
            read_stock=read_stock,
        )

    # -- rows ------------------------------------------------------------------------
    def warm_rows(
        self,
        count: int | None = None,
        quantity=lambda i, j: (i * 7 + j) % 50,
        location_count: int | None = None,
    ) -> list[StockRow]:
        """Rows with cached inventory item ids, as ERPNext holds them after the first run."""
        rows = []
        for i in range(1, (count if count is not None else self.items) + 1):
            for j in range(1, (location_count or self.locations) + 1):
                rows.append(
                    StockRow(
                        location_id=f"gid://shopify/Location/{j}",
                        quantity=quantity(i, j),
                        inventory_item_id=f"gid://shopify/InventoryItem/{i}",
                        ref=f"ITEM-{i}",
                    )
                )
        return rows

    def sku_rows(self, count: int | None = None, quantity=lambda i, j: (i * 3 + j) % 40) -> list[StockRow]:
        return [
            StockRow(
                location_id=f"gid://shopify/Location/{j}",
                quantity=quantity(i, j),
                sku=f"SKU-{i:06d}",
                ref=f"ITEM-{i}",
            )
            for i in range(1, (count if count is not None else self.items) + 1)
            for j in range(1, self.locations + 1)
        ]

    def shopify_quantity_of(self, row: StockRow) -> int | None:
        item = row.inventory_item_id or "gid://shopify/InventoryItem/" + str(int(row.sku.split("-")[1]))
        return self.catalog.available(item, row.location_id)

    def assertShopifyEquals(self, rows, expected=lambda row: row.quantity) -> None:
        wrong = [
            (row.label, row.location_id, self.shopify_quantity_of(row), expected(row))
            for row in rows
            if self.shopify_quantity_of(row) != expected(row)
        ]
        self.assertEqual(wrong[:5], [], f"{len(wrong)} Shopify levels differ from what was pushed")

    def mutation_calls(self) -> int:
        return self.emulator.stats.calls_by_operation.get("SetInventoryQuantities", 0)
