import unittest
from decimal import Decimal

from nexwave_inventory_sync.sync.quantity import MAX_QUANTITY, QuantityError, item_figure, shopify_quantity


class QuantityRuleTest(unittest.TestCase):
    def test_floors_fractions(self):
        self.assertEqual(shopify_quantity(5.9), 5)
        self.assertEqual(shopify_quantity(Decimal("0.999")), 0)
        self.assertEqual(shopify_quantity("7.5"), 7)

    def test_float_noise_does_not_cost_a_unit(self):
        self.assertEqual(shopify_quantity(0.1 + 0.2 + 4.7), 5)  # 4.999999999999999 in floats
        self.assertEqual(shopify_quantity(4.9999999), 5)

    def test_negative_clamps_to_zero(self):
        self.assertEqual(shopify_quantity(-3), 0)
        self.assertEqual(shopify_quantity(-0.5), 0)

    def test_safety_buffer_is_held_back_then_clamped(self):
        self.assertEqual(shopify_quantity(10, safety_buffer=3), 7)
        self.assertEqual(shopify_quantity(2, safety_buffer=5), 0)
        self.assertEqual(shopify_quantity(10.5, safety_buffer=0.5), 10)

    def test_maximum_is_allowed_and_above_is_refused(self):
        self.assertEqual(shopify_quantity(MAX_QUANTITY), MAX_QUANTITY)
        self.assertEqual(shopify_quantity(MAX_QUANTITY + 0.5), MAX_QUANTITY)
        with self.assertRaises(QuantityError) as caught:
            shopify_quantity(MAX_QUANTITY + 1)
        self.assertEqual(caught.exception.code, "INVALID_QUANTITY_TOO_HIGH")

    def test_not_a_number_is_refused(self):
        for bad in ("abc", float("nan"), float("inf"), None):
            with self.subTest(bad=bad), self.assertRaises(QuantityError) as caught:
                shopify_quantity(bad)
            self.assertEqual(caught.exception.code, "INVALID_QUANTITY")


class TestItemFigure(unittest.TestCase):
    """Issue 18: an item's own safety stock and the unit Shopify sells in, handed to the engine's
    one quantity rule (which applies the store's buffer)."""

    def pushed(self, stock, store_buffer=0, **item):
        return shopify_quantity(item_figure(stock, store_buffer=store_buffer, **item), store_buffer)

    def test_no_item_settings_hand_over_erpnexts_figure_untouched(self):
        self.assertIs(item_figure(12.5), 12.5)
        self.assertEqual(self.pushed(12.5, store_buffer=2), 10)

    def test_the_items_safety_stock_replaces_the_stores_buffer(self):
        self.assertEqual(self.pushed(10, store_buffer=2, item_buffer=5), 5)
        self.assertEqual(self.pushed(10, store_buffer=5, item_buffer=0), 10)
        self.assertEqual(self.pushed(3, store_buffer=0, item_buffer=5), 0)  # clamps at 0
        self.assertEqual(self.pushed(10.7, store_buffer=0.5, item_buffer=1), 9)

    def test_the_sales_unit_divides_before_the_floor(self):
        self.assertEqual(self.pushed(30, factor=12), 2)  # 30 pieces are 2 full boxes of 12
        self.assertEqual(self.pushed(5.5, factor=0.5), 11)  # 5.5 kg in 0.5 kg bags
        self.assertEqual(self.pushed(24.0000001, factor=12), 2)  # float noise is not a unit
        self.assertEqual(self.pushed(35.9, factor=12, item_buffer=1, store_buffer=3), 1)

    def test_a_bad_factor_or_figure_is_not_used(self):
        self.assertEqual(item_figure(10, factor=0), 10)
        self.assertEqual(item_figure("nan", factor=2), "nan")
        with self.assertRaises(ValueError):
            item_figure(10, item_buffer=-1)
