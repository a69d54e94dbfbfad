# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""The frame every store job runs in (store_job.py): who refuses what, and what run_store_job
does with the lock, the savepoint and a failure."""

from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from nexwave_inventory_sync.erpnext_side import run_lock
from nexwave_inventory_sync.erpnext_side.constants import KILL_SWITCH_KEY
from nexwave_inventory_sync.erpnext_side.store_job import Refused, refusal, run_store_job, store_lock
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import clear_site_config, set_site_config

DOMAIN = "frame-shop.myshopify.com"


def a_store(**values):
    base = {
        "name": f"frame-{frappe.generate_hash(length=6)}",
        "shop_domain": DOMAIN,
        "enabled": 1,
        "inventory_sync_enabled": 1,
        "backoff_until": None,
        "backoff_reason": None,
        "run_deadline": 1,
    }
    return frappe._dict({**base, **values})


class FakeJob:
    savepoint = "store_job_test"

    def __init__(self, store, work):
        self.store, self.work, self.seen = store, work, []

    def busy(self, holder):
        self.seen.append("busy")
        return "busy"

    def start(self):
        self.seen.append("start")

    def run(self):
        self.seen.append("run")
        return self.work()

    def failed(self, exc):
        self.seen.append(f"failed: {exc}")
        return "failed"


class TestRefusal(IntegrationTestCase):
    def tearDown(self):
        clear_site_config(KILL_SWITCH_KEY)
        super().tearDown()

    def test_the_kill_switch_wins_over_force_and_over_a_disabled_store(self):
        set_site_config(KILL_SWITCH_KEY, [DOMAIN])
        refused = refusal(a_store(enabled=0), now_datetime(), force=True)
        self.assertEqual(refused.kind, Refused.SWITCHED_OFF)
        self.assertIn(DOMAIN, refused.reason)
        self.assertFalse(refused.keep_store_status)

    def test_force_passes_the_back_off_and_due_ness_but_not_a_disabled_store(self):
        now = now_datetime()
        paused = a_store(backoff_until=now + timedelta(hours=1))
        self.assertIsNone(refusal(paused, now, force=True, backoff=True, not_due="not due"))
        self.assertEqual(refusal(a_store(inventory_sync_enabled=0), now, force=True).kind, Refused.DISABLED)

    def test_a_pause_or_not_due_keeps_the_store_status(self):
        now = now_datetime()
        paused = refusal(a_store(backoff_until=now + timedelta(hours=1)), now, backoff=True)
        self.assertEqual(paused.kind, Refused.PAUSED)
        self.assertTrue(paused.keep_store_status)
        not_due = refusal(a_store(), now, not_due="synced a minute ago")
        self.assertEqual((not_due.kind, not_due.reason), (Refused.NOT_DUE, "synced a minute ago"))
        self.assertTrue(not_due.keep_store_status)
        # A job that does not pause (the webhook check) is not refused by a back-off.
        self.assertIsNone(refusal(a_store(backoff_until=now + timedelta(hours=1)), now))


class TestRunStoreJob(IntegrationTestCase):
    def test_a_failure_is_rolled_back_to_the_savepoint_and_recorded_and_the_lock_freed(self):
        store = a_store()
        written = []

        def work():
            todo = frappe.get_doc({"doctype": "ToDo", "description": "written by the run"})
            written.append(todo.insert(ignore_permissions=True).name)
            raise RuntimeError("broke")

        job = FakeJob(store, work)
        self.assertEqual(run_store_job(job), "failed")
        self.assertEqual(job.seen, ["start", "run", "failed: broke"])
        self.assertFalse(frappe.db.exists("ToDo", written[0]))
        self.assertIsNone(run_lock.current_holder(store.name))

    def test_a_held_lock_answers_busy_and_runs_nothing(self):
        store = a_store()
        with store_lock(store) as lock:
            self.assertTrue(lock.ok)
            job = FakeJob(store, lambda: "ran")
            self.assertEqual(run_store_job(job), "busy")
            self.assertEqual(job.seen, ["busy"])
        self.assertIsNone(run_lock.current_holder(store.name))
        self.assertEqual(run_store_job(FakeJob(store, lambda: "ran")), "ran")
