"""Typed work lists (issue 20 §3): a row Shopify refused in a batch stays the ReadyRow it was
sent as, so the steps after the batches take it as it is instead of rebuilding it."""

from __future__ import annotations

import unittest

from nexwave_inventory_sync.sync.push import ReadyRow, Refusal
from nexwave_inventory_sync.sync.results import RowFailure, StockRow
from nexwave_inventory_sync.sync.tally import Tally

ITEM = "gid://shopify/InventoryItem/7"
LOC = "gid://shopify/Location/3"


def sent(quantity: int = 5, change_from: int | None = 9) -> ReadyRow:
    row = StockRow(
        location_id="3", quantity=quantity, inventory_item_id="7", sku="A", change_from=change_from
    )
    return ReadyRow(row, ITEM, LOC, quantity)


class WorkListTest(unittest.TestCase):
    def test_a_refused_row_keeps_the_row_it_was_sent_as(self):
        ready = sent()
        refused = ready.failure("CHANGE_FROM_QUANTITY_STALE", "stale")
        self.assertIsInstance(refused, Refusal)
        self.assertIs(refused.ready, ready)
        self.assertTrue(refused.conflict)
        self.assertEqual((refused.quantity, refused.inventory_item_id), (5, ITEM))

    def test_take_moves_only_the_wanted_refusals_out_of_the_failures(self):
        tally = Tally()
        stale = sent().failure("CHANGE_FROM_QUANTITY_STALE", "stale")
        unstocked = sent(3).failure("ITEM_NOT_STOCKED_AT_LOCATION", "not stocked")
        before_sending = RowFailure(
            StockRow(location_id="3", quantity="x"), "INVALID_QUANTITY", "not a number"
        )
        tally.failures = [stale, before_sending, unstocked]
        self.assertEqual(tally.take(lambda f: f.conflict), [stale])
        self.assertEqual(tally.failures, [before_sending, unstocked])
        # A failure from before sending is never work for a later step, whatever its code.
        self.assertEqual(tally.take(lambda f: True), [unstocked])
        self.assertEqual(tally.failures, [before_sending])
