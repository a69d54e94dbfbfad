"""Bulk operations on the emulator and the engine's bulk and paginated level reads."""

import json

import requests

from nexwave_inventory_sync.sync import documents
from nexwave_inventory_sync.sync.bulk import BulkReadFailed, run_bulk_query
from nexwave_inventory_sync.sync.client import ShopifyClient
from nexwave_inventory_sync.sync.levels import read_all_levels, read_levels
from nexwave_inventory_sync.sync.results import StockRow

from .emulated_shop import EmulatedShopTest

LOC = "gid://shopify/Location/1"


class BulkTest(EmulatedShopTest):
    items = 40
    locations = 2

    def client(self, version="2026-10"):
        client = ShopifyClient(self.endpoint(version), clock=self.clock, timeout=(2.0, 5.0))
        self.addCleanup(client.__exit__, None, None, None)
        return client.__enter__()

    def test_bulk_read_lists_every_variant_and_level_after_the_delay(self):
        self.catalog.set_available("gid://shopify/InventoryItem/3", "gid://shopify/Location/2", 17)
        client = self.client()
        read = read_all_levels(client, [LOC, "gid://shopify/Location/2"], method="bulk")
        self.assertEqual(len(read.resolutions), 40)
        self.assertEqual(len(read.levels), 80)
        self.assertEqual(read.levels[("gid://shopify/InventoryItem/3", "gid://shopify/Location/2")], 17)
        # A realistic delay passed on the virtual clock: polls happened, not one call.
        self.assertGreaterEqual(self.emulator.stats.calls_by_operation["BulkOperationById"], 2)
        self.assertEqual(read.method, "bulk")

    def test_the_result_is_served_without_the_token_and_lines_carry_parent_ids(self):
        client = self.client()
        data = client.execute(
            documents.BULK_RUN_QUERY, {"query": documents.BULK_LEVELS_QUERY}, operation="BulkRunQuery"
        )
        operation_id = data["bulkOperationRunQuery"]["bulkOperation"]["id"]
        self.clock.advance(60)
        node = client.execute(documents.BULK_OPERATION, {"id": operation_id}, operation="BulkOperationById")[
            "node"
        ]
        self.assertEqual(node["status"], "COMPLETED")
        lines = [json.loads(x) for x in requests.get(node["url"], timeout=5).text.splitlines()]
        self.assertEqual(lines[0]["id"], "gid://shopify/ProductVariant/1")
        self.assertEqual(lines[1]["__parentId"], "gid://shopify/ProductVariant/1")
        self.assertIn("quantities", lines[1])

    def test_a_second_bulk_query_waits_for_the_running_one_before_2026(self):
        client = self.client("2025-01")
        client.execute(
            documents.BULK_RUN_QUERY, {"query": documents.BULK_LEVELS_QUERY}, operation="BulkRunQuery"
        )
        busy = client.execute(
            documents.BULK_RUN_QUERY, {"query": documents.BULK_LEVELS_QUERY}, operation="BulkRunQuery"
        )
        self.assertEqual(busy["bulkOperationRunQuery"]["userErrors"][0]["code"], "OPERATION_IN_PROGRESS")
        # The engine waits for it, then runs its own.
        lines = list(run_bulk_query(client, documents.BULK_LEVELS_QUERY, poll_interval=1.0))
        self.assertEqual(sum(1 for line in lines if "inventoryItem" in line), 40)
        self.assertEqual(self.emulator.bulk.started(), 2)

    def test_2026_allows_several_at_once(self):
        client = self.client()
        for _ in range(2):
            data = client.execute(
                documents.BULK_RUN_QUERY, {"query": documents.BULK_LEVELS_QUERY}, operation="BulkRunQuery"
            )
            self.assertEqual(data["bulkOperationRunQuery"]["userErrors"], [])

    def test_failed_and_expired_operations_are_reported_clearly(self):
        client = self.client()
        self.emulator.bulk.fail_next("TIMEOUT")
        with self.assertRaises(BulkReadFailed) as failed:
            list(run_bulk_query(client, documents.BULK_LEVELS_QUERY))
        self.assertEqual(failed.exception.kind, "failed")
        self.assertIn("TIMEOUT", str(failed.exception))

        data = client.execute(
            documents.BULK_RUN_QUERY, {"query": documents.BULK_LEVELS_QUERY}, operation="BulkRunQuery"
        )
        operation_id = data["bulkOperationRunQuery"]["bulkOperation"]["id"]
        self.emulator.bulk.expire(operation_id)
        node = client.execute(documents.BULK_OPERATION, {"id": operation_id}, operation="BulkOperationById")[
            "node"
        ]
        self.assertEqual((node["status"], node["url"]), ("EXPIRED", None))

    def test_a_failed_download_is_a_bulk_read_failure_never_a_network_error(self):
        # D15: requests' ConnectionError / ChunkedEncodingError escaped the read (a traceback
        # in the CLI, no fallback to pages).
        for kind, status in (("refused", 0), ("cut_off", 0), ("status", 403), ("status", 500)):
            with self.subTest(kind=kind, status=status):
                self.emulator.bulk.fail_download(kind, status=status)
                with self.assertRaises(BulkReadFailed) as failed:
                    list(run_bulk_query(self.client(), documents.BULK_LEVELS_QUERY, poll_interval=0.5))
                self.assertEqual(failed.exception.kind, "download")
                self.assertNotIn("bulk-results", str(failed.exception))  # no signed URL in a log
                if status:
                    self.assertIn(str(status), str(failed.exception))

    def test_an_operation_node_does_not_find_fails_within_a_minute(self):
        # D15: node(id:) answering null was polled for max_wait (30 minutes).
        self.emulator.bulk.lose_next()
        started = self.clock.now()
        with self.assertRaises(BulkReadFailed) as failed:
            list(run_bulk_query(self.client(), documents.BULK_LEVELS_QUERY))
        self.assertEqual(failed.exception.kind, "missing")
        self.assertLess(self.clock.now() - started, 60)

    def test_an_invalid_bulk_query_is_a_user_error(self):
        client = self.client()
        data = client.execute(
            documents.BULK_RUN_QUERY, {"query": "{ shop { id } }"}, operation="BulkRunQuery"
        )
        self.assertEqual(data["bulkOperationRunQuery"]["userErrors"][0]["code"], "INVALID")
        with self.assertRaises(BulkReadFailed) as failed:
            list(run_bulk_query(client, "{ shop { id } }"))
        self.assertEqual(failed.exception.kind, "invalid")

    def test_paginated_read_equals_the_bulk_read(self):
        self.catalog.unstock("gid://shopify/InventoryItem/5", LOC)
        client = self.client()
        pages = read_all_levels(client, [LOC], method="pages")
        bulk = read_all_levels(client, [LOC], method="bulk")
        self.assertEqual(pages.levels, bulk.levels)
        self.assertEqual(len(pages.levels), 39)

    def test_read_levels_of_given_rows(self):
        self.catalog.set_available("gid://shopify/InventoryItem/2", LOC, 4)
        self.catalog.sell("gid://shopify/InventoryItem/2", LOC, 1)
        self.catalog.unstock("gid://shopify/InventoryItem/3", LOC)
        client = self.client()
        keys = [(f"gid://shopify/InventoryItem/{i}", LOC) for i in (2, 3)]
        self.assertEqual(read_levels(client, keys), {keys[0]: 3, keys[1]: None})
        self.assertEqual(read_levels(client, keys[:1], "on_hand"), {keys[0]: 4})


class BulkResolutionTest(EmulatedShopTest):
    items = 120

    def test_a_large_cold_run_resolves_ids_with_one_bulk_operation_then_reads_stock(self):
        identifiers = [StockRow(location_id=LOC, quantity=0, sku=f"SKU-{i:06d}") for i in range(1, 121)]
        reads = []

        def read_stock():
            reads.append(self.emulator.stats.calls_by_operation.get("SetInventoryQuantities", 0))
            return [StockRow(location_id=LOC, quantity=i % 7, sku=f"SKU-{i:06d}") for i in range(1, 121)]

        result = self.sync(identifiers, read_stock=read_stock, bulk_resolve_from=100, bulk_poll_interval=1.0)
        self.assertEqual(reads, [0])  # stock read once, after resolution, before any push
        self.assertEqual((result.pushed, result.unresolved), (120, 0))
        self.assertEqual(result.calls_by_operation.get("VariantsPage", 0), 0)
        self.assertEqual(result.calls_by_operation["BulkRunQuery"], 1)
        self.assertEqual(len(result.resolved), 120)
        self.assertEqual(self.catalog.available("gid://shopify/InventoryItem/8", LOC), 1)

    def test_an_abort_during_bulk_resolution_counts_every_row_as_not_sent(self):
        rows = [StockRow(location_id=LOC, quantity=1, sku=f"SKU-{i:06d}") for i in range(1, 121)]
        result = self.sync(rows, token="shpat_wrong", bulk_resolve_from=100)
        self.assertTrue(result.aborted)
        self.assertEqual((result.not_sent, result.unresolved), (120, 0))
        self.assertEqual(result.accounted, result.considered)
        self.assertEqual(result.api_calls, 1)


class BulkAnswerShapeTest(EmulatedShopTest):
    """The fuzzed-answer rule for bulk reads: an answer or a file of the wrong shape is a bulk
    read that failed (the run falls back to pages or the scan), never an error out of a run."""

    items = 40

    rows = [StockRow(location_id=LOC, quantity=1, sku=f"SKU-{i:06d}") for i in range(1, 41)]

    def test_bulk_answers_of_the_wrong_shape_fall_back(self):
        from nexwave_inventory_sync.emulator import Fault

        for operation, body in (
            ("BulkRunQuery", '{"data": {"bulkOperationRunQuery": {"bulkOperation": null, "userErrors": 5}}}'),
            (
                "BulkRunQuery",
                '{"data": {"bulkOperationRunQuery": {"bulkOperation": null,'
                ' "userErrors": [{"code": ["LIMIT_REACHED"], "message": "busy"}]}}}',
            ),
            (
                "BulkOperationById",
                '{"data": {"node": {"id": "gid://shopify/BulkOperation/1", "status": ["RUNNING"]}}}',
            ),
        ):
            with self.subTest(operation=operation, body=body):
                self.emulator.faults.clear()
                self.emulator.faults.script(Fault.status(200, body=body), operation=operation)
                result = self.sync(self.rows, bulk_resolve_from=30, bulk_poll_interval=1.0)
                self.assertFalse(result.aborted)
                self.assertEqual((result.pushed, result.accounted), (40, result.considered))

    def test_a_bulk_file_of_the_wrong_shape_never_raises_out_of_a_run(self):
        lines = [
            {
                "id": "gid://shopify/ProductVariant/1",
                "sku": {"not": "text"},
                "inventoryItem": {"id": "gid://shopify/InventoryItem/1", "tracked": True},
            },
            {
                "__parentId": "gid://shopify/ProductVariant/1",
                "location": {"id": ["not text"]},
                "quantities": [{"name": "available", "quantity": 1}],
            },
        ]
        result = self.sync(
            self.rows,
            bulk_resolve_from=30,
            bulk_poll_interval=1.0,
            http_get=lambda url: iter(json.dumps(line).encode() for line in lines),
        )
        self.assertFalse(result.aborted)
        self.assertEqual(result.accounted, result.considered)
