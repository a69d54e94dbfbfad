# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Preview Next Sync and rows an earlier run left in flight (the crash rule): the next run
settles them by Shopify's figure before it picks its delta, so the preview does too, in memory,
and shows what the run really does; the marks and levels stay as they were for the run."""

import json

import frappe

from nexwave_inventory_sync.erpnext_side import confirmed_levels
from nexwave_inventory_sync.sync.api import InFlightLevel
from nexwave_inventory_sync.testing.compat import IntegrationTestCase, ignore_test_records
from nexwave_inventory_sync.testing.fixtures import issue, receive
from nexwave_inventory_sync.testing.stores import LOC1, TruthStoreMixin

globals().update(ignore_test_records("Item", "Shopify Store", "User", "Warehouse"))


class TestPreviewInFlight(TruthStoreMixin, IntegrationTestCase):
    warehouse_prefix = "PreviewFlight"

    def test_the_preview_settles_rows_in_flight_as_the_run_will(self):
        tag = frappe.generate_hash(length=5)
        landed, lost = self.variant(f"FLIGHT-{tag}-L"), self.variant(f"FLIGHT-{tag}-N")
        receive([(landed, self.wh1, 10), (lost, self.wh1, 10)])
        name = self.make_store()
        self.assertEqual(self.sync(name).status, "Success")  # Shopify 10 and 10, confirmed
        # ERPNext moves to 3 and 4; the run pushing that was killed with its batch out:
        # Shopify applied the first row, not the second.
        issue(landed, self.wh1, 7)
        issue(lost, self.wh1, 6)
        confirmed_levels.mark_in_flight(
            name,
            [
                InFlightLevel(self.inventory_item(landed), LOC1, 3, 10, landed),
                InFlightLevel(self.inventory_item(lost), LOC1, 4, 10, lost),
            ],
        )
        self.shop.catalog.set_available(self.inventory_item(landed), LOC1, 3)
        marks = confirmed_levels.in_flight(name)
        levels = self.levels(name)

        preview = frappe.get_doc("Shopify Store", name).preview_next_sync()

        rows = {row["ref"]: row for row in preview["rows"]}
        # The landed row is already at 3: no row and no conflict (Shopify's 3 read against the
        # stale confirmed 10 would have been one).
        self.assertEqual(set(rows), {lost})
        self.assertEqual((preview["total"], preview["conflicts"]), (1, 0))
        lost_row = rows[lost]
        self.assertEqual(
            (lost_row["action"], lost_row["erpnext"], lost_row["confirmed"], lost_row["shopify"]),
            ("change", 4, 10, 10),
        )
        self.assertIn("in flight in an earlier run (sent 4)", lost_row["note"])
        self.assertIn("2 rows were left in flight by an earlier run", preview["in_flight"])
        self.assertIn("1 landed, 1 did not", preview["in_flight"])
        # Nothing written: the marks and the levels are the run's to settle.
        self.assertEqual(set(confirmed_levels.in_flight(name)), set(marks))
        self.assertEqual(self.levels(name), levels)
        # The run then does what the preview said.
        log = self.sync(name)
        self.assertEqual((log.status, log.changed, log.conflicts), ("Success", 1, 0))
        self.assertEqual(self.shop.available(lost, LOC1), 4)
        self.assertEqual(confirmed_levels.in_flight(name), ())

    def test_without_reading_shopify_the_rows_in_flight_are_in_doubt(self):
        code = self.variant(f"FLIGHT-{frappe.generate_hash(length=5)}-D")
        receive([(code, self.wh1, 10)])
        name = self.make_store()
        self.assertEqual(self.sync(name).status, "Success")
        issue(code, self.wh1, 6)
        confirmed_levels.mark_in_flight(name, [InFlightLevel(self.inventory_item(code), LOC1, 4, 10, code)])
        from nexwave_inventory_sync.erpnext_side.preview import preview_next_sync

        preview = preview_next_sync(frappe.get_doc("Shopify Store", name), read_shopify=False)
        self.assertIn("in doubt", preview["in_flight"])
        self.assertIn("in doubt until Shopify is read", preview["rows"][0]["note"])


class TestPreviewButton(TruthStoreMixin, IntegrationTestCase):
    warehouse_prefix = "PreviewButton"

    def test_the_forms_button_previews_the_saved_store(self):
        """The button sends the form's document, whose dates are strings (Frappe's
        run_doc_method builds it from the browser's JSON): a store that had a full push met
        "can only concatenate str" there. The preview reads the store as saved, as the run does."""
        code = self.variant(f"BUTTON-{frappe.generate_hash(length=5)}")
        receive([(code, self.wh1, 10)])
        name = self.make_store()
        self.assertEqual(self.sync(name).status, "Success")  # sets Last Full Push
        receive([(code, self.wh1, 2)])
        from_the_form = frappe.get_doc(json.loads(frappe.as_json(frappe.get_doc("Shopify Store", name))))
        self.assertIsInstance(from_the_form.last_full_push, str)
        from_the_form.safety_buffer = 5  # an unsaved edit on the form: not what the run uses
        preview = from_the_form.preview_next_sync()
        self.assertEqual([(r["ref"], r["erpnext"]) for r in preview["rows"]], [(code, 12)])
