# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Preview Next Sync (issue 18 §6) on a real ERPNext against the emulator: the rows the next run
sends, with ERPNext's, the confirmed and Shopify's figures and the conflicts it expects, and
nothing written to Shopify or to the store's state."""

import frappe

from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import receive
from nexwave_inventory_sync.testing.stores import LOC1, TruthStoreMixin


class TestPreview(TruthStoreMixin, IntegrationTestCase):
    warehouse_prefix = "Preview"

    def state(self, name):
        store = frappe.db.get_value(
            "Shopify Store",
            name,
            [
                "modified",
                "stock_read_at",
                "stock_recheck",
                "last_inventory_sync",
                "last_log",
                "last_full_push",
            ],
            as_dict=True,
        )
        return (
            store,
            frappe.db.count("Shopify Log", {"shopify_store": name}),
            sorted(self.levels(name).items()),
            self.calls().get("SetInventoryQuantities", 0),
        )

    def test_the_preview_shows_the_next_run_and_writes_nothing(self):
        tag = frappe.generate_hash(length=5)
        moved, sold, dropped, still = (self.variant(f"PREVIEW-{tag}-{n}") for n in ("M", "S", "D", "K"))
        receive([(moved, self.wh1, 5), (sold, self.wh1, 6), (dropped, self.wh1, 7), (still, self.wh1, 8)])
        name = self.make_store(safety_buffer=1)
        self.assertEqual(self.sync(name).status, "Success")
        receive([(moved, self.wh1, 2), (sold, self.wh1, 3)])
        self.shop.catalog.sell(self.inventory_item(sold), LOC1, 2)  # Shopify sold 2 meanwhile
        frappe.db.set_value("Item", dropped, "disabled", 1)
        before = self.state(name)
        preview = frappe.get_doc("Shopify Store", name).preview_next_sync()
        self.assertEqual(self.state(name), before)  # no log, no level, no store field, no mutation
        rows = {row["ref"]: row for row in preview["rows"]}
        self.assertEqual(set(rows), {moved, sold, dropped})
        figures = {
            ref: (r["action"], r["erpnext"], r["confirmed"], r["shopify"], r["conflict"])
            for ref, r in rows.items()
        }
        self.assertEqual(
            figures,
            {
                moved: ("change", 6, 4, 4, False),  # 7 − 1
                sold: ("change", 8, 5, 3, True),  # 9 − 1; Shopify shows 3, not the confirmed 5
                dropped: ("zero", 0, 6, 6, False),
            },
        )
        self.assertEqual(
            (preview["total"], preview["unchanged"], preview["conflicts"], preview["zeroed"]), (3, 1, 1, 1)
        )
        self.assertIsNone(preview["held"])
        self.assertIsNone(preview["shopify_note"])
        self.assertEqual(rows[moved]["unit"], f"{frappe.db.get_value('Item', moved, 'stock_uom')}, stock UOM")
        # The run then does what the preview said.
        log = self.sync(name)
        self.assertEqual((log.changed, log.zeroed, log.conflicts), (2, 1, 1))
