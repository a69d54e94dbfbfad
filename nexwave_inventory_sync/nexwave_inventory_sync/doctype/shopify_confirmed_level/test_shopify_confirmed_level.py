# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Confirmed levels: the composite unique key, bulk upserts and what a push or a
reconciliation changes in them."""

from datetime import datetime, timedelta

import frappe

from nexwave_inventory_sync.erpnext_side import confirmed_levels
from nexwave_inventory_sync.erpnext_side.confirmed_levels import PUSH, RECONCILIATION, full_push_due
from nexwave_inventory_sync.sync.api import ConfirmedLevel
from nexwave_inventory_sync.testing.compat import IntegrationTestCase, ignore_test_records
from nexwave_inventory_sync.testing.fixtures import item, store, warehouse

LOC1, LOC2 = "gid://shopify/Location/1", "gid://shopify/Location/2"

# Frappe would first make test records for every doctype linked from this one; ours make
# their own (see testing/compat.py).
globals().update(ignore_test_records("Shopify Store", "Item", "Warehouse", "Shopify Log"))


def inv(n):
    return f"gid://shopify/InventoryItem/{n}"


class TestConfirmedLevels(IntegrationTestCase):
    def setUp(self):
        self.store = store(
            f"levels-{frappe.generate_hash(length=6)}.myshopify.com", [(warehouse("Shopify WH 1"), "1")]
        )
        self.a, self.b = item("SHOP-LVL-A"), item("SHOP-LVL-B")

    def test_the_table_has_the_store_item_location_unique_key(self):
        indexes = frappe.db.sql(
            "SHOW INDEX FROM `tabShopify Confirmed Level` WHERE Key_name = 'store_item_location'",
            as_dict=True,
        )
        self.assertEqual(
            [(i.Column_name, i.Non_unique) for i in sorted(indexes, key=lambda i: i.Seq_in_index)],
            [("shopify_store", 0), ("item_code", 0), ("shopify_location_id", 0)],
        )

    def test_upsert_inserts_then_updates_one_row_per_store_item_location(self):
        written = confirmed_levels.upsert(
            self.store,
            [
                ConfirmedLevel(inv(1), LOC1, 5, ref=self.a),
                ConfirmedLevel(inv(1), LOC2, 7, ref=self.a),
                ConfirmedLevel(inv(2), LOC1, 0, ref=self.b),
            ],
            PUSH,
        )
        self.assertEqual(written, 3)
        confirmed_levels.upsert(self.store, [ConfirmedLevel(inv(1), LOC1, 4, ref=self.a)], PUSH)
        rows = frappe.get_all(
            "Shopify Confirmed Level",
            filters={"shopify_store": self.store},
            fields=["item_code", "shopify_location_id", "quantity", "confirmed_by"],
            order_by="item_code, shopify_location_id",
        )
        self.assertEqual(
            [(r.item_code, r.shopify_location_id, r.quantity, r.confirmed_by) for r in rows],
            [(self.a, LOC1, 4, PUSH), (self.a, LOC2, 7, PUSH), (self.b, LOC1, 0, PUSH)],
        )
        levels = {
            (level.ref, level.location_id): level.quantity
            for level in confirmed_levels.load(self.store).levels
        }
        self.assertEqual(levels, {(self.a, LOC1): 4, (self.a, LOC2): 7, (self.b, LOC1): 0})

    def test_a_thousand_levels_take_two_statements_not_a_save_each(self):
        # The upsert writes rows, not documents: item codes need no Item behind them here.
        codes = [f"SHOP-LVL-{n:04d}" for n in range(1001)]
        levels = [ConfirmedLevel(inv(10_000 + n), LOC1, n % 9, ref=code) for n, code in enumerate(codes)]
        before = frappe.db.sql("show session status like 'Questions'")[0][1]
        self.assertEqual(confirmed_levels.upsert(self.store, levels, PUSH), 1001)
        after = frappe.db.sql("show session status like 'Questions'")[0][1]
        # two INSERT … ON DUPLICATE KEY statements (1,000 + 1), plus the counter probe
        self.assertLessEqual(int(after) - int(before), 3)
        self.assertEqual(frappe.db.count("Shopify Confirmed Level", {"shopify_store": self.store}), 1001)

    def test_a_reconciliation_replaces_shortfalls_and_a_push_keeps_them(self):
        level = ConfirmedLevel(inv(1), LOC1, 3, ref=self.a)
        an_hour_ago = frappe.utils.now_datetime() - timedelta(hours=1)  # the previous reconciliation
        confirmed_levels.upsert(
            self.store, [level], RECONCILIATION, now=an_hour_ago, shortfalls={level.key: 2}
        )
        self.assertEqual(confirmed_levels.load(self.store).shortfalls, {level.key: 2})
        confirmed_levels.upsert(self.store, [ConfirmedLevel(inv(1), LOC1, 5, ref=self.a)], PUSH)
        stored = confirmed_levels.load(self.store)
        self.assertEqual(stored.shortfalls, {level.key: 2})
        self.assertEqual(stored.levels[0].quantity, 5)
        confirmed_levels.upsert(self.store, [ConfirmedLevel(inv(1), LOC1, 5, ref=self.a)], RECONCILIATION)
        self.assertEqual(confirmed_levels.load(self.store).shortfalls, {})

    def test_a_shortfall_counts_as_seen_before_once_its_first_sighting_is_old(self):
        # A webhook check looks again within seconds: a shortfall that young is an order ERPNext
        # has not imported yet, not one that survived a reconciliation interval.
        level = ConfirmedLevel(inv(1), LOC1, 3, ref=self.a)

        def seen(units):
            confirmed_levels.upsert(self.store, [level], RECONCILIATION, shortfalls={level.key: units})
            return confirmed_levels.load(self.store).shortfalls

        self.assertEqual(seen(2), {})
        frappe.db.sql(
            "UPDATE `tabShopify Confirmed Level` SET shortfall_since = %s WHERE shopify_store = %s",
            (frappe.utils.now_datetime() - confirmed_levels.SHORTFALL_MIN_AGE, self.store),
        )
        self.assertEqual(seen(2), {level.key: 2})
        self.assertEqual(seen(1), {level.key: 1})  # part of it imported: the rest is as old
        self.assertEqual(seen(3), {})  # grown: a new sale in it, dated now

    def test_levels_of_another_store_are_not_read_and_a_deleted_store_leaves_none(self):
        other = store(
            f"levels-{frappe.generate_hash(length=6)}.myshopify.com", [(warehouse("Shopify WH 1"), "1")]
        )
        confirmed_levels.upsert(self.store, [ConfirmedLevel(inv(1), LOC1, 3, ref=self.a)], PUSH)
        confirmed_levels.upsert(other, [ConfirmedLevel(inv(1), LOC1, 9, ref=self.a)], PUSH)
        self.assertEqual([level.quantity for level in confirmed_levels.load(self.store).levels], [3])
        frappe.delete_doc("Shopify Store", other, force=True, ignore_permissions=True)
        self.assertEqual(frappe.db.count("Shopify Confirmed Level", {"shopify_store": other}), 0)
        self.assertEqual(frappe.db.count("Shopify Confirmed Level", {"shopify_store": self.store}), 1)


class TestFullPushDue(IntegrationTestCase):
    def test_full_push_every_n_hours(self):
        now = datetime(2026, 11, 25, 12, 0)
        self.assertTrue(full_push_due(None, 24, now))
        self.assertTrue(full_push_due(now - timedelta(hours=24), 24, now))
        self.assertFalse(full_push_due(now - timedelta(hours=23, minutes=59), 24, now))
        self.assertFalse(full_push_due(None, 0, now))  # 0: never forced
