# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""What a merchant hits when things go wrong: a worker killed mid-run, runs that keep failing,
cached ids gone stale, bad settings. Each test here failed before its fix."""

import json
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from unittest.mock import patch

import frappe
from frappe.utils import add_to_date, now_datetime

from nexwave_inventory_sync.emulator import Fault
from nexwave_inventory_sync.erpnext_side import flight_marks, run_lock, run_log, store_sync
from nexwave_inventory_sync.erpnext_side.id_cache import save_resolutions
from nexwave_inventory_sync.erpnext_side.scheduling import due_stores, next_backoff
from nexwave_inventory_sync.erpnext_side.stock_levels import stock_rows
from nexwave_inventory_sync.erpnext_side.store_sync import run_store_sync
from nexwave_inventory_sync.sync import sender as sync_sender
from nexwave_inventory_sync.sync.api import Resolution, StockRow
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import item, receive, store, warehouse
from nexwave_inventory_sync.testing.stores import LOC1, StoreSyncMixin


class Killed(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, `except Exception` included."""


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def plant_lock(store_name: str, **holder) -> None:
    """A lock left by a run that is not this process's."""
    fields = {"token": "planted", "since": "2026-11-25 10:00:00", "pid": 0, "host": "elsewhere"}
    fields.update(holder)
    frappe.cache.set(run_lock._key(store_name), json.dumps(fields), px=600_000)


class TestRunLock(IntegrationTestCase):
    store_name = "lock-test-store"

    def tearDown(self):
        frappe.cache.delete(run_lock._key(self.store_name))

    def test_one_of_many_racing_runs_gets_the_lock(self):
        site = frappe.local.site
        wins = []
        barrier = threading.Barrier(8)

        def contender():
            frappe.init(site=site)
            try:
                barrier.wait()
                wins.append(run_lock.acquire(self.store_name, 60).ok)
            finally:
                frappe.destroy()

        threads = [threading.Thread(target=contender) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(sorted(wins), [False] * 7 + [True])

    def test_a_live_holder_keeps_others_out_until_it_releases(self):
        first = run_lock.acquire(self.store_name, 60)
        second = run_lock.acquire(self.store_name, 60)
        self.assertEqual((first.ok, second.ok), (True, False))
        self.assertEqual(second.holder.token, first.holder.token)
        run_lock.release(self.store_name, first.holder)
        self.assertTrue(run_lock.acquire(self.store_name, 60).ok)

    def test_a_dead_process_does_not_hold_the_store(self):
        import socket

        plant_lock(self.store_name, pid=dead_pid(), host=socket.gethostname())
        taken = run_lock.acquire(self.store_name, 60)
        self.assertTrue(taken.ok)
        self.assertEqual(taken.replaced.token, "planted")

    def test_a_reused_pid_is_not_the_holder(self):
        import os
        import socket

        # Our own pid, but a process started at another time: the holder died, the pid moved on.
        plant_lock(self.store_name, pid=os.getpid(), host=socket.gethostname(), started=1.0)
        self.assertTrue(run_lock.acquire(self.store_name, 60).ok)

    def test_a_holder_elsewhere_is_trusted_until_the_lock_expires(self):
        plant_lock(self.store_name)
        self.assertFalse(run_lock.acquire(self.store_name, 60).ok)
        frappe.cache.pexpire(run_lock._key(self.store_name), 1)
        frappe.cache.delete(run_lock._key(self.store_name))  # what the expiry does
        self.assertTrue(run_lock.acquire(self.store_name, 60).ok)

    def test_release_never_frees_another_runs_lock(self):
        mine = run_lock.acquire(self.store_name, 60)
        frappe.cache.delete(run_lock._key(self.store_name))  # expired...
        theirs = run_lock.acquire(self.store_name, 60)  # ...and taken by another run
        run_lock.release(self.store_name, mine.holder)
        self.assertEqual(run_lock.current_holder(self.store_name).token, theirs.holder.token)

    def test_the_lock_expires_with_the_jobs_timeout_not_three_hours(self):
        from nexwave_inventory_sync.erpnext_side.scheduling import job_timeout_seconds, lock_ttl_seconds

        run_lock.acquire(self.store_name, lock_ttl_seconds(15))
        ttl = frappe.cache.ttl(run_lock._key(self.store_name))
        self.assertGreater(ttl, job_timeout_seconds(15))
        self.assertLessEqual(ttl, job_timeout_seconds(15) + 60)
        self.assertLess(ttl, 3 * 60 * 60)


class TestCrashSafety(StoreSyncMixin, IntegrationTestCase):
    domain = "crash-shop.myshopify.com"

    def cold_store_with(self, count):
        codes = [self.variant(f"SHOP-K{n}") for n in range(count)]
        receive([(code, self.wh1, n + 1) for n, code in enumerate(codes)])
        return codes, self.make_store()

    def test_a_killed_run_has_committed_its_ids_and_counts(self):
        codes, name = self.cold_store_with(5)
        committed = []

        def commit():
            # What a SIGKILL right now would leave in the database.
            log = frappe.get_all("Shopify Log", {"shopify_store": name}, ["status", "pushed"])
            cached = frappe.db.count("Item Shopify Store", {"shopify_store": name, "parent": ["in", codes]})
            committed.append((log, cached))

        real_send = sync_sender.send_batch
        calls = []

        def send_then_die(*args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise Killed()
            return real_send(*args, **kwargs)

        with (
            patch.object(flight_marks, "in_worker", return_value=True),
            patch.object(frappe.db, "commit", side_effect=commit),
            patch("nexwave_inventory_sync.sync.feed.BATCH_SIZE", 2),
            patch("nexwave_inventory_sync.sync.sender.send_batch", side_effect=send_then_die),
        ):
            with self.assertRaises(Killed):
                run_store_sync(name, trigger="Manual", force=True)
        log, cached = committed[-1]
        self.assertEqual(cached, 5)  # every id learnt, before the batches went out
        # The log, Running, counts exactly what Shopify holds (the first batch, maybe the third).
        landed = sum(self.shop.available(code, LOC1) == n + 1 for n, code in enumerate(codes))
        self.assertGreaterEqual(landed, 2)
        self.assertEqual(log, [{"status": "Running", "pushed": landed}])

    def test_the_next_run_marks_the_killed_ones_log_interrupted_and_finishes(self):
        codes, name = self.cold_store_with(3)
        with (
            patch("nexwave_inventory_sync.sync.feed.BATCH_SIZE", 1),
            patch("nexwave_inventory_sync.sync.sender.send_batch", side_effect=Killed()),
        ):
            with self.assertRaises(Killed):
                run_store_sync(name, trigger="Scheduled")
        killed = frappe.get_all("Shopify Log", {"shopify_store": name}, pluck="name")
        import socket

        plant_lock(name, pid=dead_pid(), host=socket.gethostname())  # what the SIGKILL left
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual(log.status, "Success")
        self.assertEqual(frappe.db.get_value("Shopify Log", killed[0], "status"), "Interrupted")
        self.assertIn("killed or timed out", frappe.db.get_value("Shopify Log", killed[0], "error"))
        self.assertEqual([self.shop.available(c, LOC1) for c in codes], [1, 2, 3])


class TestLogSize(StoreSyncMixin, IntegrationTestCase):
    domain = "logsize-shop.myshopify.com"

    def test_rows_kept_are_capped_counts_stay_exact_and_the_rest_is_summarised(self):
        codes = [self.variant(f"SHOP-L{n}") for n in range(5)]
        receive([(code, self.wh1, 3) for code in codes])
        for variant in self.shop.catalog.variants:
            self.shop.catalog.unstock(variant["inventory_item_id"], LOC1)
        with patch.object(run_log, "LOG_ROWS_KEPT", 3):
            log = frappe.get_doc(
                "Shopify Log", run_store_sync(self.make_store(), trigger="Manual", force=True)
            )
        self.assertEqual(log.failed, 5)
        self.assertEqual(len(log.failed_rows), 3)
        self.assertEqual(log.rows_not_kept, 2)
        self.assertEqual(log.failure_summary, "ITEM_NOT_STOCKED_AT_LOCATION: 5")


class TestBackoff(StoreSyncMixin, IntegrationTestCase):
    domain = "backoff-shop.myshopify.com"

    def test_pure_rule(self):
        now = datetime(2026, 11, 25, 12, 0)
        self.assertEqual(next_backoff(None, 0, "Aborted:auth", 60, now), (1, None))
        self.assertEqual(next_backoff("Aborted:auth", 1, "Aborted:auth", 60, now), (2, None))
        self.assertEqual(
            next_backoff("Aborted:auth", 2, "Aborted:auth", 60, now), (3, now + timedelta(hours=2))
        )
        self.assertEqual(
            next_backoff("Aborted:auth", 3, "Aborted:auth", 60, now), (4, now + timedelta(hours=4))
        )
        self.assertEqual(
            next_backoff("Aborted:auth", 9, "Aborted:auth", 60, now), (10, now + timedelta(hours=24))
        )
        self.assertEqual(next_backoff("Aborted:auth", 5, "Failed:X", 60, now), (1, None))  # a new way
        self.assertEqual(next_backoff("Aborted:auth", 5, None, 60, now), (0, None))  # it worked

    def test_a_store_failing_the_same_way_is_paused_and_the_form_says_why(self):
        code = self.variant("SHOP-B1")
        receive([(code, self.wh1, 5)])
        name = self.make_store(sync_interval=10)
        for _ in range(3):
            self.shop.emulator.faults.script(Fault.status(401))
            frappe.db.set_value("Shopify Store", name, "last_inventory_sync", None)
            self.assertEqual(frappe.db.get_value("Shopify Log", run_store_sync(name), "status"), "Aborted")
        doc = frappe.get_doc("Shopify Store", name)
        self.assertEqual(doc.consecutive_failures, 3)
        self.assertGreater(doc.backoff_until, now_datetime())
        self.assertIn("3 runs in a row", doc.backoff_reason)
        self.assertIn("authentication failed", doc.backoff_reason)
        self.assertNotIn(name, due_stores())
        calls = self.shop.emulator.stats.calls
        skipped = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Scheduled"))
        self.assertEqual(skipped.status, "Skipped")
        self.assertIn("paused", skipped.error)
        self.assertEqual(self.shop.emulator.stats.calls, calls)
        # The button still runs; once a run works, the pause ends.
        self.assertEqual(
            frappe.get_doc("Shopify Log", run_store_sync(name, "Manual", True)).status, "Success"
        )
        doc.reload()
        self.assertEqual((doc.consecutive_failures, doc.backoff_until, doc.backoff_reason), (0, None, None))


class TestCachedIds(StoreSyncMixin, IntegrationTestCase):
    domain = "cache-shop.myshopify.com"

    def cache_row(self, code, name):
        return frappe.get_all(
            "Item Shopify Store",
            filters={"parent": code, "shopify_store": name},
            fields=["name", "variant_id", "inventory_item_id", "tracked", "resolved_variant_id"],
        )

    def test_two_cache_rows_for_one_store_are_never_mixed(self):
        code = item("SHOP-MIX")
        receive([(code, self.wh1, 4)])
        name = self.make_store()
        doc = frappe.get_doc("Item", code)
        for variant, inventory_item in (("2", "9"), ("1", "99")):
            doc.append(
                "shopify_stores",
                {
                    "shopify_store": name,
                    "variant_id": f"gid://shopify/ProductVariant/{variant}",
                    "resolved_variant_id": f"gid://shopify/ProductVariant/{variant}",
                    "inventory_item_id": f"gid://shopify/InventoryItem/{inventory_item}",
                },
            )
        doc.save(ignore_permissions=True)
        (row,) = [r for r in stock_rows(name) if r.ref == code]
        # MAX() per column gave variant 2 with inventory item 99: two rows' values in one.
        self.assertEqual(
            (row.variant_id, row.inventory_item_id),
            ("gid://shopify/ProductVariant/2", "gid://shopify/InventoryItem/9"),
        )

    def test_a_variant_id_edited_by_hand_is_looked_up_again(self):
        code = self.variant("SHOP-EDIT")
        receive([(code, self.wh1, 6)])
        name = self.make_store()
        run_store_sync(name, trigger="Manual", force=True)
        other = self.shop.catalog.add_variant("SOMETHING-ELSE")
        (cached,) = self.cache_row(code, name)
        # The merchant maps the item to another variant, typing the bare number.
        frappe.db.set_value("Item Shopify Store", cached.name, "variant_id", other["id"].rsplit("/", 1)[1])
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual((log.status, log.pushed), ("Success", 1))
        self.assertEqual(self.shop.catalog.available(other["inventory_item_id"], LOC1), 6)
        (cached,) = self.cache_row(code, name)
        self.assertEqual(
            (cached.inventory_item_id, cached.resolved_variant_id), (other["inventory_item_id"], other["id"])
        )

    def test_untracked_items_are_checked_again_after_the_store_setting(self):
        code = self.variant("SHOP-UNTRACKED")
        receive([(code, self.wh1, 7)])
        variant = next(v for v in self.shop.catalog.variants if v["sku"] == code)
        name = self.make_store(recheck_untracked_hours=24)
        doc = frappe.get_doc("Item", code)
        # Cached untracked two days ago; the merchant has turned tracking on since.
        doc.append(
            "shopify_stores",
            {
                "shopify_store": name,
                "variant_id": variant["id"],
                "resolved_variant_id": variant["id"],
                "inventory_item_id": variant["inventory_item_id"],
                "tracked": 0,
            },
        )
        doc.save(ignore_permissions=True)
        row_name = self.cache_row(code, name)[0].name
        frappe.db.set_value(
            "Item Shopify Store", row_name, "last_resolved", add_to_date(now_datetime(), days=-2)
        )
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual((log.pushed, log.skipped_untracked), (1, 0))
        self.assertEqual(self.shop.available(code, LOC1), 7)
        self.assertEqual(self.cache_row(code, name)[0].tracked, 1)

    def test_a_recent_untracked_answer_or_a_zero_setting_is_trusted(self):
        code = self.variant("SHOP-UNTRACKED2")
        receive([(code, self.wh1, 7)])
        variant = next(v for v in self.shop.catalog.variants if v["sku"] == code)
        name = self.make_store(recheck_untracked_hours=0)
        doc = frappe.get_doc("Item", code)
        doc.append(
            "shopify_stores",
            {
                "shopify_store": name,
                "variant_id": variant["id"],
                "inventory_item_id": variant["inventory_item_id"],
                "tracked": 0,
            },
        )
        doc.save(ignore_permissions=True)
        frappe.db.set_value(
            "Item Shopify Store",
            self.cache_row(code, name)[0].name,
            "last_resolved",
            add_to_date(now_datetime(), days=-30),
        )
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual((log.pushed, log.skipped_untracked), (0, 1))
        self.assertEqual(self.shop.emulator.stats.calls, 0)

    def test_new_ids_reported_for_an_item_replace_its_cache(self):
        code = item("SHOP-RECREATED")
        name = self.make_store()
        doc = frappe.get_doc("Item", code)
        doc.append(
            "shopify_stores",
            {
                "shopify_store": name,
                "variant_id": "111",  # typed by hand, a bare number
                "resolved_variant_id": "111",
                "inventory_item_id": "gid://shopify/InventoryItem/111",
            },
        )
        doc.save(ignore_permissions=True)
        # The engine found the variant again under a new inventory item (product re-created).
        rows = [StockRow(location_id=LOC1, quantity=1, variant_id="111", ref=code)]
        found = Resolution(
            inventory_item_id="gid://shopify/InventoryItem/222",
            tracked=True,
            variant_id="gid://shopify/ProductVariant/111",
        )
        self.assertEqual(save_resolutions(name, rows, [found]), 1)
        (cached,) = self.cache_row(code, name)
        self.assertEqual(cached.inventory_item_id, "gid://shopify/InventoryItem/222")


class TestSkuField(IntegrationTestCase):
    def test_only_data_fields_are_accepted(self):
        wh = warehouse("Shopify WH 1")
        # A Section Break and a Table (this app's own, on Item) have no column to match.
        for field in ("shopify_section", "shopify_stores"):
            with self.subTest(field=field), self.assertRaisesRegex(frappe.ValidationError, "data field"):
                store("skufield-shop.myshopify.com", [(wh, "1")], sku_field=field)
        self.assertEqual(
            frappe.get_doc(
                "Shopify Store", store("skufield-shop.myshopify.com", [(wh, "1")], sku_field="item_name")
            ).sku_field,
            "item_name",
        )


class TestDeadline(StoreSyncMixin, IntegrationTestCase):
    domain = "deadline-shop.myshopify.com"

    def test_the_stores_deadline_reaches_the_engine_and_the_job(self):
        from frappe.utils.background_jobs import get_job

        from nexwave_inventory_sync.erpnext_side.scheduling import enqueue_store_sync, job_id

        code = self.variant("SHOP-DL1")
        receive([(code, self.wh1, 2)])
        name = self.make_store(run_deadline=5)
        with patch.object(store_sync, "sync_inventory", wraps=store_sync.sync_inventory) as engine:
            run_store_sync(name, trigger="Manual", force=True)
        self.assertEqual(engine.call_args.kwargs["options"].deadline_s, 5 * 60)
        frappe.db.set_value("Shopify Store", name, "run_deadline", 0)  # unset: the default
        with patch.object(store_sync, "sync_inventory", wraps=store_sync.sync_inventory) as engine:
            run_store_sync(name, trigger="Manual", force=True)
        self.assertEqual(engine.call_args.kwargs["options"].deadline_s, 15 * 60)
        # RQ kills a job at its timeout: it must outlast the engine's deadline.
        frappe.db.set_value("Shopify Store", name, "run_deadline", 5)
        drop = lambda: get_job(job_id(name)) and get_job(job_id(name)).delete()  # noqa: E731
        drop()
        self.addCleanup(drop)
        self.assertTrue(enqueue_store_sync(name, trigger="Manual", force=True))
        self.assertGreater(get_job(job_id(name)).timeout, 5 * 60)
