# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""A real RQ worker SIGKILLed mid-run (the worker and its work-horse, as the OOM killer or a
machine going down would): the store is runnable again well within the job's timeout, the
killed run's log says what Shopify had confirmed, and the next run completes the rest.

The worker is another process, so this test commits its data and removes it afterwards."""

import os
import signal
import subprocess
import sys
import time

import frappe
from frappe.utils import get_bench_path
from frappe.utils.background_jobs import get_job

from nexwave_inventory_sync.erpnext_side import run_lock
from nexwave_inventory_sync.erpnext_side.scheduling import enqueue_store_sync, job_id, job_timeout_seconds
from nexwave_inventory_sync.erpnext_side.store_sync import run_store_sync
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import (
    EmulatedShop,
    item,
    receive,
    store,
    warehouse,
)

LOC1 = "gid://shopify/Location/1"
ITEMS = 300  # two batches of 250 and 50


def wait_for(predicate, timeout: float, what: str, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frappe.db.rollback()  # a fresh snapshot: see what the worker committed
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def kill_worker(worker: subprocess.Popen) -> int:
    """SIGKILL the worker and its work-horses (rq forks each job into a horse that calls
    setsid(), so killing the worker's process group would leave the horse running)."""
    import psutil

    try:
        horses = psutil.Process(worker.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        horses = []
    for process in (psutil.Process(worker.pid), *horses) if worker.poll() is None else horses:
        try:
            process.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    worker.wait()
    return len(horses)


def drop_dead_job(store_name: str) -> None:
    """A SIGKILLed job stays "started" until a live worker's maintenance cleans it: delete its
    record (RQ's Job.delete takes it out of its registries too, on v15's RQ and v16's), so the
    store can be queued again and the suite leaves no dead job behind."""
    from frappe.utils.background_jobs import get_job

    from nexwave_inventory_sync.erpnext_side.scheduling import job_id

    job = get_job(job_id(store_name))
    if job is not None and job.get_status() == "started":
        job.delete()


class TestWorkerKilledMidRun(IntegrationTestCase):
    domain = "crash-worker-shop.myshopify.com"

    def setUp(self):
        self.tag = frappe.generate_hash(length=5).upper()
        self.codes = [f"SHOP-CRASH-{self.tag}-{n:03d}" for n in range(ITEMS)]
        self.shop = EmulatedShop(self.domain, items=0, locations=1, latency=4.0)
        self.shop.__enter__()
        self.addCleanup(self.shop.__exit__, None, None, None)
        self.wh = warehouse(f"Shopify Crash {self.tag}")
        for code in self.codes:
            item(code)
            self.shop.catalog.add_variant(code)
        receive([(code, self.wh, n % 9 + 1) for n, code in enumerate(self.codes)])
        self.store_name = store(self.domain, [(self.wh, "1")])
        frappe.db.commit()
        self.addCleanup(self.remove_data)

    def remove_data(self):
        frappe.db.rollback()
        entries = frappe.get_all(
            "Stock Entry Detail", filters={"item_code": ["in", self.codes]}, pluck="parent", distinct=True
        )
        for table, field in (
            ("Stock Ledger Entry", "voucher_no"),
            ("GL Entry", "voucher_no"),
            ("Stock Entry Detail", "parent"),
            ("Stock Entry", "name"),
        ):
            if entries:
                frappe.db.delete(table, {field: ["in", entries]})
        logs = frappe.get_all("Shopify Log", {"shopify_store": self.store_name}, pluck="name")
        if logs:
            frappe.db.delete("Shopify Log Row", {"parent": ["in", logs]})
            frappe.db.delete("Shopify Log", {"name": ["in", logs]})
        frappe.delete_doc("Shopify Store", self.store_name, force=True, ignore_permissions=True)
        frappe.db.delete("Item Shopify Store", {"parent": ["in", self.codes]})
        frappe.db.delete("Bin", {"item_code": ["in", self.codes]})
        frappe.db.delete("Item", {"name": ["in", self.codes]})
        frappe.db.delete("Warehouse", {"name": self.wh})
        frappe.db.commit()
        # The killed run's job stays "started" in RQ until a worker's maintenance settles it (up
        # to 10 minutes), and a threaded web server used to answer 500 for any such job while
        # it did. Leave none behind.
        job = get_job(job_id(self.store_name))
        if job is not None:
            job.delete()

    def start_worker(self) -> subprocess.Popen:
        worker = subprocess.Popen(
            [sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "worker", "--queue", "long"],
            cwd=os.path.join(get_bench_path(), "sites"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.addCleanup(drop_dead_job, self.store_name)
        self.addCleanup(self.stop_worker, worker)
        return worker

    def stop_worker(self, worker):
        kill_worker(worker)

    def test_killed_run_keeps_what_landed_and_the_next_run_finishes(self):
        worker = self.start_worker()
        self.assertTrue(enqueue_store_sync(self.store_name, trigger="Manual", force=True))
        log_of = lambda: frappe.db.get_value(  # noqa: E731
            "Shopify Log", {"shopify_store": self.store_name}, ["name", "status", "pushed"], as_dict=True
        )
        # Killed once the first batch is confirmed and committed, the second one in flight
        # (each call takes 4 s on this emulator).
        running = wait_for(
            lambda: (log := log_of()) and log.pushed >= 250 and log, 180, "the first batch", step=0.2
        )
        cached = frappe.db.count(
            "Item Shopify Store", {"shopify_store": self.store_name, "parent": ["in", self.codes]}
        )
        self.assertEqual(kill_worker(worker), 1)  # the worker and the horse running our job
        killed_at = time.monotonic()
        self.assertEqual(running.status, "Running")
        self.assertEqual(cached, ITEMS)  # every id learnt was committed before the batches went out

        # Runnable again: the lock's holder is recognised as dead once RQ lets its job go.
        holder = run_lock.current_holder(self.store_name)
        self.assertIsNotNone(holder)  # the SIGKILL left the lock behind
        wait_for(
            lambda: not run_lock.is_alive(holder), job_timeout_seconds(15), "the dead run's lock", step=5
        )
        freed_after = time.monotonic() - killed_at
        self.assertLess(freed_after, job_timeout_seconds(15))
        print(f"\nstore runnable again {freed_after:.0f} s after the SIGKILL")

        log = frappe.get_doc("Shopify Log", run_store_sync(self.store_name, trigger="Manual", force=True))
        self.assertEqual(log.status, "Success", log.as_dict())
        killed = frappe.get_doc("Shopify Log", running.name)
        self.assertEqual(killed.status, "Interrupted")
        self.assertGreaterEqual(killed.pushed, 250)
        wrong = [code for n, code in enumerate(self.codes) if self.shop.available(code, LOC1) != n % 9 + 1]
        self.assertEqual(wrong, [])
        frappe.db.commit()
        self.assertFalse(
            frappe.db.exists("Shopify Log", {"shopify_store": self.store_name, "status": "Running"})
        )

    def set_stock(self, figure):
        """ERPNext's figure of item n becomes figure(n), on the Bins the stock read reads (with
        their modified stamp, as ERPNext's ledger writes them), committed for the worker."""
        now = frappe.utils.now_datetime()
        for n, code in enumerate(self.codes):
            frappe.db.sql(
                "UPDATE `tabBin` SET actual_qty = %s, modified = %s WHERE item_code = %s AND warehouse = %s",
                (figure(n), now, code, self.wh),
            )
        frappe.db.commit()

    def test_rows_a_killed_run_landed_are_not_skipped_by_the_next_run(self):
        """Issue 15, D3: the levels a batch landed are saved with its checkpoint, and rows in
        flight at the SIGKILL are read before the next run compares, so a figure that went
        back to the stale level is still pushed, and no own write is taken for a sale."""
        self.shop.emulator.latency = 0
        self.assertEqual(
            frappe.get_doc(
                "Shopify Log", run_store_sync(self.store_name, trigger="Manual", force=True)
            ).status,
            "Success",
        )
        frappe.db.commit()
        self.shop.emulator.latency = 4.0
        self.set_stock(lambda n: 20)
        worker = self.start_worker()
        self.assertTrue(enqueue_store_sync(self.store_name, trigger="Manual", force=True))
        wait_for(
            lambda: frappe.db.get_value(
                "Shopify Log", {"shopify_store": self.store_name, "status": "Running", "pushed": [">=", 250]}
            ),
            180,
            "the first batch",
            step=0.2,
        )
        kill_worker(worker)
        drop_dead_job(self.store_name)
        self.shop.emulator.latency = 0
        landed = [code for code in self.codes if self.shop.available(code, LOC1) == 20]
        self.assertGreaterEqual(len(landed), 250)
        # The reservation behind the 20s is undone for even items (back to their old figure,
        # the level stored before the killed run), odd ones move on to 30.
        self.set_stock(lambda n: n % 9 + 1 if n % 2 == 0 else 30)
        # How the dead run's lock is let go is the test above; here it is let go at once.
        run_lock.release(self.store_name, run_lock.current_holder(self.store_name))
        log = frappe.get_doc("Shopify Log", run_store_sync(self.store_name, trigger="Manual", force=True))
        self.assertEqual(log.status, "Success", log.error)
        self.assertEqual(log.conflicts, 0)
        wrong = [
            code
            for n, code in enumerate(self.codes)
            if self.shop.available(code, LOC1) != (n % 9 + 1 if n % 2 == 0 else 30)
        ]
        self.assertEqual(wrong, [])
