# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Bad ERPNext data: one clear message each, and the rest of the run goes on where it can."""

import frappe

from nexwave_inventory_sync.emulator import Fault
from nexwave_inventory_sync.erpnext_side.store_sync import run_store_sync
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import item, receive, store
from nexwave_inventory_sync.testing.stores import LOC1, LOC2, StoreSyncMixin

# A plain Data field on ERPNext's Item that tests may fill freely, standing in for a SKU field.
SKU_FIELD = "warranty_period"


class TestBadData(StoreSyncMixin, IntegrationTestCase):
    domain = "baddata-shop.myshopify.com"

    def sku_item(self, code, sku):
        item(code)
        frappe.db.set_value("Item", code, SKU_FIELD, sku)
        return code

    def sync(self, name):
        return frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))

    def test_an_item_without_sku_is_named_and_the_rest_lands(self):
        good = self.sku_item("SHOP-D1", "SKU-D1")
        self.shop.catalog.add_variant("SKU-D1")
        bare = self.sku_item("SHOP-D2", None)
        receive([(good, self.wh1, 4), (bare, self.wh1, 5)])
        log = self.sync(self.make_store(sku_field=SKU_FIELD))
        # Nothing in the SKU field: it cannot be on Shopify, a state and not a failure (issue 19).
        self.assertEqual((log.status, log.pushed, log.skipped_unmapped), ("Success", 1, 1))
        (row,) = log.failed_rows
        self.assertEqual((row.item_code, row.code), (bare, "NO_SKU"))
        self.assertIn(f"has no {SKU_FIELD}", row.message)

    def test_one_sku_on_two_items_holds_both_back_and_the_rest_lands(self):
        for code, sku in (("SHOP-D3", "SKU-DUP"), ("SHOP-D4", "SKU-DUP"), ("SHOP-D5", "SKU-D5")):
            self.sku_item(code, sku)
        self.shop.catalog.add_variant("SKU-DUP")
        self.shop.catalog.add_variant("SKU-D5")
        receive([("SHOP-D3", self.wh1, 1), ("SHOP-D4", self.wh1, 2), ("SHOP-D5", self.wh1, 3)])
        log = self.sync(self.make_store(sku_field=SKU_FIELD))
        self.assertEqual((log.status, log.pushed, log.failed), ("Partial", 1, 2))
        self.assertEqual({r.code for r in log.failed_rows}, {"SKU_ON_TWO_ITEMS"})
        self.assertIn(
            "SHOP-D3 and SHOP-D4", next(r.message for r in log.failed_rows if r.item_code == "SHOP-D3")
        )
        # Neither item's stock reached the shared variant.
        dup = next(v for v in self.shop.catalog.variants if v["sku"] == "SKU-DUP")
        self.assertEqual(self.shop.catalog.available(dup["inventory_item_id"], LOC1), 0)

    def test_a_warehouse_mapped_twice_behind_validation_stops_the_run_with_a_message(self):
        name = self.make_store()
        row = frappe.get_doc("Shopify Store", name).locations[0]
        frappe.get_doc(
            {
                "doctype": "Shopify Store Location",
                "parent": name,
                "parenttype": "Shopify Store",
                "parentfield": "locations",
                "idx": 9,
                "warehouse": row.warehouse,
                "shopify_location_id": LOC2,
            }
        ).db_insert()
        log = self.sync(name)
        self.assertEqual(log.status, "Skipped")
        self.assertIn("mapped twice", log.error)
        self.assertEqual(self.shop.emulator.stats.calls, 0)

    def test_a_deleted_warehouse_is_named_and_the_others_sync(self):
        a, b = self.variant("SHOP-D6"), self.variant("SHOP-D7")
        receive([(a, self.wh1, 4), (b, self.wh3, 6)])
        name = self.make_store()
        frappe.db.delete("Warehouse", self.wh3)  # as a delete that skipped the link check leaves it
        log = self.sync(name)
        self.assertEqual((log.status, log.pushed), ("Success", 1))
        self.assertIn(f"Warehouse {self.wh3} no longer exists", log.warnings)
        self.assertEqual(self.shop.available(a, LOC1), 4)
        self.assertEqual(self.shop.available(b, LOC2), 0)  # its stock left out, not pushed

    def test_a_store_without_locations_says_so(self):
        name = store(self.domain, [])
        log = self.sync(name)
        self.assertEqual(log.status, "Skipped")
        self.assertIn("No warehouse is mapped", log.error)
        self.assertEqual(frappe.db.get_value("Shopify Store", name, "last_run_status"), "Skipped")

    def test_a_disabled_store_says_so(self):
        name = self.make_store(enabled=0)
        log = self.sync(name)
        self.assertEqual(log.status, "Skipped")
        self.assertIn("disabled", log.error)
        self.assertEqual(self.shop.emulator.stats.calls, 0)

    def test_a_revoked_token_aborts_in_one_call_with_one_message(self):
        code = self.variant("SHOP-D8")
        receive([(code, self.wh1, 5)])
        self.shop.emulator.faults.script(Fault.status(401))
        log = self.sync(self.make_store())
        self.assertEqual((log.status, log.api_calls), ("Aborted", 1))
        self.assertIn("authentication failed", log.error)
