"""The delta selector: pure, no emulator."""

import unittest

from nexwave_inventory_sync.sync.delta import ConfirmedLevel, level_key, select_delta, unsettled_rows
from nexwave_inventory_sync.sync.results import StockRow

LOC = "gid://shopify/Location/1"


def row(i: int, quantity, **kw) -> StockRow:
    return StockRow(
        location_id=LOC,
        quantity=quantity,
        inventory_item_id=f"gid://shopify/InventoryItem/{i}",
        ref=f"ITEM-{i}",
        **kw,
    )


def confirmed(i: int, quantity: int) -> ConfirmedLevel:
    return ConfirmedLevel(f"gid://shopify/InventoryItem/{i}", LOC, quantity, ref=f"ITEM-{i}")


class SelectDeltaTest(unittest.TestCase):
    def test_unchanged_rows_are_left_out_and_changed_ones_carry_the_confirmed_level(self):
        rows = [row(i, 10) for i in range(1, 101)] + [row(101, 7)]
        levels = [confirmed(i, 10) for i in range(1, 101)] + [confirmed(101, 9)]
        selection = select_delta(rows, levels)
        self.assertEqual(selection.unchanged, 100)
        self.assertEqual([(r.ref, r.quantity, r.change_from) for r in selection.rows], [("ITEM-101", 7, 9)])
        self.assertEqual(selection.zero_rows, ())

    def test_never_confirmed_rows_are_pushed_without_compare(self):
        selection = select_delta([row(1, 3), StockRow(location_id="1", quantity=4, sku="SKU-1")], [])
        self.assertEqual([r.change_from for r in selection.rows], [None, None])

    def test_comparison_uses_the_quantity_rule(self):
        # 10.7 with a buffer of 2 is 8 on Shopify: equal to the confirmed 8, so unchanged.
        selection = select_delta([row(1, 10.7)], [confirmed(1, 8)], safety_buffer=2)
        self.assertEqual((selection.unchanged, selection.rows), (1, ()))

    def test_rows_that_left_the_stock_query_are_zeroed_with_compare(self):
        selection = select_delta([row(1, 5)], [confirmed(1, 5), confirmed(2, 4), confirmed(3, 0)])
        self.assertEqual(
            [(r.inventory_item_id, r.quantity, r.change_from, r.ref) for r in selection.zero_rows],
            [("gid://shopify/InventoryItem/2", 0, 4, "ITEM-2")],
        )
        self.assertEqual(select_delta([row(1, 5)], [confirmed(2, 4)], zero_missing=False).zero_rows, ())

    def test_full_sends_every_row_still_compare_and_set(self):
        selection = select_delta([row(1, 5), row(2, 6)], [confirmed(1, 5)], full=True)
        self.assertEqual([(r.quantity, r.change_from) for r in selection.rows], [(5, 5), (6, None)])

    def test_bare_numbers_and_gids_meet(self):
        selection = select_delta(
            [StockRow(location_id="1", quantity=5, inventory_item_id="1")], {level_key(1, 1): 5}
        )
        self.assertEqual(selection.unchanged, 1)


class UnsettledRowsTest(unittest.TestCase):
    def test_rows_shopify_did_not_confirm_are_named_by_item(self):
        sent = [row(1, 5), row(2, 6), row(3, 7, tracked=False)]
        self.assertEqual(unsettled_rows(sent, [confirmed(1, 5)]), {"ITEM-2"})
        self.assertEqual(unsettled_rows(sent, [confirmed(1, 5), confirmed(2, 6)]), set())

    def test_an_item_confirmed_at_one_location_and_not_the_other_is_unsettled(self):
        other = "gid://shopify/Location/2"
        sent = [row(1, 5), StockRow(location_id="2", quantity=4, inventory_item_id="9", ref="ITEM-1")]
        self.assertEqual(unsettled_rows(sent, [confirmed(1, 5)]), {"ITEM-1"})
        both = [confirmed(1, 5), ConfirmedLevel("gid://shopify/InventoryItem/9", other, 4, ref="ITEM-1")]
        self.assertEqual(unsettled_rows(sent, both), set())

    def test_a_row_without_a_ref_cannot_be_named(self):
        self.assertIsNone(unsettled_rows([StockRow(location_id=LOC, quantity=1, sku="S")], []))
