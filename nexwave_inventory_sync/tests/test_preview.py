"""The preview of a run (issue 18 §6): what select_delta would send, with the confirmed and
Shopify's figures and the conflicts they mean, and no write to Shopify."""

import unittest

from nexwave_inventory_sync.sync.delta import ConfirmedLevel, select_delta
from nexwave_inventory_sync.sync.preview import CHANGE, LOOK_UP, SET, ZERO, preview_rows, read_current
from nexwave_inventory_sync.sync.results import StockRow

from .emulated_shop import EmulatedShopTest

LOC1 = "gid://shopify/Location/1"


def item(n):
    return f"gid://shopify/InventoryItem/{n}"


class PreviewRowsTest(unittest.TestCase):
    def test_each_kind_of_row_and_the_conflicts_shopify_figures_mean(self):
        rows = [
            StockRow(LOC1, 7.5, inventory_item_id=item(1), ref="A"),  # confirmed 5: a change
            StockRow(LOC1, 3, inventory_item_id=item(2), ref="B"),  # never confirmed: a set
            StockRow(LOC1, 4, sku="NEW", ref="C"),  # no id yet
            StockRow(LOC1, 9, inventory_item_id=item(4), ref="D"),  # unchanged: not sent
        ]
        confirmed = [
            ConfirmedLevel(item(1), LOC1, 5, ref="A"),
            ConfirmedLevel(item(4), LOC1, 8, ref="D"),
            ConfirmedLevel(item(5), LOC1, 6, ref="GONE"),  # left the read: zeroed
        ]
        selection = select_delta(rows, confirmed, safety_buffer=1)
        shopify = {(item(1), LOC1): 4, (item(2), LOC1): 0, (item(5), LOC1): 6}
        preview = {row.ref: row for row in preview_rows(selection.to_push, 1, shopify)}
        self.assertEqual(set(preview), {"A", "B", "C", "GONE"})
        a = preview["A"]
        self.assertEqual((a.action, a.erpnext, a.confirmed, a.shopify, a.conflict), (CHANGE, 6, 5, 4, True))
        self.assertIn("Shopify shows 4, not the confirmed 5", a.note)
        self.assertEqual((preview["B"].action, preview["B"].erpnext, preview["B"].conflict), (SET, 2, False))
        self.assertEqual((preview["C"].action, preview["C"].shopify), (LOOK_UP, None))
        gone = preview["GONE"]
        self.assertEqual((gone.action, gone.erpnext, gone.confirmed, gone.conflict), (ZERO, 0, 6, False))

    def test_a_row_holding_sales_back_shows_the_figure_the_run_would_send(self):
        # Its level keeps 3 Shopify sales back (N1): the run sends 11 of ERPNext's 14, not 14.
        rows = [StockRow(LOC1, 14, inventory_item_id=item(1), ref="A")]
        selection = select_delta(rows, [ConfirmedLevel(item(1), LOC1, 9, ref="A", held=3)])
        [row] = preview_rows(selection.to_push, 0, {(item(1), LOC1): 9})
        self.assertEqual((row.erpnext, row.confirmed, row.conflict), (11, 9, False))


class ReadCurrentTest(EmulatedShopTest):
    items = 5
    locations = 1

    def test_one_read_and_no_write(self):
        rows = self.warm_rows()
        read = read_current(self.endpoint(), rows + [StockRow(LOC1, 1, sku="SKU-000001")])
        self.assertIsNone(read.error)
        self.assertEqual(len(read.figures), 5)
        self.assertEqual(read.figures[(item(2), LOC1)], self.catalog.available(item(2), LOC1))
        self.assertEqual(read.calls, 1)
        self.assertNotIn("SetInventoryQuantities", self.emulator.stats.calls_by_operation)

    def test_a_failed_read_is_reported_not_raised(self):
        read = read_current(self.endpoint(token="shpat_wrong"), self.warm_rows())
        self.assertEqual(read.figures, {})
        self.assertTrue(read.error)
