# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Who may run the connector and read what it did, and where the access token must never be."""

from unittest.mock import patch

import frappe

from nexwave_inventory_sync.erpnext_side import store_sync
from nexwave_inventory_sync.erpnext_side.constants import MANAGER_ROLE
from nexwave_inventory_sync.erpnext_side.scheduling import enqueue_store_sync, job_id
from nexwave_inventory_sync.erpnext_side.store_sync import run_store_sync
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import TOKEN, receive, store, warehouse
from nexwave_inventory_sync.testing.stores import StoreSyncMixin, drop_job


def user_with(email: str, *roles: str) -> str:
    if not frappe.db.exists("User", email):
        frappe.get_doc(
            {"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
        ).insert(ignore_permissions=True)
    doc = frappe.get_doc("User", email)
    doc.set("roles", [])
    doc.add_roles(*roles)
    return email


class TestRoles(IntegrationTestCase):
    def setUp(self):
        self.name = store("perm-shop.myshopify.com", [(warehouse("Shopify WH 1"), "1")])
        drop_job(self.name)
        self.addCleanup(drop_job, self.name)
        self.addCleanup(frappe.set_user, "Administrator")
        self.log = frappe.get_doc(
            {"doctype": "Shopify Log", "shopify_store": self.name, "status": "Success", "trigger": "Manual"}
        ).insert(ignore_permissions=True)

    def test_the_role_exists(self):
        self.assertTrue(frappe.db.exists("Role", MANAGER_ROLE))

    def test_shopify_manager_triggers_a_sync_and_reads_logs(self):
        frappe.set_user(user_with("shopify-manager@example.com", MANAGER_ROLE))
        self.assertTrue(frappe.get_doc("Shopify Store", self.name).sync_inventory()["queued"])
        self.assertTrue(frappe.has_permission("Shopify Log", "read", self.log))

    def test_stock_manager_neither_triggers_nor_reads_logs(self):
        frappe.set_user(user_with("shopify-stock-manager@example.com", "Stock Manager"))
        with self.assertRaises(frappe.PermissionError):
            frappe.get_doc("Shopify Store", self.name).sync_inventory()
        self.assertFalse(frappe.has_permission("Shopify Log", "read", self.log))

    def test_what_the_connector_did_is_the_shopify_managers_to_read_not_the_stock_managers(self):
        # Reconciliations and confirmed levels say what the connector did, as logs do: the same
        # roles read them (they came with Stock Manager and without Shopify Manager).
        manager = user_with("shopify-manager@example.com", MANAGER_ROLE)
        stock_manager = user_with("shopify-stock-manager@example.com", "Stock Manager")
        for doctype in ("Shopify Reconciliation", "Shopify Confirmed Level"):
            frappe.set_user(manager)
            self.assertTrue(frappe.has_permission(doctype, "read"), doctype)
            frappe.set_user(stock_manager)
            self.assertFalse(frappe.has_permission(doctype, "read"), doctype)
            frappe.set_user("Administrator")

    def test_only_system_manager_reads_the_token(self):
        from frappe.client import get, get_password

        manager = user_with("shopify-manager@example.com", MANAGER_ROLE)
        sysman = user_with("shopify-sysman@example.com", "System Manager")
        frappe.set_user(manager)
        self.assertIsNone(get("Shopify Store", self.name).get("access_token"))  # not even its mask
        self.assertFalse(frappe.get_doc("Shopify Store", self.name).has_permlevel_access_to("access_token"))
        # frappe.client.get_password is frappe.only_for("System Manager"), which tests cannot
        # exercise (only_for returns early under frappe.flags.in_test).
        frappe.set_user(sysman)
        self.assertEqual(get_password("Shopify Store", self.name, "access_token"), TOKEN)

    def test_a_shopify_manager_saving_the_store_keeps_the_token(self):
        frappe.set_user(user_with("shopify-manager@example.com", MANAGER_ROLE))
        doc = frappe.get_doc("Shopify Store", self.name)
        doc.access_token = "shpat_not_theirs_to_set"
        doc.sync_interval = 30
        doc.save()
        frappe.set_user("Administrator")
        self.assertEqual(frappe.get_doc("Shopify Store", self.name).get_password("access_token"), TOKEN)


class TestTokenNeverLeaks(StoreSyncMixin, IntegrationTestCase):
    domain = "leak-shop.myshopify.com"

    def test_not_in_the_log_nor_any_realtime_message(self):
        code = self.variant("SHOP-T1")
        receive([(code, self.wh1, 5)])
        name = self.make_store()
        sent = []
        with (
            patch("frappe.publish_realtime", side_effect=lambda *a, **k: sent.append((a, k))),
            patch("frappe.realtime.publish_realtime", side_effect=lambda *a, **k: sent.append((a, k))),
        ):
            log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual(log.status, "Success")
        self.assertTrue(sent)
        self.assertNotIn(TOKEN, repr(sent))
        self.assertNotIn(TOKEN, log.as_json())

    def test_not_in_the_rq_jobs_arguments(self):
        name = self.make_store()
        drop_job(name)
        self.addCleanup(drop_job, name)
        self.assertTrue(enqueue_store_sync(name, trigger="Manual", force=True))
        from frappe.utils.background_jobs import get_job

        job = get_job(job_id(name))
        self.assertEqual(job.kwargs["kwargs"], {"store_name": name, "trigger": "Manual", "force": True})
        self.assertNotIn(TOKEN, repr((job.args, job.kwargs, job.description, job.meta)))

    def test_not_in_the_error_log_traceback_nor_the_logs_error(self):
        code = self.variant("SHOP-T2")
        receive([(code, self.wh1, 5)])
        name = self.make_store()

        def leaky(endpoint, rows, **kwargs):
            # A frame holding the token in a header dict, and a message quoting it: frappe's
            # own log_error prints frame variables and redacts by variable name only.
            headers = {"X-Shopify-Access-Token": endpoint.access_token}
            raise RuntimeError(f"proxy refused {headers}")

        before = frappe.get_all("Error Log", pluck="name")
        with patch.object(store_sync, "sync_inventory", side_effect=leaky):
            log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual(log.status, "Failed")
        self.assertIn("proxy refused", log.error)
        self.assertNotIn(TOKEN, log.as_json())
        new = frappe.get_all(
            "Error Log", filters={"name": ["not in", before or [""]]}, fields=["error", "method"]
        )
        self.assertEqual(len(new), 1)
        self.assertIn("RuntimeError", new[0].error)
        self.assertNotIn(TOKEN, repr(new))
