"""Id resolution in bulk: call counts asserted, never one call per item."""

import unittest

from nexwave_inventory_sync.sync.resolve import SKU_FILTER_CHUNK, sku_search_query, sku_strategy
from nexwave_inventory_sync.sync.results import StockRow

from .emulated_shop import EmulatedShopTest


class StrategyTest(unittest.TestCase):
    def test_fewer_calls_wins(self):
        self.assertEqual(sku_strategy(SKU_FILTER_CHUNK, 100_000), "filter")  # one filtered call
        self.assertEqual(sku_strategy(7300, 7300), "scan")  # 30 pages beat 146 searches
        self.assertEqual(sku_strategy(500, 100_000), "filter")  # 10 searches beat 400 pages
        self.assertEqual(sku_strategy(500, None), "filter")

    def test_search_query_quotes_skus(self):
        self.assertEqual(
            sku_search_query(["A-1", 'B "2"', "C\\3"]), 'sku:"A-1" OR sku:"B \\"2\\"" OR sku:"C\\\\3"'
        )


class ResolveTest(EmulatedShopTest):
    items = 7300
    locations = 2

    def calls(self, operation):
        return self.emulator.stats.calls_by_operation.get(operation, 0)

    def test_variant_ids_resolve_250_per_nodes_call(self):
        rows = [
            StockRow(location_id=str(j), quantity=i % 9, variant_id=str(i), ref=f"ITEM-{i}")
            for i in range(1, 601)
            for j in (1, 2)
        ]
        result = self.sync(rows)
        self.assertEqual(self.calls("VariantInventoryItems"), 3)  # 600 variants, each asked once
        self.assertEqual(self.calls("SetInventoryQuantities"), 5)
        self.assertEqual((result.pushed, result.unresolved), (1200, 0))
        self.assertEqual(len(result.resolved), 600)
        self.assertEqual(
            {
                (r.variant_id, r.inventory_item_id, r.tracked)
                for r in result.resolved
                if r.variant_id == "gid://shopify/ProductVariant/7"
            },
            {("gid://shopify/ProductVariant/7", "gid://shopify/InventoryItem/7", True)},
        )

    def test_a_few_skus_are_searched_by_filter(self):
        rows = self.sku_rows(120)
        result = self.sync(rows)
        # 120 SKUs: the first scan page (which brings the count) shows 7,300 variants, 30 pages;
        # 3 filtered searches (50 SKUs a call) are fewer.
        self.assertEqual((self.calls("VariantsCountAndFirstPage"), self.calls("VariantsPage")), (1, 3))
        self.assertEqual((result.pushed, result.unresolved), (240, 0))
        self.assertShopifyEquals(rows)

    def test_a_whole_catalog_of_skus_is_scanned_once(self):
        rows = self.sku_rows()
        result = self.sync(rows, bulk_resolve_from=None)  # the scan (bulk from 2,500 SKUs: test_bulk_*)
        # 30 pages of 250 (the first with the count), then 59 mutations for 14,600 rows.
        self.assertEqual((self.calls("VariantsCountAndFirstPage"), self.calls("VariantsPage")), (1, 29))
        self.assertEqual(self.calls("SetInventoryQuantities"), 59)
        self.assertEqual(result.api_calls, 89)
        self.assertEqual((result.pushed, result.unresolved), (14600, 0))
        self.assertEqual(len(result.resolved), 7300)
        self.assertShopifyEquals(rows)

    def test_unknown_and_deleted_variants_are_unresolved_not_failed(self):
        self.catalog.remove_variant("gid://shopify/ProductVariant/3")
        rows = [
            StockRow(location_id="1", quantity=1, sku="NO-SUCH-SKU", ref="X"),
            StockRow(location_id="1", quantity=1, variant_id="3", ref="DELETED"),
            StockRow(location_id="1", quantity=1, sku="SKU-000004", ref="OK"),
            StockRow(location_id="1", quantity=1, ref="NOTHING"),
        ]
        result = self.sync(rows)
        self.assertEqual((result.unresolved, result.pushed, result.failed), (3, 1, 0))
        self.assertEqual(
            sorted((f.row.ref, f.code) for f in result.unresolved_rows),
            [("DELETED", "VARIANT_NOT_FOUND"), ("NOTHING", "NO_IDENTIFIER"), ("X", "SKU_NOT_FOUND")],
        )

    def test_shared_sku_is_refused_rather_than_guessed(self):
        self.catalog.add_variant("SKU-000010")
        result = self.sync([StockRow(location_id="1", quantity=3, sku="SKU-000010")])
        self.assertEqual(result.unresolved_rows[0].code, "AMBIGUOUS_SKU")
        self.assertEqual(self.calls("SetInventoryQuantities"), 0)


class UntrackedResolutionTest(EmulatedShopTest):
    items = 100
    untracked_every = 10

    def test_untracked_items_found_by_resolution_are_skipped(self):
        result = self.sync(self.sku_rows())
        self.assertEqual((result.untracked, result.pushed), (10, 90))
        self.assertEqual(sum(1 for r in result.resolved if not r.tracked), 10)
        sent = [
            q["inventoryItemId"]
            for r in self.emulator.stats.requests
            if r["operation"] == "SetInventoryQuantities"
            for q in r["variables"]["input"]["quantities"]
        ]
        self.assertNotIn("gid://shopify/InventoryItem/10", sent)


class ShopifyBundleResolutionTest(EmulatedShopTest):
    """Issue 18: a Shopify bundle (requiresComponents) takes its stock from its components and
    Shopify refuses a figure for it (NON_MUTABLE_INVENTORY_ITEM): resolution says so and the run
    never sends it, by SKU, by variant id and by the bulk scan alike."""

    items = 40

    def setUp(self):
        super().setUp()
        for number in (5, 6):
            self.catalog.set_requires_components(f"gid://shopify/ProductVariant/{number}")

    def sent(self):
        return [
            q["inventoryItemId"]
            for r in self.emulator.stats.requests
            if r["operation"] == "SetInventoryQuantities"
            for q in r["variables"]["input"]["quantities"]
        ]

    def test_the_emulator_refuses_a_figure_for_a_bundle(self):
        rows = [StockRow(location_id="1", quantity=3, inventory_item_id="gid://shopify/InventoryItem/5")]
        result = self.sync(rows)
        self.assertEqual([f.code for f in result.failures], ["NON_MUTABLE_INVENTORY_ITEM"])

    def test_bundles_resolve_as_not_tracked_and_are_never_sent(self):
        rows = self.sku_rows(10)
        by_sku = self.sync(rows)
        bundles = {r.inventory_item_id for r in by_sku.resolved if r.requires_components}
        bundle_skus = {r.sku for r in by_sku.resolved if r.requires_components}
        self.assertEqual(bundles, {"gid://shopify/InventoryItem/5", "gid://shopify/InventoryItem/6"})
        self.assertTrue(all(not r.tracked for r in by_sku.resolved if r.requires_components))
        bundle_rows = sum(1 for row in rows if row.sku in bundle_skus)
        self.assertEqual(
            (by_sku.untracked, by_sku.failed, by_sku.pushed), (bundle_rows, 0, len(rows) - bundle_rows)
        )
        by_variant = self.sync([StockRow(location_id="1", quantity=2, variant_id="5", ref="KIT")])
        self.assertEqual((by_variant.untracked, by_variant.pushed, by_variant.failed), (1, 0, 0))
        self.assertNotIn("gid://shopify/InventoryItem/5", self.sent())
        self.assertNotIn("gid://shopify/InventoryItem/6", self.sent())


class LookupFailureTest(EmulatedShopTest):
    items = 300

    def test_a_failed_lookup_fails_its_rows_instead_of_calling_them_unmapped(self):
        from nexwave_inventory_sync.emulator import Fault

        # every retry of the first nodes call answers 500: those 250 variants cannot be looked up
        self.emulator.faults.script(*[Fault.status(500)] * 3, operation="VariantInventoryItems")
        rows = [
            StockRow(location_id="1", quantity=1, variant_id=str(i), ref=f"ITEM-{i}") for i in range(1, 301)
        ]
        result = self.sync(rows)
        self.assertEqual((result.failed, result.unresolved, result.pushed), (250, 0, 50))
        self.assertIn("lookup failed", result.failures[0].message)
        self.assertEqual(result.status.value, "Partial")


class FirstLookupFailureTest(EmulatedShopTest):
    items = 600

    def test_a_failed_count_and_first_page_falls_back_to_searching(self):
        # Found by the soak: a burst of three 503s on the first lookup failed all 600 rows.
        from nexwave_inventory_sync.emulator import Fault

        self.emulator.faults.script(*[Fault.status(503)] * 3, operation="VariantsCountAndFirstPage")
        rows = self.sku_rows()
        result = self.sync(rows)
        self.assertEqual((result.pushed, result.failed), (600, 0))
        self.assertShopifyEquals(rows, expected=lambda row: row.quantity)

    def test_a_shop_that_stays_down_costs_two_searches_not_one_per_chunk(self):
        from nexwave_inventory_sync.emulator import Fault

        self.emulator.faults.random(rate=1.0, kinds=("503",), operation="VariantsPage")
        self.emulator.faults.script(*[Fault.status(503)] * 3, operation="VariantsCountAndFirstPage")
        result = self.sync(self.sku_rows())
        self.assertEqual((result.pushed, result.failed), (0, 600))
        self.assertEqual(self.emulator.stats.calls_by_operation["VariantsPage"], 2 * 3)  # 12 chunks of SKUs
        self.assertIn("lookup failed", result.failures[-1].message)
