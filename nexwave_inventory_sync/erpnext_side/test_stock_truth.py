# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Stock that stays true, on a real ERPNext against the Shopify emulator: delta pushes from
confirmed levels, full pushes, zeroing, compare-and-set conflicts under each policy, the
on_hand mode and items not stocked at a location."""

import json
from dataclasses import replace
from datetime import timedelta
from unittest.mock import patch

import frappe
from frappe.utils import now_datetime

from nexwave_inventory_sync.emulator import Fault
from nexwave_inventory_sync.erpnext_side import (
    confirmed_levels,
    not_on_shopify,
    stock_changes,
    stock_truth,
    store_sync,
)
from nexwave_inventory_sync.erpnext_side.health import store_health
from nexwave_inventory_sync.erpnext_side.stock_levels import order_marker_column, stock_rows
from nexwave_inventory_sync.sync.api import RowFailure, RunResult, StockRow
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import (
    item,
    receive,
    sales_order,
    store,
    warehouse,
)
from nexwave_inventory_sync.testing.stores import LOC1, LOC2, TruthStoreMixin


class TestDeltaPush(TruthStoreMixin, IntegrationTestCase):
    def test_nothing_changed_means_no_call_and_0_changed(self):
        a, b = self.variant("TRUTH-N1"), self.variant("TRUTH-N2")
        receive([(a, self.wh1, 4), (b, self.wh3, 6)])
        name = self.make_store()
        first = self.sync(name)
        self.assertEqual((first.status, first.changed, first.pushed), ("Success", 2, 2))
        self.assertEqual(self.levels(name), {(a, LOC1): 4, (b, LOC2): 6})
        self.shop.emulator.stats.reset()
        second = self.sync(name)
        self.assertEqual(
            (second.status, second.changed, second.pushed, second.api_calls), ("Success", 0, 0, 0)
        )
        self.assertEqual(second.unchanged_skipped, 2)
        self.assertEqual(self.calls(), {})

    def test_only_changed_rows_go_out_with_the_confirmed_level_as_compare(self):
        codes = [self.variant(f"TRUTH-D{n}") for n in range(5)]
        receive([(code, self.wh1, 3) for code in codes])
        name = self.make_store()
        self.sync(name)
        receive([(codes[2], self.wh1, 4)])
        self.shop.emulator.stats.reset()
        sent = []
        real_select = stock_truth.select_delta

        def spy(*args, **kwargs):
            selection = real_select(*args, **kwargs)
            sent.extend(selection.to_push)
            return selection

        with patch.object(stock_truth, "select_delta", spy):
            log = self.sync(name)
        self.assertEqual((log.changed, log.pushed, log.unchanged_skipped), (1, 1, 4))
        self.assertEqual(self.calls(), {"SetInventoryQuantities": 1})
        self.assertEqual([(row.ref, row.quantity, row.change_from) for row in sent], [(codes[2], 7, 3)])
        self.assertEqual(self.shop.available(codes[2], LOC1), 7)
        self.assertEqual(self.levels(name)[(codes[2], LOC1)], 7)

    def test_a_full_push_is_forced_after_the_interval_and_by_the_all_items_button(self):
        codes = [self.variant(f"TRUTH-F{n}") for n in range(3)]
        receive([(code, self.wh1, 2) for code in codes])
        name = self.make_store(full_push_interval=24)
        first = self.sync(name)
        self.assertTrue(first.full_push)  # never pushed in full: due
        self.assertFalse(self.sync(name).full_push)
        self.assertEqual(self.sync(name, scope="all").changed, 3)
        frappe.db.set_value("Shopify Store", name, "last_full_push", now_datetime() - timedelta(hours=25))
        due = self.sync(name)
        self.assertEqual((due.full_push, due.changed, due.pushed), (1, 3, 3))
        self.assertFalse(self.sync(name).full_push)  # the interval restarted

    def test_a_cold_run_resolves_ids_before_it_reads_stock(self):
        codes = [self.variant(f"TRUTH-C{n}") for n in range(3)]
        receive([(code, self.wh1, 5) for code in codes])
        name = self.make_store()
        seen = {}
        real_read = stock_truth.read_store_stock

        def read(store, items=None):
            seen["calls_before_read"] = self.calls()
            return real_read(store, items)

        with patch.object(stock_truth, "read_store_stock", read):
            log = self.sync(name)
        self.assertEqual(log.pushed, 3)
        before = seen["calls_before_read"]
        self.assertNotIn("SetInventoryQuantities", before)
        self.assertGreaterEqual(sum(before.values()), 1)  # the lookup came first
        # and the ids the lookup found were used without a second one
        self.assertEqual(self.calls().get("SetInventoryQuantities"), 1)
        self.assertEqual(sum(self.calls().values()), sum(before.values()) + 1)


class TestChangedItemsRead(TruthStoreMixin, IntegrationTestCase):
    """After a run that settled everything it read, the next reads only the items whose stock
    inputs changed since (stock_changes.py)."""

    def settled(self, codes, count=3, quantity=3):
        """A store whose first run pushed `count` items, and whose items, Bins and settings
        then sat still for two hours (the overlap is 30 minutes)."""
        codes = [self.variant(f"{codes}{n}") for n in range(count)]
        receive([(code, self.wh1, quantity) for code in codes])
        name = self.make_store()
        self.assertEqual(self.sync(name).status, "Success")
        self.age(name, codes)
        return name, codes

    def age(self, name, codes):
        past = now_datetime() - timedelta(hours=2)
        frappe.db.sql("UPDATE `tabBin` SET modified = %s WHERE item_code IN %s", (past, tuple(codes)))
        frappe.db.sql("UPDATE `tabItem` SET modified = %s WHERE name IN %s", (past, tuple(codes)))
        frappe.db.sql("UPDATE `tabShopify Store` SET modified = %s WHERE name = %s", (past, name))

    def reads(self, name):
        """The log of a scheduled-like run and the items its stock read was limited to."""
        asked = []
        real_read = stock_truth.read_store_stock

        def read(store, items=None):
            asked.append(items)
            return real_read(store, items)

        with patch.object(stock_truth, "read_store_stock", read):
            log = self.sync(name)
        self.assertEqual(len(asked), 1)
        return log, asked[0]

    def test_a_run_reads_only_the_items_that_changed(self):
        name, codes = self.settled("TRUTH-W")
        receive([(codes[1], self.wh1, 4)])
        self.shop.emulator.stats.reset()
        log, items = self.reads(name)
        self.assertIn(codes[1], items)
        self.assertNotIn(codes[0], items)
        self.assertEqual((log.status, log.considered, log.changed, log.pushed), ("Success", 1, 1, 1))
        self.assertTrue(log.stock_read.startswith(f"{len(items)} items that changed"), log.stock_read)
        self.assertEqual(self.calls(), {"SetInventoryQuantities": 1})
        self.assertEqual(self.shop.available(codes[1], LOC1), 7)
        self.assertEqual(self.shop.available(codes[0], LOC1), 3)
        # Nothing moved since: the item still inside the overlap is read again, and nothing is sent.
        self.shop.emulator.stats.reset()
        again, items = self.reads(name)
        self.assertEqual((again.status, again.changed, again.api_calls), ("Success", 0, 0))
        self.assertNotIn(codes[0], items)

    def test_the_watermark_is_the_instant_the_read_began(self):
        name, codes = self.settled("TRUTH-M")
        receive([(codes[0], self.wh1, 1)])
        began = []
        real_read = stock_truth.read_store_stock

        def read(store, items=None):
            began.append(now_datetime())
            return real_read(store, items)

        with patch.object(stock_truth, "read_store_stock", read):
            self.sync(name)
        watermark = frappe.db.get_value("Shopify Store", name, "stock_read_at")
        self.assertIsNotNone(watermark)
        # Not the run's end (seed 004's bug): a Bin written while the run pushed is newer.
        self.assertLessEqual(watermark, began[0])

    def test_an_item_that_leaves_the_query_is_zeroed_by_a_changed_items_read(self):
        name, codes = self.settled("TRUTH-L")
        frappe.db.set_value("Item", codes[2], "disabled", 1)
        log, items = self.reads(name)
        self.assertIsNotNone(items)
        self.assertEqual((log.status, log.zeroed), ("Success", 1))
        self.assertEqual(self.shop.available(codes[2], LOC1), 0)
        self.assertEqual(self.shop.available(codes[0], LOC1), 3)

    def test_a_row_shopify_refused_is_read_again_until_it_lands(self):
        name, codes = self.settled("TRUTH-R")
        self.shop.catalog.unstock(self.inventory_item(codes[0]), LOC1)
        receive([(codes[0], self.wh1, 2)])
        log, _items = self.reads(name)
        self.assertEqual((log.status, log.not_stocked), ("Failed", 1))  # the one row it sent
        self.assertEqual(frappe.db.get_value("Shopify Store", name, "stock_recheck"), f'["{codes[0]}"]')
        self.age(name, codes)  # unchanged since: read again only because it did not land
        frappe.db.set_value("Shopify Store", name, "connect_items_to_locations", 1, update_modified=False)
        log, items = self.reads(name)
        self.assertIn(codes[0], items)
        self.assertEqual((log.status, log.pushed), ("Success", 1))
        self.assertEqual(self.shop.available(codes[0], LOC1), 5)
        self.assertIsNone(frappe.db.get_value("Shopify Store", name, "stock_recheck"))

    def test_everything_is_read_after_a_settings_change_a_full_push_or_a_stopped_run(self):
        name, codes = self.settled("TRUTH-E")
        store = frappe.get_doc("Shopify Store", name)
        store.safety_buffer = 1
        store.save()
        log, items = self.reads(name)
        self.assertIsNone(items)
        self.assertEqual(log.stock_read, "All items: the store's settings changed: safety buffer")
        self.assertEqual(self.shop.available(codes[0], LOC1), 2)
        self.age(name, codes)
        log, items = self.reads(name)
        self.assertIsNotNone(items)
        log = self.sync(name, scope="all")
        self.assertEqual(log.stock_read, "All items: a full push")
        receive([(codes[0], self.wh1, 1)])  # something to send, so the run makes a call
        self.shop.emulator.faults.script(Fault.status(401))
        self.assertEqual(self.sync(name).status, "Aborted")
        self.assertIsNone(frappe.db.get_value("Shopify Store", name, "stock_read_at"))
        log, items = self.reads(name)
        self.assertIsNone(items)
        self.assertIn("no earlier run", log.stock_read)

    def test_saving_the_store_without_touching_the_figures_keeps_the_delta_read(self):
        # Any save used to make every run read everything for 30 minutes.
        name, codes = self.settled("TRUTH-S")
        store = frappe.get_doc("Shopify Store", name)
        store.sync_interval = 17
        store.reconcile_interval = 45
        store.conflict_policy = "Hold"
        store.save()
        receive([(codes[0], self.wh1, 2)])
        log, items = self.reads(name)
        self.assertIsNotNone(items, log.stock_read)
        self.assertIn(codes[0], items)
        self.assertEqual((log.status, log.pushed), ("Success", 1))

    def test_each_setting_that_shapes_the_figures_forces_a_full_read_and_is_named(self):
        name, _codes = self.settled("TRUTH-F")
        store = frappe.get_doc("Shopify Store", name)

        def read_after(**changes):
            store.reload()
            store.update(changes)
            return stock_changes.read_scope(store, False, now_datetime(), 24)

        self.assertIsNotNone(read_after().items)
        for changes, named in (
            ({"safety_buffer": 2}, "safety buffer"),
            ({"quantity_name": "on_hand"}, "quantity rule"),
            ({"sku_field": "item_name"}, "SKU field"),
            ({"api_version": "2026-04"}, "API version"),
        ):
            scope = read_after(**changes)
            self.assertIsNone(scope.items, changes)
            self.assertEqual(scope.reason, f"the store's settings changed: {named}")
        store.reload()
        store.locations[0].shopify_location_id = "gid://shopify/Location/9"
        scope = stock_changes.read_scope(store, False, now_datetime(), 24)
        self.assertEqual(scope.reason, "the store's settings changed: warehouse mapping")

    def test_an_item_not_on_shopify_is_a_state_looked_up_again_when_it_changes(self):
        name, codes = self.settled("TRUTH-N")
        new = f"TRUTH-NEW-{frappe.generate_hash(length=5)}"
        item(new)  # in ERPNext, not (yet) on Shopify
        receive([(new, self.wh1, 4)])
        log, items = self.reads(name)
        # Success, with its count on a line of its own; the store stays healthy, with a note.
        self.assertEqual((log.status, log.skipped_unmapped, log.error), ("Success", 1, None))
        self.assertIn("ERPNext has and Shopify does not", log.warnings)
        self.assertEqual([(r.item_code, r.code) for r in log.failed_rows], [(new, "SKU_NOT_FOUND")])
        doc = frappe.get_doc("Shopify Store", name)
        self.assertEqual(doc.last_run_status, "Success")
        self.assertEqual(store_health(doc)["state"], "healthy")
        self.assertEqual(store_health(doc)["not_on_shopify"], 1)
        self.assertIsNone(doc.stock_recheck)  # not re-read on every run
        self.assertEqual(
            frappe.db.get_value(
                "Item Shopify Store", {"parent": new, "shopify_store": name}, "not_on_shopify"
            ),
            1,
        )
        # Its stock moves: still not searched for again.
        self.age(name, codes)
        receive([(new, self.wh1, 1)])
        self.shop.emulator.stats.reset()
        log, items = self.reads(name)
        self.assertNotIn(new, items)
        self.assertEqual((log.status, self.calls()), ("Success", {}))
        # A day later it is looked up again...
        frappe.db.sql(
            "UPDATE `tabItem Shopify Store` SET last_resolved = %s WHERE parent = %s",
            (now_datetime() - timedelta(hours=25), new),
        )
        self.assertIn(new, stock_changes.read_scope(doc, False, now_datetime(), 24).items)
        frappe.db.sql(
            "UPDATE `tabItem Shopify Store` SET last_resolved = %s WHERE parent = %s", (now_datetime(), new)
        )
        self.assertNotIn(new, stock_changes.read_scope(doc, False, now_datetime(), 24).items)
        # ...and at once when its Item changes (the merchant has put it on Shopify meanwhile).
        self.shop.catalog.add_variant(new)
        frappe.db.set_value("Item", new, "item_name", f"{new} (online)")
        log, items = self.reads(name)
        self.assertIn(new, items)
        self.assertEqual((log.status, log.pushed, log.skipped_unmapped), ("Success", 1, 0))
        self.assertEqual(self.shop.available(new, LOC1), 5)
        self.assertEqual(store_health(frappe.get_doc("Shopify Store", name))["not_on_shopify"], 0)

    def test_many_items_not_on_shopify_keep_the_read_a_delta_read(self):
        # Past MAX_CHANGED_ITEMS of them, every run used to read everything.
        name, codes = self.settled("TRUTH-V")
        # Items of earlier tests, changed within the overlap, are in every read of this class.
        store = frappe.get_doc("Shopify Store", name)
        base = len(stock_changes.read_scope(store, False, now_datetime(), 24).items)
        offline = [item(f"TRUTH-OFF-{frappe.generate_hash(length=5)}") for _n in range(3)]
        receive([(code, self.wh1, 2) for code in offline])
        with patch.object(stock_changes, "MAX_CHANGED_ITEMS", base + 2):
            log, items = self.reads(name)
            self.assertEqual((log.status, log.skipped_unmapped), ("Success", 3))
            self.assertIsNotNone(frappe.db.get_value("Shopify Store", name, "stock_read_at"))
            receive([(code, self.wh1, 1) for code in offline] + [(codes[0], self.wh1, 1)])
            log, items = self.reads(name)
        self.assertIsNotNone(items, log.stock_read)
        self.assertIn(codes[0], items)
        self.assertFalse(set(offline) & items)
        self.assertEqual((log.status, log.pushed), ("Success", 1))

    def test_only_items_shopify_lacks_make_a_partial_run_a_success(self):
        row = StockRow(location_id=LOC1, quantity=1, sku="X", ref="X")

        def result(code, **extra):
            return RunResult(
                "r", "2026-10", unresolved=1, unresolved_rows=(RowFailure(row, code, "m"),), **extra
            )

        self.assertTrue(not_on_shopify.only_missing_items(result("SKU_NOT_FOUND")))
        # Two variants share the SKU, or a typed variant id is unknown: problems to fix.
        self.assertFalse(not_on_shopify.only_missing_items(result("AMBIGUOUS_SKU")))
        self.assertFalse(not_on_shopify.only_missing_items(result("VARIANT_NOT_FOUND")))
        self.assertFalse(not_on_shopify.only_missing_items(result("SKU_NOT_FOUND", failed=1, pushed=1)))
        self.assertFalse(not_on_shopify.only_missing_items(result("SKU_NOT_FOUND", not_sent=1)))

    def test_a_run_that_stopped_part_way_leaves_the_next_to_read_everything(self):
        # It may have cached ids (so those items are no longer "without ids") and pushed rows
        # it never recorded.
        name, codes = self.settled("TRUTH-K")
        frappe.get_doc(
            {"doctype": "Shopify Log", "shopify_store": name, "status": "Running", "trigger": "Scheduled"}
        ).insert(ignore_permissions=True)  # a worker killed mid-run
        log, items = self.reads(name)
        self.assertIsNone(items)
        self.assertIn("stopped part-way", log.stock_read)
        self.age(name, codes)
        with patch.object(store_sync, "sync_inventory", side_effect=RuntimeError("lost the database")):
            self.assertEqual(self.sync(name).status, "Failed")
        self.assertIsNone(frappe.db.get_value("Shopify Store", name, "stock_read_at"))

    def test_in_on_hand_mode_an_item_whose_sales_order_changed_is_read(self):
        # on_hand adds this store's own orders back: an order's change counts even where its
        # Bin's did not (here the Bin is stamped old again after the order reserved stock).
        name, codes = self.settled("TRUTH-O")
        sales_order(codes[0], self.wh1, 1)
        self.age(name, codes)
        store = frappe.get_doc("Shopify Store", name)
        self.assertNotIn(codes[0], stock_changes.read_scope(store, False, now_datetime(), 24).items)
        store.quantity_name = "on_hand"
        # (as if the last read was in on_hand mode too: a change of mode reads everything)
        store.figure_settings = json.dumps(stock_changes.figure_settings(store))
        self.assertIn(codes[0], stock_changes.read_scope(store, False, now_datetime(), 24).items)

    def test_what_else_brings_an_item_into_the_read(self):
        name, codes = self.settled("TRUTH-Q", count=4)
        store = frappe.get_doc("Shopify Store", name)

        def scope():
            return stock_changes.read_scope(store, False, now_datetime(), 24)

        self.assertFalse(set(codes) & scope().items)
        # a reconciliation confirmed a level at a new figure (one it leaves as it was is not
        # written, so not stamped)
        level = confirmed_levels.load(name, [codes[0]]).levels[0]
        confirmed_levels.upsert(
            name, [replace(level, quantity=level.quantity + 1)], confirmed_levels.RECONCILIATION
        )
        # the item was deleted
        frappe.get_doc(
            {"doctype": "Deleted Document", "deleted_doctype": "Item", "deleted_name": codes[1], "data": "{}"}
        ).insert(ignore_permissions=True)
        # its variant id was edited on the cache row (the item form would also stamp the Item)
        frappe.db.sql(
            "UPDATE `tabItem Shopify Store` SET variant_id = '999' WHERE parent = %s AND shopify_store = %s",
            (codes[2], name),
        )
        # Shopify said untracked, longer ago than the re-check interval
        frappe.db.sql(
            """UPDATE `tabItem Shopify Store` SET tracked = 0, last_resolved = %s
            WHERE parent = %s AND shopify_store = %s""",
            (now_datetime() - timedelta(hours=25), codes[3], name),
        )
        self.assertEqual(set(codes) & scope().items, set(codes))


class TestZeroing(TruthStoreMixin, IntegrationTestCase):
    def test_items_that_leave_the_stock_query_are_set_to_0(self):
        kept, disabled, service, moved, binless = (self.variant(f"TRUTH-Z{n}") for n in range(5))
        receive(
            [
                (kept, self.wh1, 3),
                (disabled, self.wh1, 4),
                (service, self.wh1, 5),
                (moved, self.wh3, 6),
                (binless, self.wh1, 2),
            ]
        )
        name = self.make_store()
        self.sync(name)
        frappe.db.set_value("Item", disabled, "disabled", 1)
        frappe.db.set_value("Item", service, "is_stock_item", 0)
        frappe.db.delete("Bin", {"item_code": binless, "warehouse": self.wh1})
        store = frappe.get_doc("Shopify Store", name)
        store.locations = [row for row in store.locations if row.warehouse != self.wh3]  # unmapped
        store.save()
        log = self.sync(name)
        self.assertEqual((log.status, log.zeroed, log.changed), ("Success", 4, 0))
        for code, location in ((disabled, LOC1), (service, LOC1), (moved, LOC2), (binless, LOC1)):
            self.assertEqual(self.shop.available(code, location), 0, code)
            self.assertEqual(self.levels(name)[(code, location)], 0)
        self.assertEqual(self.shop.available(kept, LOC1), 3)
        self.shop.emulator.stats.reset()
        again = self.sync(name)
        self.assertEqual((again.zeroed, again.api_calls), (0, 0))  # confirmed at 0: nothing to do

    def test_a_zero_row_of_an_item_deleted_on_shopify_is_dropped_not_failed_forever(self):
        """Issue 15, D11: the level of an item Shopify deleted is forgotten, the run is a
        Success, and later quiet runs send nothing (they were Failed, and paused the store)."""
        kept, gone = self.variant("TRUTH-D-KEPT"), self.variant("TRUTH-D-GONE")
        receive([(kept, self.wh1, 3), (gone, self.wh1, 4)])
        name = self.make_store()
        self.assertEqual(self.sync(name).status, "Success")
        variant = next(v for v in self.shop.catalog.variants if v["sku"] == gone)
        self.shop.catalog.remove_variant(variant["id"])
        frappe.db.set_value("Item", gone, "disabled", 1)  # left the stock query: a zero row
        for _run in range(3):
            log = self.sync(name)
            self.assertEqual(log.status, "Success", log.error)
        self.assertNotIn((gone, LOC1), self.levels(name))
        self.assertEqual(frappe.db.get_value("Shopify Store", name, "consecutive_failures"), 0)
        self.shop.emulator.stats.reset()
        self.assertEqual(self.sync(name).api_calls, 0)

    def test_zeroing_can_be_turned_off(self):
        code = self.variant("TRUTH-ZOFF")
        receive([(code, self.wh1, 3)])
        name = self.make_store(zero_dropped_items=0)
        self.sync(name)
        frappe.db.set_value("Item", code, "disabled", 1)
        log = self.sync(name)
        self.assertEqual((log.zeroed, log.api_calls), (0, 0))
        self.assertEqual(self.shop.available(code, LOC1), 3)


class TestConflicts(TruthStoreMixin, IntegrationTestCase):
    def sold_on_shopify_while_erpnext_received(self, policy):
        """Pushed 10; Shopify then sells 3 (shows 7) while ERPNext receives 5 (15)."""
        code = self.variant(f"TRUTH-K-{frappe.generate_hash(length=4)}")
        receive([(code, self.wh1, 10)])
        name = self.make_store(conflict_policy=policy)
        self.sync(name)
        self.assertTrue(self.shop.catalog.sell(self.inventory_item(code), LOC1, 3))
        receive([(code, self.wh1, 5)])
        return code, name, self.sync(name)

    def conflict_row(self, log):
        self.assertEqual(len(log.conflict_rows), 1)
        row = log.conflict_rows[0]
        return (row.erpnext_quantity, row.confirmed_quantity, row.shopify_quantity, row.outcome)

    def test_keep_shopifys_sales_leaves_the_units_sold_on_shopify_sold(self):
        code, name, log = self.sold_on_shopify_while_erpnext_received("Keep Shopify's sales")
        self.assertEqual((log.status, log.conflicts, log.held), ("Success", 1, 0))
        self.assertEqual(self.conflict_row(log), (15, 10, 7, "Settled by the policy"))
        self.assertEqual(self.shop.available(code, LOC1), 12)  # 15 − the 3 Shopify sold
        self.assertEqual(self.levels(name)[(code, LOC1)], 12)

    def test_the_sales_kept_stay_kept_on_the_next_runs_until_erpnext_imports_them(self):
        # N1: the level stored the 12 without the 3 it kept back, so the next run that read the
        # item (a receipt of 1) sent ERPNext's 16 over it and offered the sold units again.
        code, name, _log = self.sold_on_shopify_while_erpnext_received("Keep Shopify's sales")
        self.assertEqual(
            frappe.db.get_value(
                "Shopify Confirmed Level", {"shopify_store": name, "item_code": code}, "held"
            ),
            3,
        )
        receive([(code, self.wh1, 1)])
        self.sync(name)
        self.assertEqual(self.shop.available(code, LOC1), 13)  # 16 − the 3 still not imported

    def test_a_store_switched_to_erpnext_wins_lets_the_held_sales_go(self):
        code, name, _log = self.sold_on_shopify_while_erpnext_received("Keep Shopify's sales")
        frappe.db.set_value("Shopify Store", name, "conflict_policy", "ERPNext wins")
        receive([(code, self.wh1, 1)])
        self.sync(name)
        self.assertEqual(self.shop.available(code, LOC1), 16)  # ERPNext's figure, nothing held
        self.assertEqual(
            frappe.db.get_value(
                "Shopify Confirmed Level", {"shopify_store": name, "item_code": code}, "held"
            ),
            0,
        )

    def test_erpnext_wins_sets_erpnexts_figure(self):
        code, name, log = self.sold_on_shopify_while_erpnext_received("ERPNext wins")
        self.assertEqual(self.conflict_row(log), (15, 10, 7, "Settled by the policy"))
        self.assertEqual(self.shop.available(code, LOC1), 15)
        self.assertEqual(self.levels(name)[(code, LOC1)], 15)

    def test_hold_leaves_shopify_as_it_is_and_lists_the_row(self):
        code, name, log = self.sold_on_shopify_while_erpnext_received("Hold")
        self.assertEqual((log.status, log.conflicts, log.held), ("Partial", 1, 1))
        self.assertEqual(self.conflict_row(log), (15, 10, 7, "Held for review"))
        self.assertEqual(self.shop.available(code, LOC1), 7)
        self.assertEqual(self.levels(name)[(code, LOC1)], 10)  # not confirmed: held again next run


class TestOnHand(TruthStoreMixin, IntegrationTestCase):
    def test_on_hand_leaves_out_only_this_stores_orders(self):
        code = self.variant("TRUTH-OH")
        receive([(code, self.wh1, 10)])
        sales_order(code, self.wh1, 3, po_no="SHOPIFY-1001")  # came from the store
        sales_order(code, self.wh1, 2)  # another channel's order
        name = self.make_store()
        available = {(r.ref, r.location_id): r.quantity for r in stock_rows(name)}
        self.assertEqual(available[(code, LOC1)], 5)
        on_hand = {
            (r.ref, r.location_id): r.quantity
            for r in stock_rows(name, quantity_name="on_hand", marker_field="po_no")
        }
        self.assertEqual(on_hand[(code, LOC1)], 8)  # 10 − the other channel's 2
        only_1002 = stock_rows(
            name, quantity_name="on_hand", marker_field="po_no", marker_value="SHOPIFY-1002"
        )
        self.assertEqual({(r.ref, r.location_id): r.quantity for r in only_1002}[(code, LOC1)], 5)

    def test_on_hand_stays_one_query(self):
        code = self.variant("TRUTH-OHQ")
        receive([(code, self.wh1, 10)])
        sales_order(code, self.wh1, 3, po_no="SHOPIFY-1")
        name = self.make_store()
        before = frappe.db.sql("show session status like 'Questions'")[0][1]
        rows = list(stock_rows(name, quantity_name="on_hand", marker_field="po_no"))
        after = frappe.db.sql("show session status like 'Questions'")[0][1]
        self.assertEqual(len(rows), 1)
        self.assertLessEqual(int(after) - int(before), 2)  # the query and the counter probe

    def test_on_hand_keeps_a_shopify_sale_erpnext_has_not_imported_sold(self):
        code = self.variant("TRUTH-OHR")
        receive([(code, self.wh1, 10)])
        inventory_item = self.inventory_item(code)
        self.shop.catalog.set_available(inventory_item, LOC1, 10)
        # Shopify sells 3; ERPNext has not imported the order yet.
        self.assertTrue(self.shop.catalog.sell(inventory_item, LOC1, 3))
        name = self.make_store(quantity_name="on_hand", order_marker_field="po_no")
        log = self.sync(name)
        self.assertEqual(log.status, "Success", log.as_dict())
        # on_hand 10 set; Shopify subtracts its committed 3 itself (available mode would set 10).
        self.assertEqual(self.shop.available(code, LOC1), 7)
        self.assertEqual(self.shop.catalog.committed_units(inventory_item, LOC1), 3)
        # The order is imported: ERPNext's on_hand figure leaves its reservation out, no change.
        sales_order(code, self.wh1, 3, po_no="SHOPIFY-2001")
        self.shop.emulator.stats.reset()
        again = self.sync(name)
        self.assertEqual((again.changed, again.api_calls), (0, 0))
        self.assertEqual(self.shop.available(code, LOC1), 7)

    def test_the_order_marker_defaults_to_shopify_order_id_when_sales_order_has_it(self):
        meta = frappe.get_meta("Sales Order")
        self.assertEqual(order_marker_column("po_no"), "po_no")
        with self.assertRaisesRegex(frappe.ValidationError, "no field"):
            order_marker_column("no_such_field")
        with patch.object(type(meta), "has_field", lambda self, name: name == "shopify_order_id"):
            self.assertEqual(order_marker_column(""), "shopify_order_id")
        with patch.object(type(meta), "has_field", lambda self, name: False):
            self.assertIsNone(order_marker_column(""))

    def test_on_hand_without_a_marker_is_refused(self):
        with (
            patch(
                "nexwave_inventory_sync.nexwave_inventory_sync.doctype.shopify_store.shopify_store.order_marker_column",
                return_value=None,
            ),
            self.assertRaisesRegex(frappe.ValidationError, "on_hand needs"),
        ):
            self.make_store(quantity_name="on_hand")


class TestNotStocked(TruthStoreMixin, IntegrationTestCase):
    def unstocked(self, **store_options):
        good, bad = self.variant("TRUTH-S1"), self.variant("TRUTH-S2")
        receive([(good, self.wh1, 5), (bad, self.wh1, 6)])
        self.shop.catalog.unstock(self.inventory_item(bad), LOC1)
        return bad, self.sync(self.make_store(**store_options))

    def test_off_reports_each_row_once_with_the_options_name(self):
        bad, log = self.unstocked()
        self.assertEqual((log.status, log.pushed, log.not_stocked), ("Partial", 1, 1))
        rows = [r for r in log.failed_rows if r.code == "ITEM_NOT_STOCKED_AT_LOCATION"]
        self.assertEqual(len(rows), 1)
        self.assertIn("connect items to mapped locations", rows[0].message)
        self.assertIsNone(self.shop.available(bad, LOC1))

    def test_on_connects_the_item_and_pushes_it_in_the_same_run(self):
        bad, log = self.unstocked(connect_items_to_locations=1)
        self.assertEqual((log.status, log.pushed, log.not_stocked), ("Success", 2, 0))
        self.assertEqual(self.shop.available(bad, LOC1), 6)


class TestSyncButtonScope(IntegrationTestCase):
    def test_the_button_queues_changed_rows_by_default_or_all_items(self):
        from frappe.utils.background_jobs import get_job

        from nexwave_inventory_sync.erpnext_side.scheduling import job_id

        name = store("scope-button.myshopify.com", [(warehouse("Shopify WH 1"), "1")])
        doc = frappe.get_doc("Shopify Store", name)

        def drop():
            job = get_job(job_id(name))
            if job:
                job.delete()

        drop()
        self.addCleanup(drop)
        for scope in ("changed", "all"):
            self.assertTrue(doc.sync_inventory(scope=scope)["queued"])
            self.assertEqual(get_job(job_id(name)).kwargs["kwargs"]["scope"], scope)
            drop()
        self.assertEqual(doc.sync_inventory()["queued"], True)
        self.assertEqual(get_job(job_id(name)).kwargs["kwargs"]["scope"], "changed")
        drop()
        with self.assertRaises(frappe.ValidationError):
            doc.sync_inventory(scope="everything")
