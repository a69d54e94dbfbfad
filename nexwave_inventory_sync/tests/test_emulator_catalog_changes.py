"""What the merchant changes in admin that the chaos soak acts out: a product deleted and
created again with the same SKU, inventory tracking switched, and the emulator's record of
the levels a mutation writes (not sales, not admin edits)."""

import unittest

from nexwave_inventory_sync.emulator import Catalog, CatalogError
from nexwave_inventory_sync.sync.results import StockRow
from nexwave_inventory_sync.sync.run import resolve_rows

from .emulated_shop import EmulatedShopTest

LOC = "gid://shopify/Location/1"


class RecreateAndTrackingTest(unittest.TestCase):
    def test_a_recreated_product_gets_new_ids_and_the_old_ones_are_gone(self):
        catalog = Catalog.generate(3, 2, initial_quantity=5)
        made = catalog.recreate_variant("SKU-000002", quantity=4)
        self.assertEqual(made["sku"], "SKU-000002")
        self.assertNotEqual(made["inventory_item_id"], "gid://shopify/InventoryItem/2")
        self.assertNotEqual(made["id"], "gid://shopify/ProductVariant/2")
        self.assertIsNone(catalog.variant("gid://shopify/ProductVariant/2"))
        self.assertIsNone(catalog.available("gid://shopify/InventoryItem/2", LOC))
        self.assertEqual(catalog.available(made["inventory_item_id"], LOC), 4)
        self.assertEqual(catalog.available(made["inventory_item_id"], "gid://shopify/Location/2"), 4)
        self.assertEqual(len(catalog.rows_with_sku("SKU-000002")), 1)
        self.assertEqual(catalog.variant_count, 3)
        with self.assertRaises(CatalogError):
            catalog.recreate_variant("NO-SUCH-SKU")

    def test_tracking_switched_off_and_on_keeps_the_levels(self):
        catalog = Catalog.generate(2, 1, initial_quantity=7)
        item = "gid://shopify/InventoryItem/1"
        catalog.set_tracked(item, False)
        self.assertFalse(catalog.variant("gid://shopify/ProductVariant/1")["tracked"])
        catalog.set_tracked(item, True)
        self.assertTrue(catalog.variant("gid://shopify/ProductVariant/1")["tracked"])
        self.assertEqual(catalog.available(item, LOC), 7)
        with self.assertRaises(KeyError):
            catalog.set_tracked("gid://shopify/InventoryItem/99", True)


class OverTheApiTest(EmulatedShopTest):
    items = 5

    def test_the_sku_of_a_recreated_product_resolves_to_the_new_item_and_tracking_is_seen(self):
        made = self.catalog.recreate_variant("SKU-000003")
        self.catalog.set_tracked("gid://shopify/InventoryItem/4", False)
        found = resolve_rows(
            self.endpoint(),
            [StockRow(LOC, 1, sku="SKU-000003"), StockRow(LOC, 1, sku="SKU-000004")],
            clock=self.clock,
        )
        by_sku = {r.sku: r for r in found.resolved}
        self.assertEqual(by_sku["SKU-000003"].inventory_item_id, made["inventory_item_id"])
        self.assertTrue(by_sku["SKU-000003"].tracked)
        self.assertFalse(by_sku["SKU-000004"].tracked)

    def test_the_write_listener_hears_mutations_only(self):
        heard = []
        self.catalog.write_listener = lambda row, loc, quantity, reference: heard.append(
            (row, quantity, reference)
        )
        self.catalog.sell("gid://shopify/InventoryItem/1", LOC, 0)
        self.catalog.adjust_available("gid://shopify/InventoryItem/1", LOC, 2)
        result = self.sync(
            [StockRow(LOC, 9, inventory_item_id="gid://shopify/InventoryItem/2")], run_id="listened"
        )
        self.assertEqual(result.pushed, 1)
        self.assertEqual(heard, [(1, 9, "gid://nexwave-inventory-sync/SyncRun/listened")])
