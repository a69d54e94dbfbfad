"""Batching, payload shape, per-row results: the engine against the emulator over HTTP."""

import math
import unittest

from nexwave_inventory_sync.sync.limits import BATCH_SIZE
from nexwave_inventory_sync.sync.push import (
    ReadyRow,
    batch_quantities,
    idempotency_key,
    map_user_errors,
    mutation_variables,
)
from nexwave_inventory_sync.sync.results import (
    CommonestFailure,
    RowFailure,
    RunStatus,
    StockRow,
    commonest_failure,
)

from .emulated_shop import EmulatedShopTest


def ready(i: int, quantity: int = 5, change_from=None) -> ReadyRow:
    row = StockRow(
        location_id="gid://shopify/Location/1",
        quantity=quantity,
        inventory_item_id=f"gid://shopify/InventoryItem/{i}",
        change_from=change_from,
    )
    return ReadyRow(row, row.inventory_item_id, row.location_id, quantity)


class PayloadShapeTest(unittest.TestCase):
    def test_2026_04_and_later_send_change_from_quantity_on_every_row_and_a_key(self):
        variables = mutation_variables([ready(1), ready(2, change_from=3)], "2026-10", "run-1")
        quantities = variables["input"]["quantities"]
        self.assertTrue(all("changeFromQuantity" in q for q in quantities))
        self.assertEqual([q["changeFromQuantity"] for q in quantities], [None, 3])
        self.assertNotIn("ignoreCompareQuantity", variables["input"])
        self.assertTrue(variables["idempotencyKey"].strip())
        self.assertEqual(variables["input"]["name"], "available")
        self.assertEqual(variables["input"]["reason"], "correction")
        self.assertIn("run-1", variables["input"]["referenceDocumentUri"])

    def test_older_versions_send_the_compare_quantity_shape(self):
        variables = mutation_variables([ready(1), ready(2)], "2025-01", "run-1")
        self.assertNotIn("idempotencyKey", variables)
        self.assertIs(variables["input"]["ignoreCompareQuantity"], True)
        self.assertTrue(
            all(
                set(q) == {"inventoryItemId", "locationId", "quantity"}
                for q in variables["input"]["quantities"]
            )
        )
        cas = mutation_variables([ready(1, change_from=4)], "2026-01", "run-1")
        self.assertIs(cas["input"]["ignoreCompareQuantity"], False)
        self.assertEqual(cas["input"]["quantities"][0]["compareQuantity"], 4)

    def test_key_depends_on_run_and_content_only(self):
        batch = batch_quantities([ready(1), ready(2)], "2026-10")
        self.assertEqual(
            idempotency_key("run-1", batch),
            idempotency_key("run-1", batch_quantities([ready(1), ready(2)], "2026-10")),
        )
        self.assertNotEqual(idempotency_key("run-1", batch), idempotency_key("run-2", batch))
        self.assertNotEqual(
            idempotency_key("run-1", batch), idempotency_key("run-1", batch_quantities([ready(1)], "2026-10"))
        )

    def test_user_error_paths_map_to_rows(self):
        by_row, other = map_user_errors(
            3,
            [
                {
                    "field": ["input", "quantities", "2", "locationId"],
                    "code": "ITEM_NOT_STOCKED_AT_LOCATION",
                    "message": "x",
                },
                {"field": ["input", "reason"], "code": "INVALID_REASON", "message": "y"},
                {
                    "field": ["input", "quantities", "9", "quantity"],
                    "code": "INVALID_QUANTITY_TOO_HIGH",
                    "message": "out of range",
                },
                {"field": None, "code": None, "message": "z"},
            ],
        )
        self.assertEqual(list(by_row), [2])
        self.assertEqual([e["message"] for e in other], ["y", "out of range", "z"])


class BatchBoundaryTest(EmulatedShopTest):
    items = 7300

    def test_batch_boundaries(self):
        for count in (0, 1, 249, 250, 251, 7300):
            with self.subTest(rows=count):
                self.emulator.stats.reset()
                rows = self.warm_rows(count, quantity=lambda i, j, c=count: (i + c) % 97)
                result = self.sync(rows)
                self.assertEqual(self.mutation_calls(), math.ceil(count / BATCH_SIZE))
                self.assertEqual(result.api_calls, math.ceil(count / BATCH_SIZE))
                self.assertEqual((result.considered, result.pushed, result.failed), (count, count, 0))
                self.assertEqual(result.batches_ok, math.ceil(count / BATCH_SIZE))
                self.assertEqual(result.status, RunStatus.SUCCESS)
                self.assertEqual(self.emulator.stats.throttled, 0)
                self.assertShopifyEquals(rows)

    def test_no_batch_exceeds_250(self):
        self.sync(self.warm_rows(1000))
        sizes = [
            len(r["variables"]["input"]["quantities"])
            for r in self.emulator.stats.requests
            if r["operation"] == "SetInventoryQuantities"
        ]
        self.assertEqual(sizes, [250, 250, 250, 250])


class PushBehaviourTest(EmulatedShopTest):
    items = 600
    locations = 2

    def test_every_api_version_lands(self):
        for version in ("2025-01", "2026-01", "2026-04", "2026-10"):
            with self.subTest(version=version):
                rows = self.warm_rows(100, quantity=lambda i, j, v=version: (i + j + int(v[-2:])) % 30)
                result = self.sync(rows, api_version=version)
                self.assertEqual((result.pushed, result.failed), (200, 0), result.failures[:1])
                self.assertShopifyEquals(rows)
                sent = [
                    r for r in self.emulator.stats.requests if r["operation"] == "SetInventoryQuantities"
                ][-1]
                self.assertEqual(sent["api_version"], version)
                self.assertEqual(sent["idempotency_key"] is not None, version >= "2026-04")

    def test_quantity_rule_is_applied_and_bad_rows_are_named(self):
        quantities = {1: 4.7, 2: -3, 3: 2_000_000_000, 4: "n/a", 5: 12}
        rows = [
            StockRow(location_id="1", quantity=q, inventory_item_id=str(i), ref=f"ITEM-{i}")
            for i, q in quantities.items()
        ]
        result = self.sync(rows, safety_buffer=1)
        self.assertEqual((result.pushed, result.failed), (3, 2))
        self.assertEqual(
            sorted((f.row.ref, f.code) for f in result.failures),
            [("ITEM-3", "INVALID_QUANTITY_TOO_HIGH"), ("ITEM-4", "INVALID_QUANTITY")],
        )
        available = [
            self.catalog.available(f"gid://shopify/InventoryItem/{i}", "gid://shopify/Location/1")
            for i in (1, 2, 5)
        ]
        self.assertEqual(available, [3, 0, 11])
        self.assertEqual(result.status, RunStatus.PARTIAL)

    def test_bad_rows_cost_only_themselves_when_shopify_rejects_the_batch(self):
        for i in (5, 77, 201):
            self.catalog.unstock(f"gid://shopify/InventoryItem/{i}", "gid://shopify/Location/1")
        rows = self.warm_rows(250, location_count=1)
        result = self.sync(rows)
        self.assertEqual((result.pushed, result.failed), (247, 3))
        self.assertEqual(self.mutation_calls(), 2)  # the rejected batch, then its 247 good rows once
        self.assertEqual(sorted(f.row.ref for f in result.failures), ["ITEM-201", "ITEM-5", "ITEM-77"])
        self.assertTrue(all(f.code == "ITEM_NOT_STOCKED_AT_LOCATION" for f in result.failures))
        self.assertEqual(result.batches_ok, 1)
        self.assertEqual(result.status, RunStatus.PARTIAL)
        self.assertShopifyEquals([r for r in rows if r.ref not in {"ITEM-5", "ITEM-77", "ITEM-201"}])

    def test_a_batch_that_fails_twice_is_not_resent_again(self):
        self.catalog.unstock("gid://shopify/InventoryItem/3", "gid://shopify/Location/1")
        rows = self.warm_rows(10, location_count=1) + [
            StockRow(location_id="1", quantity=1, inventory_item_id="999999", ref="GHOST")
        ]
        result = self.sync(rows)
        self.assertEqual(
            sorted((f.row.ref, f.code) for f in result.failures),
            [("GHOST", "INVALID_INVENTORY_ITEM"), ("ITEM-3", "ITEM_NOT_STOCKED_AT_LOCATION")],
        )
        self.assertEqual(result.pushed, 9)
        self.assertEqual(self.mutation_calls(), 2)

    def test_stale_change_from_is_a_conflict_not_a_failure(self):
        self.catalog.set_available("gid://shopify/InventoryItem/1", "gid://shopify/Location/1", 8)
        self.catalog.set_available("gid://shopify/InventoryItem/2", "gid://shopify/Location/1", 8)
        rows = [
            StockRow(location_id="1", quantity=5, inventory_item_id="1", change_from=8, ref="ITEM-1"),
            StockRow(location_id="1", quantity=5, inventory_item_id="2", change_from=9, ref="ITEM-2"),
        ]
        result = self.sync(rows, conflict_policy="hold")
        self.assertEqual((result.pushed, result.conflicts, result.held, result.failed), (1, 1, 1, 0))
        held = result.conflict_rows[0]
        self.assertEqual(
            (held.ref, held.erpnext, held.confirmed, held.shopify, held.outcome), ("ITEM-2", 5, 9, 8, "held")
        )
        self.assertEqual(result.status, RunStatus.PARTIAL)
        self.assertIn("1 rows changed on Shopify", result.error)  # a Partial run always says why
        self.assertEqual(
            self.catalog.available("gid://shopify/InventoryItem/2", "gid://shopify/Location/1"), 8
        )

    def test_untracked_rows_are_skipped_without_a_call(self):
        rows = [
            StockRow(location_id="1", quantity=5, inventory_item_id=str(i), tracked=False)
            for i in range(1, 11)
        ]
        result = self.sync(rows)
        self.assertEqual((result.untracked, result.pushed, result.api_calls), (10, 0, 0))
        self.assertEqual(result.status, RunStatus.SUCCESS)

    def test_duplicate_pairs_keep_the_first_figure(self):
        rows = [
            StockRow(location_id="1", quantity=5, inventory_item_id="1", ref="A"),
            StockRow(
                location_id="gid://shopify/Location/1",
                quantity=9,
                inventory_item_id="gid://shopify/InventoryItem/1",
                ref="B",
            ),
        ]
        result = self.sync(rows)
        self.assertEqual([(f.row.ref, f.code) for f in result.failures], [("B", "DUPLICATE_ROW")])
        self.assertEqual(
            self.catalog.available("gid://shopify/InventoryItem/1", "gid://shopify/Location/1"), 5
        )

    def test_known_quantities_skip_unchanged_rows(self):
        rows = self.warm_rows(300, location_count=1)
        known = {(r.inventory_item_id, r.location_id): r.quantity for r in rows[:260]}
        result = self.sync(rows, known_quantities=known)
        self.assertEqual((result.unchanged_skipped, result.pushed), (260, 40))
        self.assertEqual(self.mutation_calls(), 1)

    def test_progress_reports_batches_done_of_total(self):
        seen = []
        self.sync(self.warm_rows(600), progress=lambda done, total: seen.append((done, total)))
        self.assertEqual(seen, [(n, 5) for n in range(1, 6)])

    def test_progress_ends_complete_when_rows_were_skipped(self):
        rows = self.warm_rows(600)
        skipped = [
            StockRow(location_id="1", quantity=1, inventory_item_id=str(i), tracked=False)
            for i in range(1, 300)
        ]
        seen = []
        self.sync(rows + skipped, progress=lambda done, total: seen.append((done, total)))
        self.assertEqual(seen[-1], (5, 5))  # the estimate said 6 batches; 5 were needed

    def test_streamed_rows_and_concurrency_give_the_same_shop(self):
        rows = self.warm_rows(600)
        for concurrency in (1, 3):
            with self.subTest(concurrency=concurrency):
                self.emulator.stats.reset()
                result = self.sync(iter(rows), concurrency=concurrency, chunk_rows=333)
                self.assertEqual((result.pushed, result.failed, result.batches_ok), (1200, 0, 5))
                self.assertEqual(self.mutation_calls(), 5)
                self.assertShopifyEquals(rows)


class PartialApplyShopTest(EmulatedShopTest):
    """Shops where Shopify applies the good rows and names the bad ones: no resend needed."""

    items = 20
    partial_apply = True

    def test_good_rows_land_in_one_call(self):
        self.catalog.unstock("gid://shopify/InventoryItem/4", "gid://shopify/Location/1")
        result = self.sync(self.warm_rows(20))
        self.assertEqual((result.pushed, result.failed, self.mutation_calls()), (19, 1, 1))


class CommonestFailureTest(unittest.TestCase):
    """The one rule behind the engine's run summary and the app's log heading."""

    def failure(self, code: str, message: str) -> RowFailure:
        return RowFailure(
            row=StockRow(ref=message, sku=None, location_id="1", quantity=1), code=code, message=message
        )

    def test_none_without_failures(self):
        self.assertIsNone(commonest_failure([]))

    def test_the_code_most_rows_share_with_its_first_message(self):
        failures = [
            self.failure("A", "a1"),
            self.failure("B", "b1"),
            self.failure("B", "b2"),
            self.failure("C", "c1"),
        ]
        self.assertEqual(commonest_failure(iter(failures)), CommonestFailure("B", 2, "b1", 4, 2))

    def test_a_tie_goes_to_the_code_seen_first(self):
        failures = [self.failure("B", "b1"), self.failure("A", "a1")]
        self.assertEqual(commonest_failure(failures).code, "B")
