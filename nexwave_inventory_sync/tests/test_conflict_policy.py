"""Conflict policies: the pure rule, then a run meeting real conflicts on the emulator."""

import unittest

from nexwave_inventory_sync.sync.conflicts import ConflictPolicy, settle, settle_correction
from nexwave_inventory_sync.sync.results import RunStatus, StockRow

from .emulated_shop import EmulatedShopTest

ITEM = "gid://shopify/InventoryItem/{}"
LOC = "gid://shopify/Location/1"


class SettleTest(unittest.TestCase):
    def test_erpnext_wins_sends_erpnexts_figure(self):
        self.assertEqual(settle(ConflictPolicy.ERPNEXT_WINS, 10, 12, 9), 10)

    def test_keep_shopify_sales_subtracts_what_shopify_sold_since_the_confirmed_level(self):
        # ERPNext rose 12 -> 14 (a receipt) while Shopify sold 3 (12 -> 9): keep the 3 sold.
        self.assertEqual(settle(ConflictPolicy.KEEP_SHOPIFY_SALES, 14, 12, 9), 11)
        self.assertEqual(settle(ConflictPolicy.KEEP_SHOPIFY_SALES, 2, 2, 0), 0)  # never below 0

    def test_keep_shopify_sales_does_not_subtract_sales_erpnext_already_imported(self):
        # Shopify sold 3 (12 -> 9); ERPNext fell 12 -> 10: 2 of them imported, 1 not yet.
        self.assertEqual(settle(ConflictPolicy.KEEP_SHOPIFY_SALES, 10, 12, 9), 9)
        # All 3 imported: ERPNext's figure is already right.
        self.assertEqual(settle(ConflictPolicy.KEEP_SHOPIFY_SALES, 9, 12, 9), 9)

    def test_keep_shopify_sales_lets_erpnext_win_when_shopify_went_up(self):
        self.assertEqual(settle(ConflictPolicy.KEEP_SHOPIFY_SALES, 10, 12, 20), 10)

    def test_hold_sends_nothing(self):
        self.assertIsNone(settle(ConflictPolicy.HOLD, 10, 12, 9))

    def test_a_correction_keeps_every_unit_sold_since_the_read(self):
        # D14: read 12 (an admin edit, ERPNext 10), Shopify sold 1 before the correction
        # landed (11): the sale is not in ERPNext's 10, so 9. settle() would send 10.
        keep = ConflictPolicy.KEEP_SHOPIFY_SALES
        self.assertEqual(settle(keep, 10, 12, 11), 10)
        self.assertEqual(settle_correction(keep, 10, 12, 11), 9)
        # A shortfall correction (read 5, target 8: the 3 seen last time): a sale since, 7.
        self.assertEqual(settle_correction(keep, 8, 5, 4), 7)
        self.assertEqual(settle_correction(keep, 2, 12, 5), 0)  # never below 0
        # Shopify went up since the read (a restock, an admin edit): the target stands.
        self.assertEqual(settle_correction(keep, 10, 12, 15), 10)

    def test_a_correction_under_the_other_policies(self):
        self.assertEqual(settle_correction(ConflictPolicy.ERPNEXT_WINS, 10, 12, 11), 10)
        self.assertIsNone(settle_correction(ConflictPolicy.HOLD, 10, 12, 11))

    def test_parse(self):
        self.assertIs(ConflictPolicy.parse("Keep Shopify Sales"), ConflictPolicy.KEEP_SHOPIFY_SALES)
        with self.assertRaises(ValueError):
            ConflictPolicy.parse("shopify-wins")


class ConflictRunTest(EmulatedShopTest):
    items = 600

    def stale_rows(self, count: int, shopify: int = 9, confirmed: int = 12, erpnext: int = 10):
        for i in range(1, count + 1):
            self.catalog.set_available(ITEM.format(i), LOC, shopify)
        return [
            StockRow(
                location_id=LOC,
                quantity=erpnext,
                inventory_item_id=ITEM.format(i),
                change_from=confirmed,
                ref=f"ITEM-{i}",
            )
            for i in range(1, count + 1)
        ]

    def test_keep_shopify_sales_resends_with_fresh_change_from_and_reports_each_conflict(self):
        rows = self.stale_rows(300, erpnext=14)
        result = self.sync(rows, conflict_policy="keep-shopify-sales", concurrency=1)
        self.assertEqual((result.conflicts, result.held, result.failed), (300, 0, 0))
        self.assertEqual(result.status, RunStatus.SUCCESS)
        self.assertShopifyEquals(rows, lambda r: 11)
        first = result.conflict_rows[0]
        self.assertEqual(
            (first.erpnext, first.confirmed, first.shopify, first.sent, first.outcome),
            (14, 12, 9, 11, "resolved"),
        )
        self.assertEqual({c.quantity for c in result.confirmed}, {11})
        self.assertEqual(len(result.confirmed), 300)
        self.assertEqual(result.accounted, result.considered)  # each row counted once
        # 2 rejected batches, one read of 300 rows (2 calls of <= 250), 2 resend batches.
        self.assertEqual(result.calls_by_operation["InventoryLevelsAt"], 2)
        self.assertEqual(result.calls_by_operation["SetInventoryQuantities"], 4)

    def test_erpnext_wins(self):
        rows = self.stale_rows(3)
        result = self.sync(rows, conflict_policy="erpnext-wins")
        self.assertShopifyEquals(rows, lambda r: 10)
        self.assertEqual(result.held, 0)

    def test_legacy_compare_quantity_conflicts_are_settled_too(self):
        rows = self.stale_rows(3, erpnext=14)
        result = self.sync(rows, api_version="2025-01", conflict_policy="keep-shopify-sales")
        self.assertEqual((result.conflicts, result.held), (3, 0))
        self.assertShopifyEquals(rows, lambda r: 11)

    def test_a_row_that_keeps_changing_is_reported_after_two_repeats(self):
        rows = self.stale_rows(1)
        # Every read of Shopify's figure is followed by another sale before the resend lands.
        original = self.emulator._play_activity
        item = ITEM.format(1)

        def sell_before_each_mutation():
            original()
            self.catalog.sell(item, LOC, 1)

        self.emulator._play_activity = sell_before_each_mutation
        result = self.sync(rows, conflict_policy="erpnext-wins")
        self.assertEqual((result.conflicts, result.held), (1, 1))
        conflict = result.conflict_rows[-1]
        self.assertEqual((conflict.outcome, conflict.attempts), ("unsettled", 3))
        self.assertEqual(result.accounted, result.considered)
        self.assertEqual(result.status, RunStatus.PARTIAL)
        self.assertEqual(result.confirmed, ())

    def test_confirmed_levels_are_the_values_shopify_accepted(self):
        rows = self.warm_rows(5)
        result = self.sync(rows)
        self.assertEqual(
            sorted((c.inventory_item_id, c.quantity) for c in result.confirmed),
            sorted((r.inventory_item_id, r.quantity) for r in rows),
        )

    def test_on_hand_sets_on_hand_and_shopify_subtracts_its_own_orders(self):
        item = ITEM.format(1)
        self.catalog.set_available(item, LOC, 10)
        self.assertTrue(self.catalog.sell(item, LOC, 3))  # available 7, committed 3, on_hand 10
        result = self.sync(
            [StockRow(location_id=LOC, quantity=12, inventory_item_id=item, change_from=10)],
            quantity_name="on_hand",
        )
        self.assertEqual((result.pushed, result.conflicts), (1, 0))
        self.assertEqual(self.catalog.available(item, LOC), 9)
        self.assertEqual(self.catalog.committed_units(item, LOC), 3)

    def test_unstocked_rows_are_reported_with_the_option_name_or_activated(self):
        self.catalog.unstock(ITEM.format(2), LOC)
        rows = self.warm_rows(2)
        off = self.sync(rows)
        self.assertEqual(off.failed, 1)
        self.assertIn("connect items to mapped locations", off.failures[0].message)
        on = self.sync(rows, activate_unstocked=True)
        self.assertEqual((on.failed, on.activated), (0, 1))
        self.assertEqual(on.accounted, on.considered)
        self.assertShopifyEquals(rows)
        self.assertEqual(self.emulator.stats.calls_by_operation["ActivateInventory"], 1)


class ConflictReadFailureTest(EmulatedShopTest):
    items = 5

    def test_answers_of_the_wrong_shape_fail_the_conflicted_rows_never_the_run(self):
        from nexwave_inventory_sync.emulator import Fault

        self.catalog.set_available(ITEM.format(1), LOC, 9)
        rows = [
            StockRow(
                location_id=LOC, quantity=10, inventory_item_id=ITEM.format(1), change_from=12, ref="ITEM-1"
            )
        ]
        for fault in (
            Fault.status(200, body='{"data": {"nodes": "not a list"}}'),
            Fault.status(
                200, body='{"data": {"nodes": [{"inventoryLevel": {"quantities": [{"name": "available"}]}}]}}'
            ),
            Fault.graphql_error("INTERNAL_SERVER_ERROR"),
        ):
            with self.subTest(fault=fault.label):
                self.emulator.faults.clear()
                self.emulator.faults.script(*[fault] * 5, operation="InventoryLevelsAt")
                result = self.sync(rows)
                self.assertFalse(result.aborted)
                self.assertEqual(result.conflicts, 1)
                outcome = result.conflict_rows[0].outcome
                self.assertIn(outcome, ("failed",))
                self.assertEqual(self.catalog.available(ITEM.format(1), LOC), 9)


class ActivationResendTest(EmulatedShopTest):
    items = 3

    def test_a_single_unstocked_row_is_activated_and_lands(self):
        # The resend holds exactly the rows of the refused batch: it must not reuse its key
        # (Shopify would replay the refusal).
        self.catalog.unstock(ITEM.format(1), LOC)
        rows = self.warm_rows(1)
        result = self.sync(rows, activate_unstocked=True)
        self.assertEqual((result.failed, result.activated, result.pushed), (0, 1, 1))
        self.assertShopifyEquals(rows)


class MultiLocationActivationTest(EmulatedShopTest):
    items = 4
    locations = 3

    def test_an_item_missing_at_several_locations_is_activated_in_one_call(self):
        for j in (2, 3):
            self.catalog.unstock(ITEM.format(1), f"gid://shopify/Location/{j}")
        self.catalog.unstock(ITEM.format(2), "gid://shopify/Location/3")
        rows = self.warm_rows()
        result = self.sync(rows, activate_unstocked=True)
        self.assertEqual((result.failed, result.activated), (0, 3))
        self.assertShopifyEquals(rows)
        calls = self.emulator.stats.calls_by_operation
        self.assertEqual((calls["ActivateAtLocations"], calls["ActivateInventory"]), (1, 1))
        self.assertEqual(result.accounted, result.considered)


class HeldSalesTest(EmulatedShopTest):
    """N1 (docs/reliability.md): keep-shopify-sales kept a sale ERPNext had not imported for one
    run only. Runs here are the app's: select_delta against the stored levels, then the run,
    whose confirmed levels are stored for the next."""

    items = 5

    def setUp(self) -> None:
        super().setUp()
        self.item = ITEM.format(1)
        self.levels: dict = {}
        self.catalog.set_available(self.item, LOC, 0)

    def run_with(self, erpnext: int, policy: str = "keep-shopify-sales"):
        from nexwave_inventory_sync.sync.conflicts import keeps_held
        from nexwave_inventory_sync.sync.delta import select_delta

        row = StockRow(location_id=LOC, quantity=erpnext, inventory_item_id=self.item, ref="ITEM-1")
        keep = keeps_held(ConflictPolicy.parse(policy))
        selection = select_delta([row], self.levels.values(), keep_held=keep)
        result = self.sync(list(selection.to_push), conflict_policy=policy)
        for level in result.confirmed:
            self.levels[level.key] = level
        return result

    def shopify(self) -> int:
        return self.catalog.available(self.item, LOC)

    def test_a_sale_not_imported_yet_stays_off_shopify_until_erpnext_imports_it(self):
        self.run_with(10)
        self.assertTrue(self.catalog.sell(self.item, LOC, 3))  # Shopify 7, ERPNext knows nothing
        self.run_with(12)  # a receipt of 2: the conflict keeps the 3 sold
        self.assertEqual(self.shopify(), 9)
        result = self.run_with(12)  # ERPNext unchanged, the order still not imported
        self.assertEqual(self.shopify(), 9, "the 3 sold units were offered again")
        self.assertEqual(result.pushed, 0)
        self.run_with(11)  # one of the 3 imported (a partial import): 2 still held
        self.assertEqual(self.shopify(), 9)
        self.run_with(14)  # a receipt of 3 while 2 are still not imported
        self.assertEqual(self.shopify(), 12)
        self.run_with(12)  # the last 2 imported: nothing held any more
        self.assertEqual(self.shopify(), 12)
        self.run_with(10)  # a sale on another channel: ERPNext's figure again
        self.assertEqual(self.shopify(), 10)

    def test_a_second_sale_adds_to_the_units_held(self):
        self.run_with(10)
        self.assertTrue(self.catalog.sell(self.item, LOC, 3))
        self.run_with(12)  # 9 on Shopify, 3 held
        self.assertTrue(self.catalog.sell(self.item, LOC, 1))  # 8 on Shopify
        self.run_with(15)  # a receipt of 3: 15 - 4 not imported
        self.assertEqual(self.shopify(), 11)
        self.run_with(15)
        self.assertEqual(self.shopify(), 11)
        self.run_with(11)  # all 4 imported
        self.assertEqual(self.shopify(), 11)
        self.run_with(13)
        self.assertEqual(self.shopify(), 13)

    def test_a_store_switched_to_erpnext_wins_sends_erpnexts_figure(self):
        self.run_with(10)
        self.assertTrue(self.catalog.sell(self.item, LOC, 3))
        self.run_with(12)  # 9 on Shopify, 3 held
        result = self.run_with(12, policy="erpnext-wins")  # ERPNext unchanged: the hold is released
        self.assertEqual(self.shopify(), 12)
        self.assertEqual([level.held for level in result.confirmed], [0])

    def test_erpnext_wins_holds_nothing(self):
        self.run_with(10)
        self.assertTrue(self.catalog.sell(self.item, LOC, 3))
        row = StockRow(location_id=LOC, quantity=12, inventory_item_id=self.item, ref="ITEM-1")
        from nexwave_inventory_sync.sync.delta import select_delta

        selection = select_delta([row], self.levels.values())
        result = self.sync(list(selection.to_push), conflict_policy="erpnext-wins")
        self.assertEqual(self.shopify(), 12)
        self.assertEqual([level.held for level in result.confirmed], [0])
