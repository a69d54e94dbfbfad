# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Why isn't this item on Shopify? (issue 18 §4) on a real ERPNext against the emulator: each
item's state and reason in words, the Shopify Item Coverage report, the Item form's states and
Push this item now (permission and kill switch as Sync Inventory)."""

from unittest.mock import patch

import frappe

from nexwave_inventory_sync.erpnext_side import item_state
from nexwave_inventory_sync.erpnext_side.constants import KILL_SWITCH_KEY
from nexwave_inventory_sync.erpnext_side.stock_truth import ONE_ITEM
from nexwave_inventory_sync.nexwave_inventory_sync.report.shopify_item_coverage.shopify_item_coverage import (
    execute,
)
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import (
    item,
    item_store_row,
    receive,
    set_site_config,
    warehouse,
)
from nexwave_inventory_sync.testing.stores import LOC1, TruthStoreMixin

ENQUEUE = "nexwave_inventory_sync.erpnext_side.scheduling.enqueue_store_sync"


class TestItemState(TruthStoreMixin, IntegrationTestCase):
    warehouse_prefix = "State"

    def coded(self, name, on_shopify=True, **variant):
        code = f"STATE-{self.tag}-{name}"
        item(code)
        if on_shopify:
            self.shop.catalog.add_variant(code, **variant)
        return code

    def setUp(self):
        super().setUp()
        self.tag = frappe.generate_hash(length=5)

    def states(self, name):
        store = frappe.get_doc("Shopify Store", name)
        return {
            s.item_code: s
            for s in item_state.store_item_states(store)
            if s.item_code.startswith("STATE-" + self.tag)
        }

    def test_each_item_says_why_in_words(self):
        pushed = self.coded("PUSHED")
        missing = self.coded("MISSING", on_shopify=False)
        untracked = self.coded("UNTRACKED", tracked=False)
        bundle = self.coded("BUNDLE")
        self.shop.catalog.set_requires_components(
            next(v for v in self.shop.catalog.variants if v["sku"] == bundle)["id"]
        )
        out = self.coded("OUT")
        elsewhere = self.coded("ELSEWHERE")
        held = self.coded("HELD")
        unstocked = self.coded("UNSTOCKED", locations=[])  # on Shopify, stocked nowhere
        waiting = self.coded("WAITING")
        other_wh = warehouse(f"State Unmapped {self.tag}")
        receive(
            [
                (pushed, self.wh1, 3),
                (missing, self.wh1, 3),
                (untracked, self.wh1, 3),
                (bundle, self.wh1, 3),
                (out, self.wh1, 3),
                (elsewhere, other_wh, 3),
                (held, self.wh1, 3),
                (unstocked, self.wh1, 3),
            ]
        )
        name = self.make_store(conflict_policy="Hold")
        first = self.sync(name)
        self.shop.catalog.sell(self.inventory_item(held), LOC1, 1)
        receive([(held, self.wh1, 2), (waiting, self.wh1, 1)])
        frappe.db.set_value("Shopify Store", name, "stock_read_at", None)
        second = self.sync(name)
        self.assertEqual(second.conflicts, 1)
        item_store_row(out, name, leave_out_of_sync=1)
        receive([(waiting, self.wh1, 1)])  # a Bin moved after the last run: not pushed yet
        frappe.db.delete("Shopify Confirmed Level", {"item_code": waiting})
        states = self.states(name)
        self.assertEqual(states[pushed].state, item_state.PUSHED)
        self.assertIn(f"3 at {LOC1}", states[pushed].reason)
        self.assertIn(f"by run {first.name}", states[pushed].reason)
        self.assertEqual(states[missing].state, item_state.NOT_FOUND)
        self.assertIn(f"no variant has SKU {missing}", states[missing].reason)
        self.assertEqual(states[untracked].state, item_state.UNTRACKED)
        self.assertEqual(states[bundle].state, item_state.SHOPIFY_BUNDLE)
        self.assertEqual(states[bundle].reason, "Shopify bundle: stock comes from its components")
        self.assertEqual(states[out].state, item_state.TAKEN_OUT)
        self.assertIn("Leave Out of Shopify Sync is ticked on the item", states[out].reason)
        self.assertEqual(states[elsewhere].state, item_state.NO_WAREHOUSE)
        self.assertEqual(states[held].state, item_state.HELD_CONFLICT)
        self.assertEqual(states[held].reason, f"Held conflict at {LOC1}: ERPNext 5, confirmed 3, Shopify 2")
        self.assertEqual(states[unstocked].state, item_state.REFUSED)
        self.assertIn("ITEM_NOT_STOCKED_AT_LOCATION", states[unstocked].reason)
        self.assertEqual(states[waiting].state, item_state.WAITING)

        # The report: every item, counts per state on top, filterable by state.
        _columns, data, _message, _chart, summary = execute({"shopify_store": name})
        counts = {row["label"]: row["value"] for row in summary}
        self.assertGreaterEqual(counts[item_state.NOT_FOUND], 1)
        self.assertEqual(sum(counts.values()), len(data))
        _columns, only_missing, *_ = execute({"shopify_store": name, "state": item_state.NOT_FOUND})
        self.assertIn(missing, {row["item_code"] for row in only_missing})
        self.assertEqual({row["state"] for row in only_missing}, {item_state.NOT_FOUND})

    def test_the_item_form_states_and_push_this_item_now(self):
        moved, other = self.coded("MOVED"), self.coded("OTHER")
        receive([(moved, self.wh1, 3), (other, self.wh1, 4)])
        name = self.make_store()
        self.sync(name)
        states = item_state.item_shopify_states(moved)
        mine = [s for s in states if s["store"] == name]
        self.assertEqual([(s["state"], s["can_push"]) for s in mine], [(item_state.PUSHED, True)])
        receive([(moved, self.wh1, 2), (other, self.wh1, 2)])
        watermark = frappe.db.get_value("Shopify Store", name, "stock_read_at")
        with patch(ENQUEUE, return_value=True) as queued:
            answer = item_state.push_item_now(moved, name)
        self.assertTrue(answer["queued"])
        self.assertEqual(queued.call_args.kwargs["scope"], ONE_ITEM + moved)
        log = self.sync(name, scope=ONE_ITEM + moved)  # what the queued job runs
        self.assertEqual((log.status, log.pushed), ("Success", 1), log.error)
        self.assertEqual(log.stock_read, f"Item {moved}, pushed from its form")
        self.assertEqual(self.shop.available(moved, LOC1), 5)
        self.assertEqual(self.shop.available(other, LOC1), 4)  # the other item waits for its run
        self.assertEqual(frappe.db.get_value("Shopify Store", name, "stock_read_at"), watermark)

    def test_push_this_item_now_keeps_the_kill_switch_and_the_permission(self):
        code = self.coded("GUARDED")
        receive([(code, self.wh1, 3)])
        name = self.make_store()
        switched = list(frappe.get_site_config().get(KILL_SWITCH_KEY) or [])
        set_site_config(KILL_SWITCH_KEY, [*switched, self.domain])
        self.addCleanup(set_site_config, KILL_SWITCH_KEY, switched)
        with patch(ENQUEUE, return_value=True) as queued:
            answer = item_state.push_item_now(code, name)
        self.assertFalse(answer["queued"])
        self.assertFalse(queued.called)
        self.assertEqual(frappe.db.get_value("Shopify Log", answer["log"], "status"), "Skipped")
        user = "state-reader@example.com"
        if not frappe.db.exists("User", user):
            frappe.get_doc(
                {
                    "doctype": "User",
                    "email": user,
                    "first_name": "Reader",
                    "send_welcome_email": 0,
                    "roles": [{"role": "Stock User"}],
                }
            ).insert(ignore_permissions=True)
        frappe.set_user(user)
        try:
            with self.assertRaises(frappe.PermissionError):
                item_state.push_item_now(code, name)
        finally:
            frappe.set_user("Administrator")
