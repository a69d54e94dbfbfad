# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""The fast path on a real ERPNext: stock postings, reservations and Item edits mark the stores
that show them only after the commit, one job per store however many rows, and the job's run
puts the new figure on the emulated shop."""

import time
from unittest.mock import patch

import frappe
from frappe.utils import now_datetime

from nexwave_inventory_sync.erpnext_side import fast_path
from nexwave_inventory_sync.erpnext_side.constants import KILL_SWITCH_KEY
from nexwave_inventory_sync.erpnext_side.store_sync import run_store_sync
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import (
    EmulatedShop,
    clear_site_config,
    item,
    receive,
    sales_order,
    set_site_config,
    store,
    warehouse,
)

LOC1 = "gid://shopify/Location/1"


class TestFastPath(IntegrationTestCase):
    def setUp(self):
        super().setUp()
        frappe.flags.nexwave_fast_path_test = True
        self.addCleanup(setattr, frappe.flags, "nexwave_fast_path_test", False)
        # Marks of an earlier test (its transaction rolled back, not its Redis keys).
        fast_path._forget()
        tag = frappe.generate_hash(length=6)
        self.wh = warehouse(f"Fast {tag} 1")
        self.other_wh = warehouse(f"Fast {tag} 2")
        self.queued = []
        patcher = patch.object(
            fast_path,
            "enqueue_fast_run",
            side_effect=lambda s, token, **kw: self.queued.append(s.name) or True,
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    def make_store(self, domain, warehouses=None, **extra):
        name = store(domain, [(w, "1") for w in (warehouses or [self.wh])], **extra)
        fast_path.PENDING.forget(name)
        self.addCleanup(fast_path.PENDING.forget, name)
        return name

    def commit(self):
        """What frappe.db.commit() runs after COMMIT (the test keeps its transaction open)."""
        frappe.db.after_commit.run()

    def test_a_stock_entry_marks_its_stores_after_the_commit_only(self):
        name = self.make_store("fast-one.myshopify.com")
        elsewhere = self.make_store("fast-other.myshopify.com", [self.other_wh])
        code = item(f"FAST-{frappe.generate_hash(length=6)}")
        receive([(code, self.wh, 5)])
        # Inside the transaction nothing is written to Redis and nothing is queued.
        self.assertEqual(fast_path.PENDING.size(name), 0)
        self.assertEqual(self.queued, [])
        self.commit()
        self.assertEqual(fast_path.PENDING.take(name), {code})
        self.assertEqual(self.queued, [name])
        self.assertEqual(fast_path.PENDING.size(elsewhere), 0)  # its warehouse did not move

    def test_a_failure_after_the_commit_logs_no_frame_variables(self):
        self.make_store("fast-leak.myshopify.com")
        secret = "shpat_" + frappe.generate_hash(length=24)

        def refuse(store_name, items):
            headers = {"X-Shopify-Access-Token": secret}  # a frame variable escapes name-based redaction
            raise RuntimeError(f"Redis refused the mark ({len(headers)} header)")

        receive([(item(f"FAST-{frappe.generate_hash(length=6)}"), self.wh, 5)])
        before = frappe.get_all("Error Log", pluck="name")
        with patch.object(fast_path.PENDING, "mark", side_effect=refuse):
            self.commit()
        errors = frappe.get_all(
            "Error Log", filters={"name": ["not in", before or [""]]}, fields=["error", "method"]
        )
        self.assertEqual([e.method for e in errors], ["Shopify fast path: marking failed"])
        self.assertIn("Redis refused the mark", errors[0].error)
        self.assertNotIn(secret, errors[0].error)

    def test_a_rollback_drops_the_marks(self):
        name = self.make_store("fast-rollback.myshopify.com")
        receive([(item(f"FAST-{frappe.generate_hash(length=6)}"), self.wh, 5)])
        frappe.db.after_rollback.run()  # what frappe.db.rollback() runs after ROLLBACK
        frappe.db.after_commit.reset()  # ...having dropped the commit callbacks
        self.assertEqual(fast_path.flush(), [])
        self.assertEqual(fast_path.PENDING.size(name), 0)

    def test_many_rows_and_many_transactions_make_one_job(self):
        name = self.make_store("fast-bulk.myshopify.com")
        codes = [item(f"FAST-{frappe.generate_hash(length=6)}") for _ in range(40)]
        receive([(code, self.wh, 3) for code in codes])  # one transaction, 40 SLEs
        self.commit()
        receive([(codes[0], self.wh, 1)])  # a second transaction while the job waits
        self.commit()
        self.assertEqual(self.queued, [name])
        self.assertEqual(fast_path.PENDING.size(name), 40)

    def test_switched_off_disabled_and_opted_out_stores_are_not_marked(self):
        killed = self.make_store("fast-killed.myshopify.com")
        disabled = self.make_store("fast-disabled.myshopify.com", inventory_sync_enabled=0)
        opted_out = self.make_store("fast-optout.myshopify.com", fast_push=0)
        set_site_config(KILL_SWITCH_KEY, ["fast-killed.myshopify.com"])
        self.addCleanup(clear_site_config, KILL_SWITCH_KEY)
        receive([(item(f"FAST-{frappe.generate_hash(length=6)}"), self.wh, 5)])
        self.commit()
        for name in (killed, disabled, opted_out):
            self.assertEqual(fast_path.PENDING.size(name), 0, name)
        self.assertEqual(self.queued, [])

    def test_sales_orders_and_item_edits_mark_too(self):
        name = self.make_store("fast-orders.myshopify.com")
        code = item(f"FAST-{frappe.generate_hash(length=6)}")
        receive([(code, self.wh, 5)])
        self.commit()
        fast_path.PENDING.take(name)
        sales_order(code, self.wh, 2)
        self.commit()
        self.assertEqual(fast_path.PENDING.take(name), {code})
        doc = frappe.get_doc("Item", code)
        doc.disabled = 1
        doc.save(ignore_permissions=True)
        self.commit()
        self.assertEqual(fast_path.PENDING.take(name), {code})

    def test_a_failure_after_the_commit_never_reaches_the_user(self):
        self.make_store("fast-broken.myshopify.com")
        receive([(item(f"FAST-{frappe.generate_hash(length=6)}"), self.wh, 5)])
        with patch.object(fast_path, "fast_stores", side_effect=RuntimeError("redis down")):
            self.commit()  # raises nothing
        self.assertEqual(self.queued, [])

    def test_the_sweep_arms_a_store_whose_job_died(self):
        name = self.make_store("fast-sweep.myshopify.com")
        receive([(item(f"FAST-{frappe.generate_hash(length=6)}"), self.wh, 5)])
        self.commit()
        self.assertEqual(fast_path.sweep(), [])  # armed: its job is queued
        # The job died: its armed key expired, its marks stayed.
        frappe.cache.delete(fast_path.PENDING._keys(name)[1])
        self.assertEqual(fast_path.sweep(), [name])
        self.assertEqual(self.queued, [name, name])


class TestFastRun(IntegrationTestCase):
    domain = "fast-run.myshopify.com"

    def setUp(self):
        super().setUp()
        frappe.flags.nexwave_fast_path_test = True
        self.addCleanup(setattr, frappe.flags, "nexwave_fast_path_test", False)
        fast_path._forget()
        self.wh = warehouse(f"Fast Run {frappe.generate_hash(length=6)}")
        self.shop = EmulatedShop(self.domain, items=0, locations=1)
        self.shop.__enter__()
        self.addCleanup(self.shop.__exit__, None, None, None)
        self.code = item(f"FASTRUN-{frappe.generate_hash(length=6)}")
        self.shop.catalog.add_variant(self.code)
        self.name = store(self.domain, [(self.wh, "1")])
        fast_path.PENDING.forget(self.name)
        self.addCleanup(fast_path.PENDING.forget, self.name)

    def test_a_change_reaches_the_shop_though_the_store_is_not_due(self):
        receive([(self.code, self.wh, 7)])
        run_store_sync(self.name, trigger="Manual", force=True)
        self.assertEqual(self.shop.available(self.code, LOC1), 7)
        # Synced a moment ago: the schedule would wait an hour; the fast path does not.
        self.assertTrue(frappe.db.get_value("Shopify Store", self.name, "last_inventory_sync"))
        with patch.object(fast_path, "enqueue_fast_run", return_value=True):
            receive([(self.code, self.wh, 4)])
            frappe.db.after_commit.run()
        log = fast_path.run_fast_sync(self.name, coalesce_s=0)
        self.assertEqual(frappe.db.get_value("Shopify Log", log, ["trigger", "status"]), ("Fast", "Success"))
        self.assertEqual(self.shop.available(self.code, LOC1), 11)
        self.assertEqual(fast_path.PENDING.size(self.name), 0)

    def test_the_window_counts_from_the_mark_so_a_job_that_waited_in_the_queue_starts_at_once(self):
        receive([(self.code, self.wh, 4)])
        with patch.object(fast_path.frappe, "enqueue", return_value=object()) as enqueue:
            frappe.db.after_commit.run()
        queued = enqueue.call_args.kwargs
        self.assertAlmostEqual(queued["marked_at"], time.time(), delta=30)
        fast_path.PENDING.mark(self.name, [self.code])  # the rollback after each test drops nothing in Redis
        # Queued 10 s behind other stores' jobs: the 3-s window has passed, no sleep in the worker.
        with patch.object(fast_path.time, "sleep") as sleep:
            log = fast_path.run_fast_sync(queued["store_name"], marked_at=queued["marked_at"] - 10)
        self.assertEqual([c.args[0] for c in sleep.call_args_list if c.args and c.args[0] > 0.5], [])
        self.assertEqual(frappe.db.get_value("Shopify Log", log, "trigger"), "Fast")
        self.assertEqual(self.shop.available(self.code, LOC1), 4)
        # Started 1 s after its mark: it waits the rest of the window for more marks.
        fast_path.PENDING.mark(self.name, [self.code])
        with patch.object(fast_path.time, "sleep") as sleep:
            fast_path.run_fast_sync(self.name, marked_at=time.time() - 1)
        self.assertGreater(sleep.call_args_list[0].args[0], 1.5)
        self.assertLessEqual(sleep.call_args_list[0].args[0], fast_path.COALESCE_S - 1 + 0.5)

    def test_a_backed_off_store_is_left_to_its_schedule(self):
        frappe.db.set_value(
            "Shopify Store", self.name, "backoff_until", frappe.utils.add_to_date(now_datetime(), hours=1)
        )
        fast_path.PENDING.mark(self.name, [self.code])
        self.assertIsNone(fast_path.run_fast_sync(self.name, coalesce_s=0))
        self.assertFalse(frappe.db.exists("Shopify Log", {"shopify_store": self.name, "trigger": "Fast"}))

    def test_a_run_that_lost_the_lock_race_keeps_its_marks_for_the_sweep(self):
        from nexwave_inventory_sync.erpnext_side import run_lock

        fast_path.PENDING.mark(self.name, [self.code])
        held = run_lock.acquire(self.name, 60)  # another run, taken after the job looked
        self.addCleanup(run_lock.release, self.name, held.holder)
        with patch.object(fast_path, "_wait_for_lock", return_value=True):
            log = fast_path.run_fast_sync(self.name, coalesce_s=0)
        self.assertEqual(frappe.db.get_value("Shopify Log", log, "status"), "Skipped")
        self.assertEqual(fast_path.PENDING.take(self.name), {self.code})

    def test_a_store_skipped_for_its_configuration_does_not_run_again_every_minute(self):
        frappe.delete_doc("Warehouse", self.wh, force=True, ignore_permissions=True)
        fast_path.PENDING.mark(self.name, [self.code])
        log = fast_path.run_fast_sync(self.name, coalesce_s=0)
        self.assertEqual(frappe.db.get_value("Shopify Log", log, "status"), "Skipped")
        self.assertEqual(fast_path.PENDING.size(self.name), 0)  # nothing for the sweep to re-run
