# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Choosing what syncs, per store and per item, and a per-item safety stock (issue 18 §3), on a
real ERPNext (Item Groups, Brands, Items) against the emulator."""

import frappe

from nexwave_inventory_sync.erpnext_side import item_choice
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import age, brand, item, item_group, item_store_row, receive
from nexwave_inventory_sync.testing.stores import LOC1, TruthStoreMixin


class TestItemChoice(TruthStoreMixin, IntegrationTestCase):
    warehouse_prefix = "Choice"

    def setUp(self):
        super().setUp()
        tag = frappe.generate_hash(length=5)
        self.parent_group = item_group(f"Choice Parent {tag}", is_group=1)
        self.child_group = item_group(f"Choice Child {tag}", parent=self.parent_group)
        self.other_group = item_group(f"Choice Other {tag}")
        self.brand = brand(f"Choice Brand {tag}")
        self.tag = tag

    def coded(self, name, **extra):
        code = f"CHOICE-{self.tag}-{name}"
        item(code, **extra)
        self.shop.catalog.add_variant(code)
        return code

    def test_only_chosen_groups_and_brands_sync_the_rest_is_left_as_shopify_has_it(self):
        in_child = self.coded("CHILD", item_group=self.child_group)
        by_brand = self.coded("BRAND", item_group=self.other_group, brand=self.brand)
        other = self.coded("OTHER", item_group=self.other_group)
        receive([(in_child, self.wh1, 3), (by_brand, self.wh1, 4), (other, self.wh1, 5)])
        name = self.make_store()
        self.assertEqual(self.sync(name).pushed, 3)
        store = frappe.get_doc("Shopify Store", name)
        store.sync_items = item_choice.CHOSEN
        store.append("sync_item_groups", {"item_group": self.parent_group})
        store.append("sync_brands", {"brand": self.brand})
        store.save()
        receive([(in_child, self.wh1, 1), (other, self.wh1, 1)])
        log = self.sync(name)
        self.assertEqual((log.status, log.zeroed), ("Success", 0), log.error)
        self.assertEqual(self.shop.available(in_child, LOC1), 4)  # a group under the chosen one
        self.assertEqual(self.shop.available(other, LOC1), 5)  # taken out: left, not zeroed nor moved
        self.assertNotIn((other, LOC1), self.levels(name))  # its level is forgotten
        self.assertIn((by_brand, LOC1), self.levels(name))
        # Shopify sells it while it is out of the sync; put back, it is pushed at the next run.
        self.shop.catalog.set_available(self.inventory_item(other), LOC1, 2)
        store.reload()
        store.append("sync_item_groups", {"item_group": self.other_group})
        store.save()
        back = self.sync(name)
        self.assertEqual((back.status, back.conflicts), ("Success", 0), back.error)
        self.assertEqual(self.shop.available(other, LOC1), 6)

    def test_the_items_switch_takes_it_out_and_puts_it_back(self):
        kept, switched = self.coded("KEPT"), self.coded("SWITCHED")
        receive([(kept, self.wh1, 3), (switched, self.wh1, 4)])
        name = self.make_store()
        self.sync(name)
        item_store_row(switched, name, leave_out_of_sync=1)
        frappe.db.delete("Bin", {"item_code": switched})  # would be zeroed if it still synced
        log = self.sync(name)
        self.assertEqual((log.status, log.zeroed), ("Success", 0), log.error)
        self.assertEqual(self.shop.available(switched, LOC1), 4)
        self.assertNotIn((switched, LOC1), self.levels(name))
        receive([(switched, self.wh1, 2)])
        self.assertEqual(self.sync(name).pushed, 0)  # still out: its stock moved, nothing sent
        age(name, [kept, switched])
        item_store_row(switched, name, leave_out_of_sync=0)
        back = self.sync(name)  # a changed-items read: the Item changed
        self.assertIn("items that changed", back.stock_read)
        # ERPNext rebuilt the deleted Bin from its ledger: 4 + 2.
        self.assertEqual(self.shop.available(switched, LOC1), 6)

    def test_a_row_written_by_code_without_the_tick_keeps_the_item_in_the_sync(self):
        """A cache row inserted by code (as the ecommerce_integrations hand-over does) has no
        value for the tick: it must read as "syncs" (a "Sync to Shopify" default of 1 read 0
        there and took the item out)."""
        code = self.coded("CODED")
        receive([(code, self.wh1, 3)])
        name = self.make_store()
        frappe.get_doc(
            {
                "doctype": "Item Shopify Store",
                "parent": code,
                "parenttype": "Item",
                "parentfield": "shopify_stores",
                "idx": 1,
                "shopify_store": name,
            }
        ).db_insert()
        self.assertEqual(self.sync(name).pushed, 1)
        self.assertEqual(self.shop.available(code, LOC1), 3)

    def test_an_item_switched_off_before_its_first_run_is_never_looked_up(self):
        new = self.coded("NEW")
        receive([(new, self.wh1, 3)])
        name = self.make_store()
        item_store_row(new, name, leave_out_of_sync=1)
        log = self.sync(name)
        self.assertEqual((log.considered, log.skipped_unmapped, log.pushed), (0, 0, 0))
        self.assertEqual(self.shop.available(new, LOC1), 0)

    def test_an_items_own_safety_stock_replaces_the_stores_buffer(self):
        own, zero_own, default = self.coded("OWN"), self.coded("ZERO"), self.coded("DEFAULT")
        receive([(own, self.wh1, 10), (zero_own, self.wh1, 10), (default, self.wh1, 10)])
        name = self.make_store(safety_buffer=2)
        item_store_row(own, name, own_safety_stock=1, safety_stock=5)
        item_store_row(zero_own, name, own_safety_stock=1, safety_stock=0)
        self.sync(name)
        figures = {code: self.shop.available(code, LOC1) for code in (own, zero_own, default)}
        self.assertEqual(figures, {own: 5, zero_own: 10, default: 8})
        self.assertEqual(self.sync(name).pushed, 0)  # confirmed as pushed: nothing to resend
        with self.assertRaises(frappe.ValidationError):
            item_store_row(own, name, own_safety_stock=1, safety_stock=-1)
