# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""What an admin meets on the store form: Test Connection, Fetch Locations, the API version
list, health and next run, the workspace's figures, and logs that name their cause."""

import json
from datetime import datetime, timedelta

import frappe
from frappe.utils import now_datetime

from nexwave_inventory_sync.emulator import Fault
from nexwave_inventory_sync.erpnext_side import health
from nexwave_inventory_sync.erpnext_side.constants import KILL_SWITCH_KEY
from nexwave_inventory_sync.erpnext_side.run_log import quantity_to_send, run_error
from nexwave_inventory_sync.erpnext_side.scheduling import next_run_at
from nexwave_inventory_sync.erpnext_side.store_sync import run_store_sync
from nexwave_inventory_sync.sync.api import DEFAULT_API_VERSION, RowFailure, StockRow, supported_api_versions
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import (
    clear_site_config,
    item,
    receive,
    set_site_config,
)
from nexwave_inventory_sync.testing.stores import LOC1, StoreSyncMixin


class TestConnectionAndLocations(StoreSyncMixin, IntegrationTestCase):
    domain = "setup-shop.myshopify.com"

    def test_test_connection_reports_shop_plan_scopes_and_is_remembered(self):
        doc = frappe.get_doc("Shopify Store", self.make_store())
        answer = doc.test_connection()
        self.assertTrue(answer["ok"], answer)
        self.assertEqual((answer["shop_name"], answer["plan"]), ("Emulated Shop", "Plus"))
        self.assertEqual(answer["missing_scopes"], [])
        self.assertEqual(answer["served_version"], DEFAULT_API_VERSION)
        self.assertEqual(dict(self.shop.emulator.stats.calls_by_operation), {"ShopInfo": 1})
        stored = frappe.db.get_value(
            "Shopify Store", doc.name, ["shop_name", "shop_plan", "connection_problems"], as_dict=True
        )
        self.assertEqual(
            (stored.shop_name, stored.shop_plan, stored.connection_problems), ("Emulated Shop", "Plus", None)
        )

    def test_test_connection_names_missing_scopes_and_a_fallen_forward_version(self):
        self.shop.emulator.profile.access_scopes = ("read_products", "read_locations", "read_inventory")
        self.shop.emulator.profile.oldest_supported_version = "2025-04"
        doc = frappe.get_doc("Shopify Store", self.make_store(api_version="2025-01"))
        answer = doc.test_connection()
        self.assertFalse(answer["ok"])
        self.assertEqual(answer["missing_scopes"], ["write_inventory"])
        self.assertEqual((answer["requested_version"], answer["served_version"]), ("2025-01", "2025-04"))
        problems = frappe.db.get_value("Shopify Store", doc.name, "connection_problems")
        self.assertIn("write_inventory", problems)
        self.assertIn("served API version 2025-04 instead of 2025-01", problems)

    def test_test_connection_with_a_revoked_token_says_why(self):
        doc = frappe.get_doc("Shopify Store", self.make_store())
        self.shop.emulator.faults.script(Fault.status(401))
        answer = doc.test_connection()
        self.assertEqual((answer["ok"], answer["reached"], answer["error_kind"]), (False, False, "auth"))
        self.assertIn("401", answer["problems"][0])

    def test_fetch_locations_lists_all_marks_inactive_and_refreshes_names(self):
        closed = self.shop.catalog.add_location("Closed Depot", active=False)
        doc = frappe.get_doc("Shopify Store", self.make_store())
        found = doc.fetch_locations()["locations"]
        self.assertEqual(
            [(loc["id"], loc["name"], loc["active"]) for loc in found],
            [
                (LOC1, "Location 1", True),
                ("gid://shopify/Location/2", "Location 2", True),
                (closed, "Closed Depot", False),
            ],
        )
        self.assertTrue(all(loc["fulfills_online_orders"] for loc in found))
        names = frappe.get_all(
            "Shopify Store Location", filters={"parent": doc.name}, pluck="location_name", order_by="idx"
        )
        self.assertEqual(names, ["Location 1", "Location 1", "Location 2"])

    def test_buttons_need_write_permission(self):
        doc = frappe.get_doc("Shopify Store", self.make_store())
        reader = "shopify-reader@example.com"
        if not frappe.db.exists("User", reader):
            frappe.get_doc(
                {"doctype": "User", "email": reader, "first_name": "Reader", "send_welcome_email": 0}
            ).insert(ignore_permissions=True)
        frappe.set_user(reader)
        self.addCleanup(frappe.set_user, "Administrator")
        for method in ("test_connection", "fetch_locations", "sync_inventory", "adopt_ecommerce_item_links"):
            with self.subTest(method=method), self.assertRaises(frappe.PermissionError):
                getattr(doc, method)()
        self.assertEqual(self.shop.emulator.stats.calls, 0)


class TestLogsNameTheirCause(StoreSyncMixin, IntegrationTestCase):
    domain = "cause-shop.myshopify.com"

    def test_rows_not_found_show_the_quantity_that_was_to_be_sent(self):
        item("CAUSE-NOT-ON-SHOPIFY")
        receive([("CAUSE-NOT-ON-SHOPIFY", self.wh1, 7.5)])
        name = self.make_store(safety_buffer=2)
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        row = next(r for r in log.failed_rows if r.item_code == "CAUSE-NOT-ON-SHOPIFY")
        self.assertEqual((row.code, row.quantity), ("SKU_NOT_FOUND", 5))  # floor(7.5 − 2)

    def test_a_failed_run_without_an_engine_cause_names_the_commonest_row_failure(self):
        a, b = self.variant("CAUSE-A"), self.variant("CAUSE-B")
        receive([(a, self.wh1, 1), (b, self.wh1, 2)])
        name = self.make_store()
        self.shop.emulator.faults.script(Fault.status(400))  # the SKU lookup is refused
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual(log.status, "Failed")
        self.assertTrue(log.error)
        self.assertIn("2 of 2 failed rows", log.error)
        self.assertEqual({r.quantity for r in log.failed_rows}, {1, 2})

    def test_run_error_prefers_the_engine_and_counts_codes(self):
        row = StockRow(location_id="1", quantity=3, sku="S", ref="I")
        failures = [
            RowFailure(row, "X", "first x"),
            RowFailure(row, "Y", "a y"),
            RowFailure(row, "X", "second x"),
        ]
        self.assertEqual(
            run_error("Aborted", "connection refused by 127.0.0.1:1", failures),
            "connection refused by 127.0.0.1:1",
        )
        self.assertIsNone(run_error("Success", None, failures))
        derived = run_error("Failed", None, failures)
        self.assertIn("2 of 3 failed rows: X: first x", derived)
        self.assertIn("1 other", derived)
        self.assertIn("without failed rows", run_error("Aborted", None, []))

    def test_quantity_to_send_keeps_the_engine_figure(self):
        row = StockRow(location_id="1", quantity=9, sku="S")
        self.assertEqual(quantity_to_send(RowFailure(row, "C", "m", quantity=4), 0), 4)
        self.assertEqual(quantity_to_send(RowFailure(row, "C", "m"), 1), 8)
        self.assertIsNone(quantity_to_send(RowFailure(StockRow(location_id="1", quantity="x"), "C", "m"), 0))


class TestApiVersionChoice(IntegrationTestCase):
    def test_the_select_offers_what_the_engine_speaks_newest_first_by_default(self):
        field = frappe.get_meta("Shopify Store").get_field("api_version")
        self.assertEqual(field.fieldtype, "Select")
        self.assertEqual(tuple(field.options.split("\n")), supported_api_versions())
        self.assertEqual(field.default, DEFAULT_API_VERSION)


class TestHealth(StoreSyncMixin, IntegrationTestCase):
    domain = "health-shop.myshopify.com"

    def test_states(self):
        self.assertEqual(health.health_state(False, True, False, "Success")[0], "disabled")
        self.assertEqual(health.health_state(True, False, True, "Success")[0], "disabled")
        self.assertEqual(health.health_state(True, True, True, "Success")[0], "switched_off")
        self.assertEqual(health.health_state(True, True, False, "Aborted")[:3:2], ("failing", "red"))
        self.assertEqual(health.health_state(True, True, False, "Partial")[:3:2], ("failing", "orange"))
        self.assertEqual(health.health_state(True, True, False, "Success")[0], "healthy")
        self.assertEqual(health.health_state(True, True, False, None)[0], "never_run")

    def test_next_run_is_the_first_tick_once_due(self):
        now = datetime(2026, 11, 25, 12, 3)
        self.assertEqual(next_run_at(None, 60, now), datetime(2026, 11, 25, 12, 10))
        self.assertEqual(next_run_at(datetime(2026, 11, 25, 11, 55), 60, now), datetime(2026, 11, 25, 13, 0))
        self.assertEqual(next_run_at(datetime(2026, 11, 25, 11, 57), 60, now), datetime(2026, 11, 25, 13, 0))
        self.assertEqual(next_run_at(datetime(2026, 11, 25, 11, 58), 60, now), datetime(2026, 11, 25, 13, 0))
        self.assertEqual(next_run_at(datetime(2026, 11, 25, 12, 1), 60, now), datetime(2026, 11, 25, 13, 10))

    def test_next_run_waits_for_a_backoff_to_end(self):
        now = datetime(2026, 11, 25, 12, 3)
        paused_until = datetime(2026, 11, 25, 15, 4)
        self.assertEqual(
            next_run_at(None, 60, now, backoff_until=paused_until), datetime(2026, 11, 25, 15, 10)
        )
        # A back-off already over changes nothing.
        self.assertEqual(
            next_run_at(None, 60, now, backoff_until=datetime(2026, 11, 25, 11, 0)),
            datetime(2026, 11, 25, 12, 10),
        )

    def test_the_form_gets_health_runs_and_next_run(self):
        code = self.variant("HEALTH-A")
        receive([(code, self.wh1, 4)])
        name = self.make_store()
        run_store_sync(name, trigger="Manual", force=True)
        self.shop.emulator.faults.script(Fault.status(401))
        # All items: a changed-rows run would find nothing to send and never meet the 401.
        run_store_sync(name, trigger="Manual", force=True, scope="all")
        doc = frappe.get_doc("Shopify Store", name)
        doc.run_method("onload")
        state = doc.get_onload()["health"]
        self.assertEqual((state["state"], state["color"]), ("failing", "red"))
        self.assertEqual([r.status for r in state["runs"]], ["Success", "Aborted"])
        self.assertEqual(state["runs"][0].pushed, 1)
        self.assertGreater(state["next_run"], now_datetime() - timedelta(seconds=1))
        set_site_config(KILL_SWITCH_KEY, [self.domain])
        self.addCleanup(clear_site_config, KILL_SWITCH_KEY)
        doc.run_method("onload")
        self.assertEqual(doc.get_onload()["health"]["state"], "switched_off")
        self.assertIsNone(doc.get_onload()["health"]["next_run"])


class TestWorkspace(StoreSyncMixin, IntegrationTestCase):
    domain = "desk-shop.myshopify.com"

    def test_workspace_cards_and_chart_are_installed(self):
        workspace = frappe.get_doc("Workspace", "Shopify Inventory")
        self.assertEqual({s.link_to for s in workspace.shortcuts}, {"Shopify Store", "Shopify Log"})
        cards = {c.number_card_name for c in workspace.number_cards}
        self.assertEqual(len(cards), 3)
        for card in cards:
            doc = frappe.get_doc("Number Card", card)
            self.assertEqual(doc.type, "Custom")
            result = frappe.get_attr(doc.method)()
            self.assertIsInstance(result["value"], int)
        self.assertTrue(frappe.db.exists("Dashboard Chart", "Shopify Runs by Status"))
        blocks = {b["type"] for b in json.loads(workspace.content)}
        self.assertTrue({"number_card", "chart", "shortcut"} <= blocks)

    def test_number_cards_count_what_they_say(self):
        failed_before = health.failed_runs_last_24_hours()["value"]
        switched_before = health.stores_switched_off()["value"]
        code = self.variant("DESK-A")
        item("DESK-NOT-ON-SHOPIFY")
        receive([(code, self.wh1, 1), ("DESK-NOT-ON-SHOPIFY", self.wh1, 1)])
        name = self.make_store()
        run_store_sync(name, trigger="Manual", force=True)
        self.assertGreaterEqual(health.items_not_on_shopify()["value"], 1)
        receive([(code, self.wh1, 1)])  # something to send, so the run makes a call
        self.shop.emulator.faults.script(Fault.status(401))
        run_store_sync(name, trigger="Manual", force=True)
        self.assertEqual(health.failed_runs_last_24_hours()["value"], failed_before + 1)
        set_site_config(KILL_SWITCH_KEY, [self.domain])
        self.addCleanup(clear_site_config, KILL_SWITCH_KEY)
        self.assertEqual(health.stores_switched_off()["value"], switched_before + 1)
