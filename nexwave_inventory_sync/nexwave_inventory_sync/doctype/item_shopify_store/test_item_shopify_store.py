# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""The id cache is read by store on every run: its table carries the index those reads need."""

import frappe

from nexwave_inventory_sync.nexwave_inventory_sync.doctype.item_shopify_store.item_shopify_store import (
    STORE_INDEX,
    STORE_INDEX_COLUMNS,
)
from nexwave_inventory_sync.testing.compat import IntegrationTestCase, ignore_test_records

globals().update(ignore_test_records("Shopify Store", "Item"))


class TestItemShopifyStoreIndex(IntegrationTestCase):
    def test_the_table_is_indexed_by_store_then_item(self):
        # Without it a run's stock read scanned every store's rows: 7 s at 50 stores x 7,300 items.
        indexes = frappe.db.sql(
            "SHOW INDEX FROM `tabItem Shopify Store` WHERE Key_name = %s", (STORE_INDEX,), as_dict=True
        )
        self.assertEqual(
            [i.Column_name for i in sorted(indexes, key=lambda i: i.Seq_in_index)], STORE_INDEX_COLUMNS
        )
