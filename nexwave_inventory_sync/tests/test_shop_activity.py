"""The emulator's seeded shop activity and the inventory states it moves."""

import unittest

import requests

from nexwave_inventory_sync.emulator import Catalog, ShopActivity
from nexwave_inventory_sync.sync import documents

from .emulated_shop import EmulatedShopTest

LOC = "gid://shopify/Location/1"


def item(i):
    return f"gid://shopify/InventoryItem/{i}"


class ShopActivityTest(unittest.TestCase):
    def shop(self, seed=3, **rates):
        catalog = Catalog.generate(items=50, locations=1, initial_quantity=2)
        events = []
        activity = ShopActivity(
            catalog, [item(i) for i in range(1, 51)], LOC, seed=seed, listener=events.append, **rates
        )
        return catalog, activity, events

    def test_orders_move_available_to_committed_and_are_refused_when_short(self):
        catalog, activity, events = self.shop(orders_per_second=1.0)
        activity.play_until(600)
        accepted = [e for e in events if e.accepted]
        refused = [e for e in events if not e.accepted]
        self.assertTrue(accepted and refused)  # 100 units on sale, ~600 orders
        levels = catalog.levels_at(LOC)
        self.assertTrue(all(q >= 0 for q in levels))
        sold = sum(e.units for e in accepted)
        self.assertEqual(sum(catalog.committed_units(item(i), LOC) for i in range(1, 51)), sold)
        self.assertEqual(sum(levels) + sold, 100)

    def test_the_same_seed_plays_the_same_day(self):
        runs = []
        for _ in range(2):
            catalog, activity, events = self.shop(
                orders_per_second=0.5, restocks_per_hour=30, edits_per_hour=30
            )
            for t in range(0, 3601, 60):  # played in steps, as runs interleave
                activity.play_until(t)
            runs.append([(round(e.at, 6), e.kind, e.inventory_item_id, e.units, e.accepted) for e in events])
        self.assertEqual(runs[0], runs[1])
        self.assertEqual({e[1] for e in runs[0]}, {"order", "restock", "edit"})

    def test_popular_items_sell_more(self):
        catalog, activity, events = self.shop(orders_per_second=1.0)
        activity.play_until(3600)
        first = activity.popularity.items[0]
        last = activity.popularity.items[-1]
        orders = [e.inventory_item_id for e in events if e.kind == "order"]
        self.assertGreater(orders.count(first), 5 * max(1, orders.count(last)))


class ActivityDuringRunTest(EmulatedShopTest):
    items = 600

    def test_orders_land_between_the_calls_of_a_run(self):
        activity = ShopActivity(
            self.catalog, [item(i) for i in range(1, 601)], LOC, seed=1, orders_per_second=5.0
        )
        for i in range(1, 601):
            self.catalog.set_available(item(i), LOC, 50)
        self.emulator.activity = activity
        self.emulator.virtual_latency = 1.0
        result = self.sync(self.warm_rows(quantity=lambda i, j: 50), concurrency=1)
        self.assertGreater(activity.counts["orders"], 0)
        self.assertGreaterEqual(self.clock.now(), result.api_calls * 1.0)


class OnHandAndActivationShapesTest(EmulatedShopTest):
    items = 5

    def test_on_hand_with_compare_quantity_on_the_legacy_shape(self):
        self.catalog.set_available(item(1), LOC, 10)
        self.catalog.sell(item(1), LOC, 4)  # on_hand 10, committed 4, available 6
        from nexwave_inventory_sync.sync.results import StockRow

        stale = self.sync(
            [StockRow(location_id=LOC, quantity=12, inventory_item_id=item(1), change_from=6)],
            api_version="2025-01",
            quantity_name="on_hand",
            conflict_policy="hold",
        )
        self.assertEqual(stale.held, 1)  # compared with on_hand (10), not available (6)
        self.assertEqual(stale.conflict_rows[0].shopify, 10)
        fresh = self.sync(
            [StockRow(location_id=LOC, quantity=12, inventory_item_id=item(1), change_from=10)],
            api_version="2025-01",
            quantity_name="on_hand",
        )
        self.assertEqual((fresh.pushed, fresh.conflicts), (1, 0))
        self.assertEqual(self.catalog.available(item(1), LOC), 8)

    def test_activation_needs_its_idempotency_key_from_2026_04(self):
        self.catalog.unstock(item(2), LOC)
        client_document = documents.ACTIVATE_LEGACY  # no @idempotent
        answer = self.post(client_document, {"inventoryItemId": item(2), "locationId": LOC})
        self.assertIn("@idempotent", answer["errors"][0]["message"])
        self.assertIsNone(self.catalog.available(item(2), LOC))
        answer = self.post(
            documents.ACTIVATE_IDEMPOTENT,
            {"inventoryItemId": item(2), "locationId": LOC, "idempotencyKey": "k1"},
        )
        self.assertEqual(answer["data"]["inventoryActivate"]["userErrors"], [])
        self.assertEqual(self.catalog.available(item(2), LOC), 0)

    def post(self, document, variables):
        from .emulated_shop import TOKEN

        return requests.post(
            self.emulator.graphql_url("2026-10"),
            json={"query": document, "variables": variables},
            headers={"X-Shopify-Access-Token": TOKEN},
            timeout=5,
        ).json()


class EmulatorCommandActivityTest(unittest.TestCase):
    def test_the_served_shop_trades_on_its_clock_between_requests(self):
        from nexwave_inventory_sync.emulator import Emulator, FakeClock
        from nexwave_inventory_sync.emulator.__main__ import attach_activity

        catalog = Catalog.generate(items=20, locations=1, initial_quantity=100)
        clock = FakeClock(1000.0)
        emulator = Emulator(catalog, clock=clock)
        activity = attach_activity(emulator, orders_per_second=2.0, edits_per_hour=0.0, seed=5)
        with emulator:
            clock.advance(60)
            requests.post(emulator.graphql_url(), json={"query": "{ shop { id } }"}, timeout=5)
        self.assertGreater(activity.counts["orders"], 60)
        self.assertLess(sum(catalog.levels_at(LOC)), 2000)
