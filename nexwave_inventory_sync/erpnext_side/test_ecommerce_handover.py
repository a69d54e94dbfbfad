# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Coming from frappe/ecommerce_integrations, with that app really installed on the site: its
Ecommerce Item rows and Shopify Setting are created here through its own doctypes."""

import unittest

import frappe

from nexwave_inventory_sync.erpnext_side import ecommerce_handover
from nexwave_inventory_sync.erpnext_side.stock_levels import stock_rows
from nexwave_inventory_sync.erpnext_side.store_sync import run_store_sync
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import item, receive
from nexwave_inventory_sync.testing.stores import LOC1, StoreSyncMixin


def set_shopify_setting(shop_url: str, enabled: int, inventory_sync: int) -> None:
    """Saved through its own controller. Webhook rows are given so that saving an enabled
    setting does not register webhooks with Shopify (it calls the real API); the old-data
    migration is marked done for the same reason."""
    setting = frappe.get_doc("Shopify Setting")
    setting.update(
        {
            "enable_shopify": enabled,
            "shopify_url": shop_url,
            "password": "shpat_ecommerce_integrations_token",
            "update_erpnext_stock_levels_to_shopify": inventory_sync,
            "is_old_data_migrated": 1,
        }
    )
    if enabled and not setting.webhooks:
        setting.append("webhooks", {"webhook_id": "1", "method": "orders/create"})
    setting.save(ignore_permissions=True)


def switch_off_shopify_setting() -> None:
    # Straight to the table: saving it disabled would ask Shopify to drop the webhooks.
    frappe.db.set_single_value(
        "Shopify Setting", {"enable_shopify": 0, "update_erpnext_stock_levels_to_shopify": 0}
    )
    frappe.db.commit()  # its custom fields' DDL committed the enabled state; undo it for good


def ecommerce_item(item_code: str, variant_id: str, sku: str | None = None) -> str:
    return (
        frappe.get_doc(
            {
                "doctype": "Ecommerce Item",
                "integration": "shopify",
                "erpnext_item_code": item_code,
                "integration_item_code": f"product-of-{item_code}",
                "variant_id": variant_id,
                "sku": sku,
            }
        )
        .insert(ignore_permissions=True)
        .name
    )


class TestEcommerceHandover(StoreSyncMixin, IntegrationTestCase):
    domain = "handover-shop.myshopify.com"

    @classmethod
    def setUpClass(cls):
        # Asked here, not at import: the site is connected by then in every way tests are run.
        if not ecommerce_handover.is_installed():
            raise unittest.SkipTest(
                "SKIPPED: ecommerce_integrations is not installed on this site (docs/frappe.md says how)"
            )
        super().setUpClass()
        # Enabling Shopify Setting the first time adds its custom fields: DDL, which commits.
        # Done here, before any test data exists, so later saves commit nothing of ours.
        set_shopify_setting("setup.myshopify.com", enabled=1, inventory_sync=0)
        switch_off_shopify_setting()

    def setUp(self):
        super().setUp()
        self.tag = frappe.generate_hash(length=5).upper()
        self.addCleanup(switch_off_shopify_setting)

    def test_its_doctypes_are_there(self):
        self.assertTrue(ecommerce_handover.is_installed())
        self.assertTrue(frappe.db.exists("DocType", "Shopify Setting"))

    def test_competing_inventory_sync_is_detected_for_the_same_shop_only(self):
        name = self.make_store()
        set_shopify_setting("https://handover-shop.myshopify.com", enabled=1, inventory_sync=1)
        self.assertTrue(ecommerce_handover.competing_sync(self.domain))
        self.assertFalse(ecommerce_handover.competing_sync("another-shop.myshopify.com"))
        doc = frappe.get_doc("Shopify Store", name)
        doc.run_method("onload")
        self.assertTrue(doc.get_onload()["ecommerce_integrations"]["competing_sync"])
        set_shopify_setting("handover-shop.myshopify.com", enabled=1, inventory_sync=0)
        self.assertFalse(ecommerce_handover.competing_sync(self.domain))

    def test_its_variant_links_are_adopted_and_used_instead_of_sku_matching(self):
        # The Shopify SKU differs from the item code, so only the adopted link can find it.
        linked = item(f"HANDOVER-A-{self.tag}")
        variant = self.shop.catalog.add_variant(f"SHOPIFY-SKU-A-{self.tag}")
        unlinked = self.variant(f"HANDOVER-B-{self.tag}")
        ecommerce_item(linked, variant["id"].rsplit("/", 1)[1], sku=f"SHOPIFY-SKU-A-{self.tag}")
        set_shopify_setting(self.domain, enabled=1, inventory_sync=0)
        receive([(linked, self.wh1, 6), (unlinked, self.wh1, 2)])
        name = self.make_store()
        doc = frappe.get_doc("Shopify Store", name)
        # Other tests of this class leave their links in the transaction: look at ours.
        offered = {link["item_code"] for link in ecommerce_handover.adoptable_links(name, self.domain)}
        self.assertIn(linked, offered)
        self.assertNotIn(unlinked, offered)
        status = ecommerce_handover.handover_status(name, self.domain)
        self.assertEqual(status["adoptable"], len(offered))
        self.assertEqual(doc.adopt_ecommerce_item_links()["adopted"], len(offered))
        self.assertEqual(ecommerce_handover.adoptable_links(name, self.domain), [])  # done once
        rows = {r.ref: r for r in stock_rows(name)}
        self.assertEqual(rows[linked].variant_id, variant["id"])
        self.assertIsNone(rows[unlinked].variant_id)
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual((log.status, log.pushed), ("Success", 2))
        self.assertEqual(self.shop.available(f"SHOPIFY-SKU-A-{self.tag}", LOC1), 6)
        self.assertIn("VariantInventoryItems", self.shop.emulator.stats.calls_by_operation)

    def test_another_shops_links_are_not_offered(self):
        code = self.variant(f"HANDOVER-C-{self.tag}")
        variant = next(v for v in self.shop.catalog.variants if v["sku"] == code)
        ecommerce_item(code, variant["id"].rsplit("/", 1)[1])
        set_shopify_setting("someone-else.myshopify.com", enabled=1, inventory_sync=0)
        self.assertEqual(ecommerce_handover.adoptable_links(self.make_store(), self.domain), [])
