# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt

import frappe
from frappe.utils import add_days, now_datetime

from nexwave_inventory_sync.nexwave_inventory_sync.doctype.shopify_log.shopify_log import ShopifyLog
from nexwave_inventory_sync.testing.compat import IntegrationTestCase, ignore_test_records

# Frappe would first make test records for every doctype linked from this one; ours make
# their own (see testing/compat.py).
globals().update(ignore_test_records("Item", "Shopify Store"))


def make_log(**extra):
    return frappe.get_doc(
        {"doctype": "Shopify Log", "status": "Success", "trigger": "Manual", **extra}
    ).insert(ignore_permissions=True)


class TestShopifyLog(IntegrationTestCase):
    def test_read_only_after_insert(self):
        log = make_log(pushed=5)
        log.pushed = 6
        with self.assertRaises(frappe.ValidationError):
            log.save(ignore_permissions=True)

    def test_old_logs_are_cleared_after_the_retention(self):
        old = make_log(failed_rows=[{"code": "X", "message": "old"}])
        frappe.db.set_value(
            "Shopify Log", old.name, "creation", add_days(now_datetime(), -91), update_modified=False
        )
        recent = make_log()
        ShopifyLog.clear_old_logs(days=90)
        self.assertFalse(frappe.db.exists("Shopify Log", old.name))
        self.assertFalse(frappe.db.exists("Shopify Log Row", {"parent": old.name}))
        self.assertTrue(frappe.db.exists("Shopify Log", recent.name))

    def test_registered_with_log_settings(self):
        self.assertEqual(frappe.get_hooks("default_log_clearing_doctypes").get("Shopify Log"), [90])
        # Log Settings accepts it (it drops doctypes without a usable clear_old_logs).
        settings = frappe.get_doc("Log Settings")
        settings.logs_to_clear = [e for e in settings.logs_to_clear if e.ref_doctype != "Shopify Log"]
        settings.add_default_logtypes()
        settings.remove_unsupported_doctypes()
        days = [e.days for e in settings.logs_to_clear if e.ref_doctype == "Shopify Log"]
        self.assertEqual(days, [90])


def make_reconciliation():
    return frappe.get_doc(
        {"doctype": "Shopify Reconciliation", "status": "Success", "trigger": "Manual"}
    ).insert(ignore_permissions=True)


def number(name: str) -> int:
    return int(name.rsplit("-", 1)[1])


class TestFormScripts(IntegrationTestCase):
    def test_both_run_records_get_the_one_read_only_grid_helper(self):
        """public/js/read_only_grid.js reaches each form through hooks.py's doctype_js, and the
        doctypes' own scripts no longer carry a copy of it."""
        from frappe.desk.form.meta import get_meta

        for doctype in ("Shopify Log", "Shopify Reconciliation"):
            script = get_meta(doctype, cached=False).get("__js") or ""
            self.assertIn("show_rows_for_reading(frm", script, doctype)
            self.assertEqual(script.count("function show_rows_for_reading"), 1, doctype)


class TestNameSeries(IntegrationTestCase):
    def test_logs_and_reconciliations_count_on_their_own(self):
        # They shared one counter: SLOG-1…6, then SREC-7, then SLOG-8.
        first = make_log()
        reconciliation = make_reconciliation()
        second = make_log()
        self.assertTrue(first.name.startswith("SLOG-") and reconciliation.name.startswith("SREC-"))
        self.assertEqual(number(second.name), number(first.name) + 1)
        self.assertEqual(number(make_reconciliation().name), number(reconciliation.name) + 1)

    def test_the_patch_starts_each_series_after_its_highest_name(self):
        from nexwave_inventory_sync.patches.v0_3.own_name_series import execute

        highest = make_log()
        frappe.rename_doc("Shopify Log", highest.name, "SLOG-9000000", force=True)
        frappe.db.sql("UPDATE `tabSeries` SET current = 5 WHERE name = 'SLOG-'")
        execute()
        self.assertEqual(make_log().name, "SLOG-9000001")

    def test_a_migrate_moves_a_series_past_a_log_named_by_an_older_counter(self):
        # A log named by the pre-0.3 shared counter after the patch ran (a shared bench, a
        # rollback of the app): the next name drawn must not collide with it.
        from nexwave_inventory_sync.erpnext_side.install import after_migrate

        taken = make_log()
        ahead = f"SLOG-{number(taken.name) + 50:07d}"
        frappe.rename_doc("Shopify Log", taken.name, ahead, force=True)
        after_migrate()
        self.assertGreater(number(make_log().name), number(ahead))
