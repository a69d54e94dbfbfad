"""Bulk operations refused (issue 17 §4): since 2026-11 an app built by a partner must enable
bulk queries in the Partner Dashboard, else starting one "returns an access denied error"
(changelog "Apps must enable bulk operations before use"). That refusal is about bulk queries
only: the run goes on with the catalog scan / the level pages, it is not a shop that refuses us."""

from nexwave_inventory_sync.sync import documents
from nexwave_inventory_sync.sync.bulk import BulkReadFailed, run_bulk_query
from nexwave_inventory_sync.sync.client import ShopifyClient
from nexwave_inventory_sync.sync.levels import BULK_RESOLVE_THRESHOLD
from nexwave_inventory_sync.sync.reconcile import ReconcileOptions, reconcile
from nexwave_inventory_sync.sync.results import StockRow
from nexwave_inventory_sync.sync.run import SyncOptions

from .emulated_shop import EmulatedShopTest

LOC = "gid://shopify/Location/1"


class BulkRefusedTest(EmulatedShopTest):
    items = 120

    def setUp(self) -> None:
        super().setUp()
        self.emulator.bulk.access_denied = True

    def test_the_emulator_refuses_a_bulk_query_with_access_denied_and_the_read_says_refused(self):
        client = ShopifyClient(self.endpoint(), clock=self.clock, timeout=(2.0, 5.0))
        with client:
            with self.assertRaises(BulkReadFailed) as failed:
                list(run_bulk_query(client, documents.BULK_LEVELS_QUERY))
        self.assertEqual(failed.exception.kind, "refused")
        self.assertIn("access denied", str(failed.exception).lower())
        self.assertEqual(self.emulator.stats.calls_by_operation["BulkRunQuery"], 1)

    def test_a_cold_run_without_bulk_access_resolves_by_the_scan_and_pushes_every_row(self):
        rows = [StockRow(location_id=LOC, quantity=i % 7, sku=f"SKU-{i:06d}") for i in range(1, 121)]
        result = self.sync(rows, bulk_resolve_from=100)
        self.assertFalse(result.aborted, result.abort_reason)
        self.assertEqual((result.pushed, result.unresolved), (120, 0))
        self.assertEqual(result.calls_by_operation["BulkRunQuery"], 1)  # asked once, refused
        self.assertGreaterEqual(result.calls_by_operation["VariantsCountAndFirstPage"], 1)
        self.assertEqual(self.catalog.available("gid://shopify/InventoryItem/8", LOC), 1)

    def test_a_reconciliation_without_bulk_access_reads_the_pages(self):
        rows = [
            StockRow(location_id=LOC, quantity=3, inventory_item_id=f"gid://shopify/InventoryItem/{i}")
            for i in range(1, 121)
        ]
        result = reconcile(
            self.endpoint(),
            rows,
            options=ReconcileOptions(read_method="bulk", sync=SyncOptions(timeout=(2.0, 5.0))),
            clock=self.clock,
        )
        self.assertFalse(result.aborted, result.abort_reason)
        self.assertEqual(result.plan.compared, 120)


class ThresholdTest(EmulatedShopTest):
    def test_a_first_run_of_a_7300_item_store_resolves_by_bulk(self):
        # docs/benchmarks.md §7: at 7,300 SKUs the scan takes ~131 s of a Standard bucket, one
        # bulk operation ~10 s; the crossing is near 1,200 SKUs.
        self.assertLessEqual(BULK_RESOLVE_THRESHOLD, 7_300)
        self.assertEqual(SyncOptions().bulk_resolve_from, BULK_RESOLVE_THRESHOLD)
