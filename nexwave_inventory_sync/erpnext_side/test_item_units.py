# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Shopify selling in the item's Sales UOM (issue 18 §2), on a real ERPNext: Items with UOM
Conversion Details, the store's setting and the item's override, against the emulator."""

import frappe

from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import FRACTIONAL_UOM, item, item_store_row, receive
from nexwave_inventory_sync.testing.stores import LOC1, TruthStoreMixin

BOX, BAG = "Shopify Test Box", "Shopify Test Bag"


def uom(name: str) -> str:
    if not frappe.db.exists("UOM", name):
        frappe.get_doc({"doctype": "UOM", "uom_name": name, "must_be_whole_number": 1}).insert(
            ignore_permissions=True
        )
    return name


class TestItemUnits(TruthStoreMixin, IntegrationTestCase):
    warehouse_prefix = "Units"

    def coded(self, name, sales=None):
        """An item in the fractional stock unit, sold in `sales` = (UOM, factor) when given."""
        code = f"UNITS-{frappe.generate_hash(length=5)}-{name}"
        extra = {}
        if sales:
            extra = {
                "sales_uom": uom(sales[0]),
                "uoms": [
                    {"uom": FRACTIONAL_UOM, "conversion_factor": 1},
                    {"uom": sales[0], "conversion_factor": sales[1]},
                ],
            }
        item(code, **extra)
        self.shop.catalog.add_variant(code)
        return code

    def test_the_store_sells_in_sales_uoms_floored_after_the_division(self):
        boxed = self.coded("BOX", (BOX, 12))
        bagged = self.coded("BAG", (BAG, 0.5))  # 0.5 stock units (kg) a bag
        short = self.coded("SHORT", (BAG, 0.5))
        plain = self.coded("PLAIN")
        kept_in_stock_uom = self.coded("OVERRIDE", (BOX, 12))
        receive(
            [
                (boxed, self.wh1, 30),
                (bagged, self.wh1, 5.5),
                (short, self.wh1, 5.4),
                (plain, self.wh1, 7),
                (kept_in_stock_uom, self.wh1, 30),
            ]
        )
        name = self.make_store(sell_in_sales_uom=1, safety_buffer=1)
        item_store_row(kept_in_stock_uom, name, shopify_unit="Stock UOM")
        log = self.sync(name)
        self.assertEqual(log.status, "Success", log.error)
        figures = {
            code: self.shop.available(code, LOC1) for code in (boxed, bagged, short, plain, kept_in_stock_uom)
        }
        # floor(30 ÷ 12) − 1, floor(5.5 ÷ 0.5) − 1, floor(5.4 ÷ 0.5) − 1, 7 − 1, 30 − 1
        self.assertEqual(figures, {boxed: 1, bagged: 10, short: 9, plain: 6, kept_in_stock_uom: 29})
        self.assertIn("Sales UOM: 3 items", log.units)
        self.assertIn(f"{boxed}: {BOX} (stock ÷ 12)", log.units)
        self.assertIn(f"{bagged}: {BAG} (stock ÷ 0.5)", log.units)
        self.assertIn("Stock UOM: 2 items", log.units)
        self.assertEqual(self.sync(name).pushed, 0)  # the confirmed figures are in the same unit

    def test_the_items_override_and_a_sales_uom_without_conversion(self):
        boxed = self.coded("BOX", (BOX, 12))
        no_conversion = self.coded("NOCONV")
        receive([(boxed, self.wh1, 25), (no_conversion, self.wh1, 25)])
        name = self.make_store()  # the store sells in stock UOMs
        item_store_row(boxed, name, shopify_unit="Sales UOM")
        item_store_row(no_conversion, name, shopify_unit="Sales UOM")
        log = self.sync(name)
        self.assertEqual(self.shop.available(boxed, LOC1), 2)
        self.assertEqual(self.shop.available(no_conversion, LOC1), 25)
        self.assertIn(f"Stock UOM, no Sales UOM conversion on the item: {no_conversion}", log.units)
