# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt

import frappe

from nexwave_inventory_sync.erpnext_side.compat import IntegrationTestCase, ignore_test_records
from nexwave_inventory_sync.erpnext_side.constants import KILL_SWITCH_KEY
from nexwave_inventory_sync.erpnext_side.scheduling import job_id
from nexwave_inventory_sync.nexwave_inventory_sync.erpnext_fixtures import (
    clear_site_config,
    set_site_config,
    store,
    warehouse,
)

# Frappe would first make test records for every doctype linked from this one; ours make
# their own (see erpnext_side.compat).
# The store links Item Groups and Brands (which items sync): our tests make their own.
globals().update(ignore_test_records("Warehouse", "Shopify Log", "Item", "Item Group", "Brand"))


def drop_job(store_name):
    from frappe.utils.background_jobs import get_job

    job = get_job(job_id(store_name))
    if job:
        job.delete()


class TestShopifyStore(IntegrationTestCase):
    def setUp(self):
        super().setUp()
        self.wh1 = warehouse("Shopify WH 1")
        self.wh2 = warehouse("Shopify WH 2")

    def test_domain_is_validated_and_normalized(self):
        name = store("https://Valid-Shop.myshopify.com/", [(self.wh1, "11")])
        self.assertEqual(name, "valid-shop.myshopify.com")
        doc = frappe.get_doc("Shopify Store", name)
        self.assertEqual(doc.locations[0].shopify_location_id, "gid://shopify/Location/11")
        for bad in ("not-a-shop.com", "shop.myshopify.com.evil.com", "http://x.myshopify.com"):
            with self.subTest(domain=bad), self.assertRaises(frappe.ValidationError):
                store(bad, [(self.wh1, "1")])

    def test_domain_is_unique(self):
        store("unique-shop.myshopify.com", [(self.wh1, "1")])
        with self.assertRaises((frappe.DuplicateEntryError, frappe.UniqueValidationError)):
            frappe.get_doc(
                {"doctype": "Shopify Store", "shop_domain": "unique-shop.myshopify.com", "access_token": "x"}
            ).insert()

    def test_a_warehouse_may_not_feed_two_locations(self):
        with self.assertRaisesRegex(frappe.ValidationError, "only one location"):
            store("dup-shop.myshopify.com", [(self.wh1, "1"), (self.wh1, "2")])

    def test_several_warehouses_may_feed_one_location(self):
        name = store("sum-shop.myshopify.com", [(self.wh1, "1"), (self.wh2, "1")])
        self.assertEqual(len(frappe.get_doc("Shopify Store", name).locations), 2)

    def test_group_warehouses_are_refused(self):
        group = warehouse("Shopify Group WH", is_group=1)
        with self.assertRaisesRegex(frappe.ValidationError, "group warehouse"):
            store("group-shop.myshopify.com", [(group, "1")])

    def test_bad_location_id_and_api_version_are_refused(self):
        with self.assertRaises(frappe.ValidationError):
            store("loc-shop.myshopify.com", [(self.wh1, "gid://shopify/Product/1")])
        with self.assertRaises(frappe.ValidationError):
            store("ver-shop.myshopify.com", [(self.wh1, "1")], api_version="2023-13")

    def test_numbers_typed_in_the_desk_as_text_are_validated_as_numbers(self):
        # The desk sends a new store's defaults as text ("60", "1"): saving one from the form
        # failed with "'<=' not supported between instances of 'int' and 'str'" (found by the
        # browser walkthrough), while documents built in Python carried numbers.
        doc = frappe.get_doc(
            {
                "doctype": "Shopify Store",
                "shop_domain": "text-shop.myshopify.com",
                "access_token": "x",
                "sync_interval": "60",
                "safety_buffer": "0",
                "run_deadline": "15",
                "recheck_untracked_hours": "24",
                "reconcile_interval": "60",
                "drift_threshold": "1",
                "locations": [{"warehouse": self.wh1, "shopify_location_id": "1"}],
            }
        ).insert()
        self.assertEqual(doc.name, "text-shop.myshopify.com")
        doc.drift_threshold = "101"
        with self.assertRaisesRegex(frappe.ValidationError, "between 0 and 100"):
            doc.save()

    def test_sku_field_must_exist_on_item(self):
        with self.assertRaisesRegex(frappe.ValidationError, "no field"):
            store("sku-shop.myshopify.com", [(self.wh1, "1")], sku_field="no_such_field")


class TestSyncInventoryButton(IntegrationTestCase):
    def setUp(self):
        super().setUp()
        self.name = store("button-shop.myshopify.com", [(warehouse("Shopify WH 1"), "1")])
        drop_job(self.name)
        self.addCleanup(drop_job, self.name)

    def test_queues_a_forced_run_once(self):
        doc = frappe.get_doc("Shopify Store", self.name)
        first = doc.sync_inventory()
        self.assertTrue(first["queued"])
        from frappe.utils.background_jobs import get_job

        job = get_job(job_id(self.name))
        self.assertEqual(job.kwargs["kwargs"]["force"], True)
        self.assertEqual(job.kwargs["kwargs"]["trigger"], "Manual")
        second = doc.sync_inventory()
        self.assertFalse(second["queued"])  # deduplicated: never queued twice

    def test_user_without_write_permission_is_refused(self):
        user = "shopify-reader@example.com"
        if not frappe.db.exists("User", user):
            frappe.get_doc(
                {"doctype": "User", "email": user, "first_name": "Reader", "send_welcome_email": 0}
            ).insert(ignore_permissions=True)
        frappe.set_user(user)
        self.addCleanup(frappe.set_user, "Administrator")
        doc = frappe.get_doc("Shopify Store", self.name)
        with self.assertRaises(frappe.PermissionError):
            doc.sync_inventory()

    def test_kill_switch_skips_with_a_log_and_a_message(self):
        set_site_config(KILL_SWITCH_KEY, ["button-shop.myshopify.com"])
        self.addCleanup(clear_site_config, KILL_SWITCH_KEY)
        answer = frappe.get_doc("Shopify Store", self.name).sync_inventory()
        self.assertFalse(answer["queued"])
        self.assertIn("switched off", answer["message"])
        log = frappe.get_doc("Shopify Log", answer["log"])
        self.assertEqual((log.status, log.trigger), ("Skipped", "Manual"))
        from frappe.utils.background_jobs import is_job_enqueued

        self.assertFalse(is_job_enqueued(job_id(self.name)))


class TestInstall(IntegrationTestCase):
    def test_item_carries_the_shopify_stores_table(self):
        field = frappe.db.get_value(
            "Custom Field",
            {"dt": "Item", "fieldname": "shopify_stores"},
            ["fieldtype", "options"],
            as_dict=True,
        )
        self.assertEqual((field.fieldtype, field.options), ("Table", "Item Shopify Store"))

    def test_the_cron_hook_is_a_scheduled_job(self):
        job = frappe.db.get_value(
            "Scheduled Job Type",
            {"method": "nexwave_inventory_sync.erpnext_side.scheduling.enqueue_due_stores"},
            ["frequency", "cron_format"],
            as_dict=True,
        )
        self.assertEqual((job.frequency, job.cron_format), ("Cron", "*/10 * * * *"))
