# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""The sync job on a real ERPNext: stock from real Stock Entries and Sales Orders, pushed to
the Shopify emulator over HTTP, with the log, the cache and the timestamps it leaves."""

from datetime import datetime, timedelta
from unittest.mock import patch

import frappe
from frappe.utils import now_datetime

from nexwave_inventory_sync.emulator import Fault
from nexwave_inventory_sync.erpnext_side import run_lock
from nexwave_inventory_sync.erpnext_side.constants import KILL_SWITCH_KEY
from nexwave_inventory_sync.erpnext_side.scheduling import (
    due_stores,
    enqueue_due_stores,
    enqueue_store_sync,
    is_due,
)
from nexwave_inventory_sync.erpnext_side.stock_levels import stock_rows
from nexwave_inventory_sync.erpnext_side.store_sync import run_store_sync
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import (
    clear_site_config,
    issue,
    item,
    receive,
    sales_order,
    set_site_config,
    store,
    warehouse,
)
from nexwave_inventory_sync.testing.stores import LOC1, LOC2, StoreSyncMixin, drop_job


class TestDueLogic(IntegrationTestCase):
    def test_is_due(self):
        now = datetime(2026, 11, 24, 12, 0)
        self.assertTrue(is_due(None, 60, now))
        self.assertTrue(is_due(now - timedelta(minutes=60), 60, now))
        self.assertFalse(is_due(now - timedelta(minutes=59), 60, now))

    def test_scheduler_enqueues_due_stores_once_and_skips_the_rest(self):
        wh = warehouse("Shopify WH 1")
        due = store("due-shop.myshopify.com", [(wh, "1")])
        fresh = store("fresh-shop.myshopify.com", [(wh, "1")], last_inventory_sync=now_datetime())
        switched = store("switched-shop.myshopify.com", [(wh, "1")])
        off = store("off-shop.myshopify.com", [(wh, "1")], inventory_sync_enabled=0)
        for name in (due, fresh, switched, off):
            drop_job(name)
            self.addCleanup(drop_job, name)
        set_site_config(KILL_SWITCH_KEY, ["switched-shop.myshopify.com"])
        self.addCleanup(clear_site_config, KILL_SWITCH_KEY)
        names = due_stores()
        self.assertIn(due, names)
        self.assertNotIn(fresh, names)
        self.assertNotIn(switched, names)
        self.assertNotIn(off, names)
        queued = enqueue_due_stores()
        # It queues every due store in the site, not only this test's: leave no job behind
        # for a worker to find after the rollback.
        for name in queued:
            self.addCleanup(drop_job, name)
        self.assertIn(due, queued)
        self.assertNotIn(due, enqueue_due_stores())  # already queued: not queued twice

    def test_a_racing_enqueue_is_reported_as_not_queued(self):
        # Two callers may both see "not queued"; frappe's deduplicate drops the second one,
        # and the second caller must say so instead of claiming it queued a run.
        name = store("race-shop.myshopify.com", [(warehouse("Shopify WH 1"), "1")])
        drop_job(name)
        self.addCleanup(drop_job, name)
        self.assertTrue(enqueue_store_sync(name, trigger="Manual", force=True))
        with patch("nexwave_inventory_sync.erpnext_side.scheduling.job_in_progress", return_value=False):
            self.assertFalse(enqueue_store_sync(name, trigger="Manual", force=True))


class TestStockQuery(StoreSyncMixin, IntegrationTestCase):
    def test_available_sums_warehouses_and_subtracts_reservations(self):
        a, b = self.variant("SHOP-A"), self.variant("SHOP-B")
        item("SHOP-DISABLED")
        receive([(a, self.wh1, 10), (a, self.wh2, 5.5), (b, self.wh3, 4), ("SHOP-DISABLED", self.wh1, 9)])
        frappe.db.set_value("Item", "SHOP-DISABLED", "disabled", 1)
        sales_order(a, self.wh1, 3)
        name = self.make_store()
        rows = {(r.ref, r.location_id): r.quantity for r in stock_rows(name)}
        self.assertEqual(rows[(a, LOC1)], 12.5)  # 10 + 5.5 − 3 reserved by the open Sales Order
        self.assertEqual(rows[(b, LOC2)], 4)
        self.assertNotIn(("SHOP-DISABLED", LOC1), rows)

    def test_a_stock_reservation_is_not_subtracted_twice(self):
        # A Stock Reservation Entry reserves part of a Sales Order that reserved_qty already
        # counts; Bin.reserved_stock must not be subtracted again.
        code = self.variant("SHOP-SRE")
        receive([(code, self.wh1, 10)])
        frappe.db.set_single_value("Stock Settings", "enable_stock_reservation", 1)
        self.addCleanup(frappe.db.set_single_value, "Stock Settings", "enable_stock_reservation", 0)
        sales_order(code, self.wh1, 3, reserve_stock=True)
        reserved = frappe.db.get_value(
            "Bin",
            {"item_code": code, "warehouse": self.wh1},
            ["reserved_qty", "reserved_stock"],
            as_dict=True,
        )
        self.assertEqual((reserved.reserved_qty, reserved.reserved_stock), (3, 3))  # the SRE is real
        rows = {(r.ref, r.location_id): r.quantity for r in stock_rows(self.make_store())}
        self.assertEqual(rows[(code, LOC1)], 7)

    def test_production_subcontract_and_plan_reservations_are_subtracted(self):
        code = self.variant("SHOP-PROD")
        receive([(code, self.wh1, 10)])
        # Work Orders, subcontracting and Production Plans each keep their own Bin column;
        # set them directly rather than build a BOM and three documents per column.
        frappe.db.set_value(
            "Bin",
            {"item_code": code, "warehouse": self.wh1},
            {
                "reserved_qty_for_production": 1,
                "reserved_qty_for_sub_contract": 2,
                "reserved_qty_for_production_plan": 3,
            },
        )
        rows = {(r.ref, r.location_id): r.quantity for r in stock_rows(self.make_store())}
        self.assertEqual(rows[(code, LOC1)], 4)

    def test_non_stock_items_are_left_out(self):
        stocked, service = self.variant("SHOP-STOCKED"), self.variant("SHOP-SERVICE")
        receive([(stocked, self.wh1, 2), (service, self.wh1, 2)])
        # ERPNext refuses the switch once stock moved; a Bin can still outlive it.
        frappe.db.set_value("Item", service, "is_stock_item", 0)
        refs = {r.ref for r in stock_rows(self.make_store())}
        self.assertEqual(refs, {stocked})

    def test_one_query_per_run(self):
        for n in range(5):
            self.variant(f"SHOP-Q{n}")
        receive([(f"SHOP-Q{n}", self.wh1, n + 1) for n in range(5)])
        name = self.make_store()
        before = frappe.db.sql("show session status like 'Questions'")[0][1]
        rows = list(stock_rows(name))
        after = frappe.db.sql("show session status like 'Questions'")[0][1]
        self.assertEqual(len(rows), 5)
        # the query itself, plus the status probe that reads the counter
        self.assertLessEqual(int(after) - int(before), 2)


class TestStoreSync(StoreSyncMixin, IntegrationTestCase):
    def test_run_pushes_the_quantity_rule_and_writes_log_and_cache(self):
        a, b, c = self.variant("SHOP-R1"), self.variant("SHOP-R2"), self.variant("SHOP-R3")
        receive([(a, self.wh1, 10), (a, self.wh2, 5.5), (b, self.wh3, 7), (c, self.wh1, 1)])
        sales_order(a, self.wh1, 3)
        frappe.db.set_single_value("Stock Settings", "allow_negative_stock", 1)
        issue(c, self.wh1, 4)  # ERPNext goes to −3
        name = self.make_store(safety_buffer=2)
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual(log.status, "Success", log.as_dict())
        self.assertEqual(self.shop.available(a, LOC1), 10)  # floor(12.5 − 2)
        self.assertEqual(self.shop.available(b, LOC2), 5)  # 7 − 2
        self.assertEqual(self.shop.available(c, LOC1), 0)  # negative clamps to 0
        self.assertEqual((log.considered, log.pushed, log.failed), (3, 3, 0))
        self.assertGreaterEqual(log.api_calls, 2)
        store_doc = frappe.get_doc("Shopify Store", name)
        self.assertEqual((store_doc.last_run_status, store_doc.last_log), ("Success", log.name))
        self.assertIsNotNone(store_doc.last_inventory_sync)
        cached = frappe.get_all(
            "Item Shopify Store",
            filters={"parent": a, "shopify_store": name},
            fields=["inventory_item_id", "variant_id", "tracked"],
        )
        self.assertEqual(len(cached), 1)
        self.assertTrue(cached[0].inventory_item_id.startswith("gid://shopify/InventoryItem/"))

    def test_second_run_uses_the_cache_and_skips_resolution(self):
        codes = [self.variant(f"SHOP-C{n}") for n in range(3)]
        receive([(code, self.wh1, 5) for code in codes])
        name = self.make_store()
        run_store_sync(name, trigger="Manual", force=True)
        receive([(code, self.wh1, 1) for code in codes])  # every row changed: all are sent
        stats = self.shop.emulator.stats
        stats.reset()
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual((log.status, log.pushed), ("Success", 3))
        self.assertEqual(dict(stats.calls_by_operation), {"SetInventoryQuantities": 1})

    def test_partial_run_logs_failed_rows_and_advances_the_timestamp(self):
        good, bad = self.variant("SHOP-P1"), self.variant("SHOP-P2")
        receive([(good, self.wh1, 5), (bad, self.wh1, 6)])
        variant = next(v for v in self.shop.catalog.variants if v["sku"] == bad)
        self.shop.catalog.unstock(variant["inventory_item_id"], LOC1)
        name = self.make_store()
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual((log.status, log.pushed, log.failed), ("Partial", 1, 1))
        row = log.failed_rows[0]
        self.assertEqual(
            (row.item_code, row.code, row.quantity, row.shopify_location_id),
            (bad, "ITEM_NOT_STOCKED_AT_LOCATION", 6, LOC1),
        )
        self.assertIsNotNone(frappe.db.get_value("Shopify Store", name, "last_inventory_sync"))

    def test_aborted_run_keeps_the_old_timestamp(self):
        code = self.variant("SHOP-A1")
        receive([(code, self.wh1, 5)])
        before = now_datetime() - timedelta(hours=3)
        name = self.make_store(last_inventory_sync=before)
        self.shop.emulator.faults.script(Fault.status(401))
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Scheduled"))
        self.assertEqual(log.status, "Aborted")
        self.assertIn("authentication failed", log.error)
        self.assertEqual(frappe.db.get_value("Shopify Store", name, "last_inventory_sync"), before)

    def test_unmapped_items_are_skipped_not_failed(self):
        mapped = self.variant("SHOP-M1")
        item("SHOP-NOT-ON-SHOPIFY")
        receive([(mapped, self.wh1, 2), ("SHOP-NOT-ON-SHOPIFY", self.wh1, 3)])
        log = frappe.get_doc("Shopify Log", run_store_sync(self.make_store(), trigger="Manual", force=True))
        # An item ERPNext has and Shopify does not is a state of the catalog, not a failure
        # (issue 19): Success, its count on a line of its own, the row listed.
        self.assertEqual((log.status, log.pushed, log.skipped_unmapped, log.failed), ("Success", 1, 1, 0))
        self.assertEqual(log.failed_rows[0].code, "SKU_NOT_FOUND")
        # The grid says what became of the row, in words.
        self.assertEqual(
            log.failed_rows[0].outcome,
            "Left: not on Shopify; looked up again when the item changes, or daily",
        )
        self.assertFalse(log.error)
        self.assertIn("ERPNext has and Shopify does not", log.warnings)

    def test_worker_rechecks_due_ness_unless_forced(self):
        code = self.variant("SHOP-W1")
        receive([(code, self.wh1, 5)])
        name = self.make_store(last_inventory_sync=now_datetime())
        self.mark_last_run_success(name)
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Scheduled"))
        # Skipped, and said so in a log of its own; the store's status stays its last run's.
        self.assertEqual(log.status, "Skipped")
        self.assertIn("Not due", log.error)
        self.assertEqual(frappe.db.get_value("Shopify Store", name, "last_run_status"), "Success")
        self.assertEqual(self.shop.emulator.stats.calls, 0)
        self.assertIsNotNone(run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual(self.shop.available(code, LOC1), 5)

    def test_kill_switch_stops_forced_and_scheduled_runs(self):
        name = self.make_store()
        set_site_config(KILL_SWITCH_KEY, [self.domain])
        self.addCleanup(clear_site_config, KILL_SWITCH_KEY)
        for trigger, force in (("Manual", True), ("Scheduled", False)):
            log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger=trigger, force=force))
            self.assertEqual(log.status, "Skipped")
        self.assertEqual(self.shop.emulator.stats.calls, 0)

    def test_a_running_store_is_not_run_twice(self):
        name = self.make_store()
        held = run_lock.acquire(name, 60)  # a live holder: this very process
        self.assertTrue(held.ok)
        self.addCleanup(run_lock.release, name, held.holder)
        for trigger in ("Manual", "Scheduled"):
            # Every skipped run leaves a log saying why, the scheduled one too.
            log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger=trigger, force=True))
            self.assertEqual(log.status, "Skipped")
            self.assertIn("running", log.error)
        self.assertEqual(self.shop.emulator.stats.calls, 0)


class TestFullCatalog(StoreSyncMixin, IntegrationTestCase):
    def test_320_items_at_two_locations_end_equal(self):
        codes = [f"SHOP-F{n:03d}" for n in range(320)]
        for code in codes:
            item(code)
            self.shop.catalog.add_variant(code)
        receive([(code, self.wh1 if n % 2 else self.wh3, n % 17 + 1) for n, code in enumerate(codes)])
        receive([(code, self.wh2, 2) for code in codes[:100]])
        name = self.make_store()
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual((log.status, log.failed), ("Success", 0))
        rows = list(stock_rows(name))
        self.assertEqual(len(rows), 370)  # 320 items, 50 of them at both locations
        wrong = [r for r in rows if self.shop.available(r.ref, r.location_id) != int(r.quantity)]
        self.assertEqual(wrong, [])
        self.assertEqual((log.considered, log.pushed), (370, 370))


class TestBrokenRun(StoreSyncMixin, IntegrationTestCase):
    def test_an_unexpected_error_still_ends_in_a_failed_log(self):
        code = self.variant("SHOP-X1")
        receive([(code, self.wh1, 5)])
        name = self.make_store()
        # A bad SKU field slipped past validation (set straight in the database).
        frappe.db.set_value("Shopify Store", name, "sku_field", "no_such_column")
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual(log.status, "Failed")
        self.assertIn("no_such_column", log.error)
        self.assertIsNone(run_lock.current_holder(name))
