# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Kits and bundles (issue 18 §1) on a real ERPNext: a Product Bundle's own figure from its
components, brought into a changed-items read by a component; and Shopify's own bundles
(requiresComponents), never sent."""

import frappe

from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import age, item, item_store_row, receive
from nexwave_inventory_sync.testing.stores import LOC1, LOC2, TruthStoreMixin


def product_bundle(parent: str, components: list[tuple[str, float]]) -> str:
    doc = frappe.get_doc(
        {
            "doctype": "Product Bundle",
            "new_item_code": parent,
            "items": [{"item_code": code, "qty": qty} for code, qty in components],
        }
    ).insert(ignore_permissions=True)
    return doc.name


class TestBundles(TruthStoreMixin, IntegrationTestCase):
    warehouse_prefix = "Kits"

    def coded(self, name, **extra):
        code = f"KIT-{frappe.generate_hash(length=5)}-{name}"
        item(code, **extra)
        self.shop.catalog.add_variant(code)
        return code

    def test_a_product_bundle_gets_the_figure_its_components_make(self):
        mug, box = self.coded("MUG"), self.coded("BOX")
        kit = self.coded("SET", is_stock_item=0)  # ERPNext keeps a bundle's parent non-stock
        product_bundle(kit, [(mug, 2), (box, 1)])
        receive([(mug, self.wh1, 7), (box, self.wh1, 5), (mug, self.wh3, 4)])
        name = self.make_store(safety_buffer=1)
        log = self.sync(name)
        self.assertEqual(log.status, "Success", log.error)
        # LOC1: mugs 7 − 1 = 6 make 3 sets, boxes 5 − 1 = 4 make 4: 3. LOC2: no box there: 0.
        self.assertEqual((self.shop.available(kit, LOC1), self.shop.available(kit, LOC2)), (3, 0))
        # The mugs sold alone keep their own figure: counted once, not less the sets.
        self.assertEqual((self.shop.available(mug, LOC1), self.shop.available(box, LOC1)), (6, 4))
        self.assertEqual(self.levels(name)[(kit, LOC1)], 3)
        self.assertEqual(self.sync(name).pushed, 0)  # nothing moved: nothing sent
        # A component moves: the changed-items read brings the bundle along.
        age(name, [mug, box, kit])
        receive([(mug, self.wh1, 4)])
        moved = self.sync(name)
        self.assertIn("items that changed", moved.stock_read)
        self.assertEqual(self.shop.available(kit, LOC1), 4)  # mugs 10 make 5, boxes 4 make 4
        self.assertEqual(self.shop.available(mug, LOC1), 10)

    def test_an_own_safety_stock_on_the_bundle_and_a_bundle_without_sku_or_disabled(self):
        mug = self.coded("MUG")
        kit = self.coded("SET", is_stock_item=0)
        product_bundle(kit, [(mug, 1)])
        receive([(mug, self.wh1, 9)])
        name = self.make_store(safety_buffer=2)
        item_store_row(kit, name, own_safety_stock=1, safety_stock=3)
        self.sync(name)
        self.assertEqual(self.shop.available(kit, LOC1), 4)  # (9 − 2) − 3: the store's buffer once
        frappe.db.set_value("Product Bundle", {"new_item_code": kit}, "disabled", 1)
        self.sync(name)
        self.assertEqual(self.shop.available(kit, LOC1), 0)  # left the sync: zeroed like any item

    def test_shopify_bundles_are_never_sent_and_listed_once(self):
        plain, shop_kit = self.coded("PLAIN"), self.coded("SHOPKIT")
        variant = next(v for v in self.shop.catalog.variants if v["sku"] == shop_kit)
        self.shop.catalog.set_requires_components(variant["id"])
        receive([(plain, self.wh1, 3), (shop_kit, self.wh1, 5), (shop_kit, self.wh3, 2)])
        name = self.make_store()
        log = self.sync(name)
        self.assertEqual((log.status, log.failed), ("Success", 0), log.error)
        self.assertEqual(
            log.shopify_bundles, f"Shopify bundle: stock comes from its components (1): {shop_kit}"
        )
        self.assertEqual(self.shop.available(shop_kit, LOC1), 0)  # as Shopify derives it, untouched
        self.assertEqual(self.shop.available(plain, LOC1), 3)
        cached = frappe.get_all(
            "Item Shopify Store",
            filters={"parent": shop_kit, "shopify_store": name},
            fields=["shopify_bundle", "tracked"],
        )
        self.assertEqual([(c.shopify_bundle, c.tracked) for c in cached], [(1, 0)])
        frappe.db.set_value("Shopify Store", name, "stock_read_at", None)  # read everything again
        self.shop.emulator.stats.reset()
        again = self.sync(name)
        self.assertEqual((again.failed, again.api_calls), (0, 0), again.error)
        self.assertIn(shop_kit, again.shopify_bundles)
