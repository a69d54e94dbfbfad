"""Reconciliation's comparison: pure."""

import unittest
from dataclasses import replace

from nexwave_inventory_sync.sync.drift import compare_levels, levels_to_confirm
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
        self.assertEqual([r.target for r in plan.corrections], [7])
        self.assertEqual(plan.drifted[0].action, "partial")

    def test_on_hand_mode_corrects_more_on_shopify_at_once(self):
        plan = compare_levels(rows(10), {key(1): 13}, mode="on_hand")
        self.assertEqual([(r.quantity, r.change_from) for r in plan.corrections], [(10, 13)])

    def test_on_hand_shortfall_waits_like_an_available_one(self):
        # D6: Shopify fulfilled 2 (on_hand 8) before ERPNext booked the Delivery Note (10):
        # pushing 10 would make Shopify sell 2 units already shipped.
        first = compare_levels(rows(10), {key(1): 8}, mode="on_hand")
        self.assertEqual((first.corrections, first.drifted[0].action), ((), "wait"))
        self.assertEqual(first.shortfalls, {key(1): 2})
        self.assertEqual(levels_to_confirm(first, {key(1): 8}, {key(1): 10}), {key(1): 10})
        # Still 2 short at the next reconciliation: no unbooked delivery takes an hour.
        second = compare_levels(rows(10), {key(1): 8}, mode="on_hand", previous_shortfalls=first.shortfalls)
        self.assertEqual([(r.quantity, r.change_from) for r in second.corrections], [(10, 8)])

    def test_a_shortfall_inside_the_tolerance_keeps_its_previous_confirmed_level(self):
        # D5: Shopify sold 1 ERPNext has not imported (9 vs 10), tolerance 1: not drift, but
        # confirming 9 would let the next delta push send 10 over the sale.
        read = {key(1): 9, key(2): 11, key(3): 10}
        plan = compare_levels(rows(10, 10, 10), read, tolerance=1)
        self.assertEqual((plan.drifted, plan.corrections), ((), ()))
        previous = {key(1): 10, key(2): 10, key(3): 10}
        self.assertEqual(levels_to_confirm(plan, read, previous), {key(1): 10, key(2): 11, key(3): 10})
        self.assertEqual(plan.shortfalls, {key(1): 1})
        # Grown past the tolerance later: the unit seen last time is corrected, not the new ones.
        later = compare_levels(rows(10), {key(1): 7}, tolerance=1, previous_shortfalls=plan.shortfalls)
        self.assertEqual([(d.action, d.target) for d in later.drifted], [("partial", 8)])

    def test_untracked_items_are_not_compared_nor_drift(self):
        # D8: Shopify does not track item 1 (cached) nor item 2 (as the read found it); a
        # push skips such rows, so no reconciliation could ever correct them.
        cached = rows(7, 7, 7)
        cached[0] = replace(cached[0], tracked=False)
        read = {key(1): 0, key(2): 0, key(3): 7}
        plan = compare_levels(cached, read, tracked={key(2)[0]: False, key(3)[0]: True})
        self.assertEqual((plan.compared, plan.drifted, plan.corrections), (1, (), ()))
        self.assertEqual([r.ref for r in plan.untracked], ["ITEM-1", "ITEM-2"])
        self.assertEqual(plan.drift_percent, 0.0)
        # Tracking turned on since the cache learnt it: the read's answer wins, and the
        # correction row says so (a cached False would make the push skip it).
        fresh = compare_levels(cached, {key(1): 9, key(2): 7, key(3): 7}, tracked={key(1)[0]: True})
        self.assertEqual([(r.ref, r.tracked) for r in fresh.corrections], [("ITEM-1", True)])

    def test_tolerance(self):
        plan = compare_levels(rows(10, 10), {key(1): 11, key(2): 13}, tolerance=1)
        self.assertEqual([d.ref for d in plan.drifted], ["ITEM-2"])

    def test_safety_buffer_is_applied_once(self):
        plan = compare_levels(rows(10), {key(1): 9}, safety_buffer=2)
        self.assertEqual(plan.drifted[0].erpnext, 8)
        from nexwave_inventory_sync.sync.quantity import row_quantity

        # The correction carries the rule's figure as its target: the run sets it as it is,
        # whatever the buffer (issue 20 §3: the rule is never undone and applied again).
        self.assertEqual(plan.corrections[0].target, 8)
        self.assertEqual(row_quantity(plan.corrections[0], 2), 8)
        self.assertEqual(row_quantity(plan.corrections[0], 5), 8)

    def test_rows_shopify_has_no_level_for(self):
        plan = compare_levels(rows(1, 2), {key(1): 1})
        self.assertEqual([r.ref for r in plan.not_stocked], ["ITEM-2"])
        self.assertEqual(plan.compared, 1)

    def test_largest_differences_first(self):
        plan = compare_levels(rows(1, 1, 1), {key(1): 2, key(2): 9, key(3): 4})
        self.assertEqual([d.ref for d in plan.largest(2)], ["ITEM-2", "ITEM-3"])
