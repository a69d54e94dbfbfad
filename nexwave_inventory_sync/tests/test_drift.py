"""Reconciliation's comparison: pure."""

import unittest

from nexwave_inventory_sync.sync.drift import compare_levels
from nexwave_inventory_sync.sync.results import StockRow

LOC = "gid://shopify/Location/1"


def key(i):
    return (f"gid://shopify/InventoryItem/{i}", LOC)


def rows(*quantities):
    return [
        StockRow(
            location_id=LOC, quantity=q, inventory_item_id=f"gid://shopify/InventoryItem/{i}", ref=f"ITEM-{i}"
        )
        for i, q in enumerate(quantities, start=1)
    ]


class CompareLevelsTest(unittest.TestCase):
    def test_shopify_above_erpnext_is_corrected_at_once_with_compare(self):
        plan = compare_levels(rows(5, 5), {key(1): 8, key(2): 5})
        self.assertEqual((plan.compared, len(plan.drifted)), (2, 1))
        self.assertEqual([(r.quantity, r.change_from) for r in plan.corrections], [(5, 8)])
        self.assertEqual(plan.drift_percent, 50.0)

    def test_a_shortfall_waits_for_the_next_reconciliation_in_available_mode(self):
        first = compare_levels(rows(10), {key(1): 7})
        self.assertEqual((first.corrections, first.drifted[0].action), ((), "wait"))
        self.assertEqual(first.shortfalls, {key(1): 3})
        # Still 3 short an hour later: not an unimported order; corrected.
        second = compare_levels(rows(10), {key(1): 7}, previous_shortfalls=first.shortfalls)
        self.assertEqual([(r.quantity, r.change_from) for r in second.corrections], [(10, 7)])

    def test_only_the_shortfall_seen_last_time_is_corrected(self):
        # 2 short last time, 5 now: 3 may be new sales ERPNext has not imported.
        plan = compare_levels(rows(10), {key(1): 5}, previous_shortfalls={key(1): 2})
        self.assertEqual([r.quantity for r in plan.corrections], [7])
        self.assertEqual(plan.drifted[0].action, "partial")

    def test_on_hand_mode_is_exact(self):
        plan = compare_levels(rows(10), {key(1): 7}, mode="on_hand")
        self.assertEqual([r.quantity for r in plan.corrections], [10])

    def test_tolerance(self):
        plan = compare_levels(rows(10, 10), {key(1): 11, key(2): 13}, tolerance=1)
        self.assertEqual([d.ref for d in plan.drifted], ["ITEM-2"])

    def test_safety_buffer_is_applied_once(self):
        plan = compare_levels(rows(10), {key(1): 9}, safety_buffer=2)
        self.assertEqual(plan.drifted[0].erpnext, 8)
        from nexwave_inventory_sync.sync.quantity import shopify_quantity

        self.assertEqual(shopify_quantity(plan.corrections[0].quantity, 2), 8)

    def test_rows_shopify_has_no_level_for(self):
        plan = compare_levels(rows(1, 2), {key(1): 1})
        self.assertEqual([r.ref for r in plan.not_stocked], ["ITEM-2"])
        self.assertEqual(plan.compared, 1)

    def test_largest_differences_first(self):
        plan = compare_levels(rows(1, 1, 1), {key(1): 2, key(2): 9, key(3): 4})
        self.assertEqual([d.ref for d in plan.largest(2)], ["ITEM-2", "ITEM-3"])
