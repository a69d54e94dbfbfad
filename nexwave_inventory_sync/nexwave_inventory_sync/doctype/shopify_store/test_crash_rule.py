# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""The crash rule on a real ERPNext (issue 15, D3): a run that dies after any checkpoint, or
between a batch leaving and its checkpoint, leaves confirmed levels that match Shopify for
every landed row and in-flight marks for the rest; the next run alone leaves Shopify at
ERPNext's figure, and its log says Success only then.

Inside a worker every checkpoint commits; here the test's transaction stands in for the
database: `frappe.db.commit` is a no-op and each checkpoint's savepoint is where a worker's
commit would be, so the run's error handler rolls back exactly what a killed worker loses."""

from unittest.mock import patch

import frappe

from nexwave_inventory_sync.erpnext_side import confirmed_levels, flight_marks
from nexwave_inventory_sync.erpnext_side.checkpoint import Checkpointer
from nexwave_inventory_sync.testing.compat import IntegrationTestCase, ignore_test_records
from nexwave_inventory_sync.testing.fixtures import receive
from nexwave_inventory_sync.testing.stores import LOC1, TruthStoreMixin

globals().update(ignore_test_records("Item", "Shopify Store", "User", "Warehouse"))

ITEMS = 600  # three batches: 250, 250, 100


class Killed(Exception):
    """Where SIGKILL would have stopped the worker."""


class TestCrashRule(TruthStoreMixin, IntegrationTestCase):
    warehouse_prefix = "Crash"

    def setUp(self):
        super().setUp()
        self.codes = [self.variant(f"CRASH-{frappe.generate_hash(length=4)}-{n:03d}") for n in range(ITEMS)]
        receive([(code, self.wh1, 10) for code in self.codes])
        self.name = self.make_store()
        self.assertEqual(self.sync(self.name).status, "Success")  # Shopify 10 everywhere, confirmed

    def worker_commits(self):
        """A checkpoint's commit as in a worker, on the test's one transaction."""
        return (
            patch.object(flight_marks, "in_worker", return_value=True),
            patch.object(frappe.db, "commit", lambda *args, **kwargs: None),
        )

    def set_stock(self, figure):
        """ERPNext's figure of item n becomes figure(n). Written on the Bins the stock read
        reads (with their modified stamp, as ERPNext's ledger does) to keep 600 items quick."""
        now = frappe.utils.now_datetime()
        for n, code in enumerate(self.codes):
            frappe.db.sql(
                "UPDATE `tabBin` SET actual_qty = %s, modified = %s WHERE item_code = %s AND warehouse = %s",
                (figure(n), now, code, self.wh1),
            )

    def die(self, when: str, at: int):
        """Kill the run at its `at`-th batch checkpoint: after it is saved ("after"), or when
        its batch has landed and nothing of its checkpoint is saved yet ("before")."""
        real = Checkpointer.__call__
        seen = {"batches": 0}

        def checkpoint(saver, point):
            if point.batches_done > seen["batches"]:
                seen["batches"] = point.batches_done
                if point.batches_done == at and when == "before":
                    raise Killed
                real(saver, point)
                if point.batches_done == at:
                    raise Killed
            else:
                real(saver, point)

        return patch.object(Checkpointer, "__call__", checkpoint)

    def test_a_run_killed_at_any_checkpoint_is_put_right_by_the_next_run(self):
        for at in (1, 2, 3):
            for when in ("after", "before"):
                with self.subTest(at=at, when=when):
                    self.kill_and_rerun(at, when)

    def kill_and_rerun(self, at, when):
        self.set_stock(lambda n: 10)
        self.assertEqual(self.sync(self.name).status, "Success")
        # A reservation takes every figure to 7; the run pushing it dies.
        self.set_stock(lambda n: 7)
        commit, no_commit = self.worker_commits()
        with commit, no_commit, self.die(when, at):
            log = self.sync(self.name)
        self.assertEqual(log.status, "Failed")
        landed = {code for code in self.codes if self.shop.available(code, LOC1) == 7}
        self.assertGreaterEqual(len(landed), 250 * (at - 1))
        levels = self.levels(self.name)
        marks = {mark.ref for mark in confirmed_levels.in_flight(self.name)}
        for code in landed:
            # Every landed row is either confirmed at 7 or still marked in flight.
            self.assertTrue(levels[(code, LOC1)] == 7 or code in marks, code)
        # Then the reservation is cancelled for even items (back to the stale 10), odd ones are
        # restocked to 15.
        self.set_stock(lambda n: 10 if n % 2 == 0 else 15)
        log = self.sync(self.name)
        self.assertEqual(log.status, "Success", log.error)
        wrong = [
            (code, self.shop.available(code, LOC1))
            for n, code in enumerate(self.codes)
            if self.shop.available(code, LOC1) != (10 if n % 2 == 0 else 15)
        ]
        self.assertEqual(wrong, [])
        self.assertEqual(confirmed_levels.in_flight(self.name), ())
        self.assertEqual(log.conflicts, 0)  # our own writes are never read as Shopify's sales


class TestRecreatedProductKilled(TruthStoreMixin, IntegrationTestCase):
    warehouse_prefix = "CrashR"

    def test_a_recreated_products_new_id_is_kept_when_the_run_dies_after_its_resend(self):
        """N4: the product was deleted and re-created on Shopify (new item, 3); ERPNext 12. The
        push to the cached id is refused, the SKU is looked up again and 12 lands on the new
        item; the worker dies before that checkpoint is saved. The new id (Item cache) and the
        old level's removal were saved by the checkpoint before the resend left, so the next
        run reads the mark on the new item and leaves it at 12 (it zeroed it: the row still
        named the old item, and the new item's level looked like an item that left)."""
        code = self.variant(f"CRASH-R-{frappe.generate_hash(length=4)}")
        receive([(code, self.wh1, 10)])
        name = self.make_store()
        self.assertEqual(self.sync(name).status, "Success")
        old = self.inventory_item(code)
        new = self.shop.catalog.recreate_variant(code, quantity=3)["inventory_item_id"]
        receive([(code, self.wh1, 2)])
        real = Checkpointer.__call__

        def checkpoint(saver, point):
            if any(level.inventory_item_id == new for level in point.confirmed):
                raise Killed  # the resend landed; nothing of its checkpoint is saved
            real(saver, point)

        commit, no_commit = TestCrashRule.worker_commits(self)
        with commit, no_commit, patch.object(Checkpointer, "__call__", checkpoint):
            log = self.sync(name)
        self.assertEqual(log.status, "Failed")
        self.assertEqual(self.shop.catalog.available(new, LOC1), 12)
        cached = frappe.get_all(
            "Item Shopify Store", filters={"parent": code, "shopify_store": name}, pluck="inventory_item_id"
        )
        self.assertEqual(cached, [new])
        self.assertNotIn(old, {level.inventory_item_id for level in confirmed_levels.load(name).levels})
        log = self.sync(name)
        self.assertEqual(log.status, "Success", log.error)
        self.assertEqual(self.shop.catalog.available(new, LOC1), 12)
        self.assertEqual(confirmed_levels.in_flight(name), ())
