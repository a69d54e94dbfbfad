import unittest
from decimal import Decimal

from nexwave_inventory_sync.sync.quantity import MAX_QUANTITY, QuantityError, shopify_quantity


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
