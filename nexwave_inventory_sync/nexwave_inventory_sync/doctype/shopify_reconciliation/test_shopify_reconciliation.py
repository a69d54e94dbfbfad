# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Reconciliation on a real ERPNext against the Shopify emulator: drift found, corrected by
the rules, recorded, notified; confirmed levels refreshed; its schedule, button and lock."""

from dataclasses import replace
from datetime import timedelta
from unittest.mock import patch

import frappe
from frappe.utils import now_datetime

from nexwave_inventory_sync.erpnext_side import confirmed_levels, run_lock
from nexwave_inventory_sync.erpnext_side.constants import KILL_SWITCH_KEY
from nexwave_inventory_sync.erpnext_side.reconciliation import run_store_reconciliation
from nexwave_inventory_sync.erpnext_side.scheduling import (
    due_reconciliations,
    enqueue_due_reconciliations,
    reconcile_job_id,
)
from nexwave_inventory_sync.erpnext_side.store_sync import run_store_sync
from nexwave_inventory_sync.nexwave_inventory_sync.doctype.shopify_reconciliation.shopify_reconciliation import (
    ShopifyReconciliation,
)
from nexwave_inventory_sync.testing.compat import IntegrationTestCase, ignore_test_records
from nexwave_inventory_sync.testing.fixtures import (
    clear_site_config,
    receive,
    set_site_config,
    store,
    warehouse,
)
from nexwave_inventory_sync.testing.stores import LOC1, TruthStoreMixin

# Our tests make the records they need (see testing/compat.py).
globals().update(ignore_test_records("Item", "Shopify Store", "User", "Warehouse"))


def drop_job(job_id):
    from frappe.utils.background_jobs import get_job

    job = get_job(job_id)
    if job:
        job.delete()


def notify_user(email="shopify-drift@example.com"):
    if not frappe.db.exists("User", email):
        frappe.get_doc(
            {"doctype": "User", "email": email, "first_name": "Drift", "send_welcome_email": 0}
        ).insert(ignore_permissions=True)
    return email


class ReconcileMixin(TruthStoreMixin):
    def synced_store(self, quantities, **options):
        codes = [self.variant(f"RECON-{frappe.generate_hash(length=5)}") for _ in quantities]
        receive([(code, self.wh1, qty) for code, qty in zip(codes, quantities, strict=True)])
        name = self.make_store(**options)
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual(log.status, "Success")
        return name, codes

    def reconcile(self, name):
        return frappe.get_doc(
            "Shopify Reconciliation", run_store_reconciliation(name, trigger="Manual", force=True)
        )

    def shopify_set(self, code, quantity):
        self.shop.catalog.set_available(self.inventory_item(code), LOC1, quantity)

    def an_interval_later(self, name):
        """The last reconciliation's shortfalls an hour old, as the next scheduled one finds
        them (a shortfall seen seconds ago may be an order not imported yet)."""
        frappe.db.sql(
            """UPDATE `tabShopify Confirmed Level` SET shortfall_since = shortfall_since - INTERVAL 1 HOUR
            WHERE shopify_store = %s""",
            name,
        )

    def level(self, name, code):
        return {lvl.ref: lvl.quantity for lvl in confirmed_levels.load(name).levels}.get(code)


class TestReconciliation(ReconcileMixin, IntegrationTestCase):
    def test_more_on_shopify_is_corrected_at_once_a_new_shortfall_waits_one_round(self):
        name, (more, less, same) = self.synced_store([5, 6, 7])
        self.shopify_set(more, 9)  # an admin edit: Shopify shows 4 more than ERPNext has
        self.shopify_set(less, 4)  # 2 fewer: maybe a sale ERPNext has not imported yet
        rec = self.reconcile(name)
        self.assertEqual(rec.status, "Success", rec.as_dict())
        self.assertEqual((rec.rows_compared, rec.rows_drifted, rec.corrected, rec.held), (3, 2, 1, 1))
        self.assertAlmostEqual(rec.drift_percent, 66.667, places=2)
        self.assertEqual(
            [
                (r.item_code, r.sku, r.erpnext_quantity, r.shopify_quantity, r.difference)
                for r in rec.differences
            ],
            [(more, more, 5, 9, 4), (less, less, 6, 4, -2)],  # largest difference first
        )
        self.assertEqual(rec.differences[0].action, "Corrected")
        self.assertIn("next time", rec.differences[1].action)
        self.assertEqual(self.shop.available(more, LOC1), 5)
        self.assertEqual(self.shop.available(less, LOC1), 4)
        # Confirmed levels: the correction and the equal row refreshed; the new shortfall
        # keeps its old level so the next delta run does not overwrite it.
        self.assertEqual((self.level(name, more), self.level(name, less), self.level(name, same)), (5, 6, 7))
        self.an_interval_later(name)
        again = self.reconcile(name)
        self.assertEqual((again.rows_drifted, again.corrected, again.held), (1, 1, 0))
        self.assertEqual(self.shop.available(less, LOC1), 6)  # the shortfall survived a round
        self.assertEqual(self.level(name, less), 6)
        store_doc = frappe.get_doc("Shopify Store", name)
        self.assertEqual(store_doc.last_reconciliation_doc, again.name)
        self.assertIsNotNone(store_doc.last_reconciliation)

    def test_tolerance_and_auto_correct_off(self):
        name, (near, far) = self.synced_store([5, 5], drift_tolerance=1, auto_correct=0)
        self.shopify_set(near, 6)
        self.shopify_set(far, 8)
        rec = self.reconcile(name)
        self.assertEqual((rec.rows_compared, rec.rows_drifted, rec.corrected), (2, 1, 0))
        self.assertEqual(rec.differences[0].item_code, far)
        self.assertIn("off", rec.differences[0].action)
        self.assertEqual(self.shop.available(far, LOC1), 8)  # left alone
        # Refreshed to what Shopify holds: the next delta run sends ERPNext's figure with the
        # right compare-and-set value, and it lands without a conflict.
        self.assertEqual(self.level(name, far), 8)
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual((log.status, log.changed, log.conflicts), ("Success", 2, 0))
        self.assertEqual(self.shop.available(far, LOC1), 5)

    def test_on_hand_mode_corrects_more_at_once_and_a_shortfall_the_second_time(self):
        # D6: a shortfall of on_hand may be a fulfilment ERPNext has not booked yet (its Delivery
        # Note follows): pushed back up at once, Shopify would sell units already shipped.
        name, (more, less) = self.synced_store([5, 5], quantity_name="on_hand", order_marker_field="po_no")
        self.shopify_set(more, 8)
        self.shopify_set(less, 3)
        rec = self.reconcile(name)
        self.assertEqual((rec.quantity_name, rec.rows_drifted, rec.corrected, rec.held), ("on_hand", 2, 1, 1))
        self.assertEqual((self.shop.available(more, LOC1), self.shop.available(less, LOC1)), (5, 3))
        self.assertEqual(self.level(name, less), 5)  # not confirmed: the next delta run leaves it
        self.an_interval_later(name)
        again = self.reconcile(name)
        self.assertEqual((again.rows_drifted, again.corrected), (1, 1))
        self.assertEqual(self.shop.available(less, LOC1), 5)

    def test_a_shortfall_inside_the_tolerance_is_not_confirmed(self):
        # D5: Shopify sold 1 ERPNext has not imported; tolerance 1 makes it no drift, but
        # confirming Shopify's 4 let the next delta run push 5 over the sale.
        name, (code, other) = self.synced_store([5, 5], drift_tolerance=1)
        self.shop.catalog.sell(self.inventory_item(code), LOC1, 1)
        rec = self.reconcile(name)
        self.assertEqual((rec.rows_compared, rec.rows_drifted), (2, 0))
        self.assertEqual(self.level(name, code), 5)
        receive([(other, self.wh1, 1)])  # something else moves: the delta run goes out
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual(log.status, "Success")
        self.assertEqual(self.shop.available(code, LOC1), 4)  # the sale kept
        self.assertEqual(self.shop.available(other, LOC1), 6)

    def test_untracked_items_are_not_drift(self):
        # D8: Shopify does not track one item (Track quantity turned off after the first push):
        # a push skips it, so it was drift no run could correct, inflating the % and notifying.
        user = notify_user()
        name, (code, other) = self.synced_store(
            [5, 5], drift_threshold=10, drift_notify_users=[{"user": user}]
        )
        self.shop.catalog.set_tracked(self.inventory_item(code), False)
        self.shopify_set(code, 0)
        rec = self.reconcile(name)
        self.assertEqual(rec.status, "Success")
        self.assertEqual(
            (rec.rows_compared, rec.rows_drifted, rec.rows_untracked, rec.drift_percent, rec.corrected),
            (1, 0, 1, 0, 0),
        )
        self.assertFalse(rec.notified)
        self.assertEqual(self.shop.available(code, LOC1), 0)

    def test_a_reconciliation_stamps_only_the_levels_it_changed(self):
        # D17: every level was re-stamped, so the next delta tick read every item of the store.
        from nexwave_inventory_sync.erpnext_side import stock_changes

        name, codes = self.synced_store([5] * 7, auto_correct=0)
        past = now_datetime() - timedelta(hours=2)
        frappe.db.sql("UPDATE `tabBin` SET modified = %s WHERE item_code IN %s", (past, tuple(codes)))
        frappe.db.sql("UPDATE `tabItem` SET modified = %s WHERE name IN %s", (past, tuple(codes)))
        frappe.db.sql("UPDATE `tabShopify Store` SET modified = %s WHERE name = %s", (past, name))
        store_doc = frappe.get_doc("Shopify Store", name)
        # (Items other tests of this class made are stamped too: the class shares a transaction.)
        self.assertFalse(set(codes) & stock_changes.read_scope(store_doc, False, now_datetime(), 24).items)
        self.shopify_set(codes[0], 9)  # not corrected (Correct Drift off): confirmed at 9
        self.shopify_set(codes[1], 7)
        self.shopify_set(codes[2], 3)  # a shortfall first seen: its level stays, its shortfall is new
        rec = self.reconcile(name)
        self.assertEqual((rec.rows_compared, rec.rows_drifted), (7, 3))
        scope = stock_changes.read_scope(frappe.get_doc("Shopify Store", name), False, now_datetime(), 24)
        self.assertEqual(set(codes) & scope.items, set(codes[:3]))
        # Shopify unchanged since: the next reconciliation writes only the shortfall that
        # survived a round (not corrected, it is now confirmed at Shopify's figure).
        self.an_interval_later(name)
        self.assertEqual(self.reconcile(name).rows_drifted, 3)
        stamped = frappe.db.sql_list(
            "SELECT item_code FROM `tabShopify Confirmed Level` WHERE shopify_store = %s AND modified > %s",
            (name, rec.finished_at),
        )
        self.assertEqual(stamped, [codes[2]])

    def test_a_failed_bulk_download_falls_back_to_pages(self):
        # D15: a download refused, cut off or answering non-200 escaped the engine (Failed).
        from nexwave_inventory_sync.erpnext_side import reconciliation
        from nexwave_inventory_sync.sync import levels

        name, (a, b) = self.synced_store([3, 4])
        self.shopify_set(a, 6)
        bulk = self.shop.emulator.bulk
        bulk.base_delay = 0.1
        real_options = reconciliation.sync_options

        def quick_polls(store, run_id, **extra):
            return replace(real_options(store, run_id, **extra), bulk_poll_interval=0.05)

        for fault in (lambda: bulk.fail_download("refused"), lambda: bulk.fail_download("cut_off")):
            fault()
            with (
                patch.object(levels, "BULK_THRESHOLD", 1),
                patch.object(reconciliation, "sync_options", quick_polls),
            ):
                rec = self.reconcile(name)
            self.assertEqual((rec.status, rec.read_method, rec.rows_compared), ("Success", "pages", 2))
        self.assertEqual(bulk.started(), 2)
        self.assertEqual(self.shop.available(a, LOC1), 3)

    def test_drift_above_the_threshold_notifies_the_stores_users(self):
        user = notify_user()
        name, (a, b) = self.synced_store([3, 3], drift_threshold=40, drift_notify_users=[{"user": user}])
        self.shopify_set(a, 8)
        rec = self.reconcile(name)  # 1 of 2 rows: 50 % > 40 %
        self.assertTrue(rec.notified)
        notes = frappe.get_all(
            "Notification Log",
            filters={"for_user": user, "document_type": "Shopify Reconciliation", "document_name": rec.name},
            fields=["subject"],
        )
        self.assertEqual(len(notes), 1)
        self.assertIn("50", notes[0].subject)
        quiet = self.reconcile(name)  # corrected last time: no drift, no notification
        self.assertFalse(quiet.notified)
        self.assertFalse(frappe.db.exists("Notification Log", {"document_name": quiet.name}))

    def test_a_large_catalog_is_read_with_one_bulk_operation(self):
        from nexwave_inventory_sync.erpnext_side import reconciliation
        from nexwave_inventory_sync.sync import levels

        name, (a, b) = self.synced_store([3, 4])
        self.shopify_set(b, 1)  # a shortfall on Shopify, first seen
        self.shop.emulator.bulk.base_delay = 0.1
        real_options = reconciliation.sync_options

        def quick_polls(store, run_id, **extra):
            return replace(real_options(store, run_id, **extra), bulk_poll_interval=0.05)

        # The threshold is the engine's (measured); 1 makes this two-row store "large".
        with (
            patch.object(levels, "BULK_THRESHOLD", 1),
            patch.object(reconciliation, "sync_options", quick_polls),
        ):
            rec = self.reconcile(name)
        self.assertEqual((rec.read_method, rec.rows_compared, rec.rows_drifted), ("bulk", 2, 1))
        self.assertEqual(self.shop.emulator.stats.calls_by_operation.get("LocationLevelsPage", 0), 0)
        self.assertEqual(rec.differences[0].item_code, b)

    def test_progress_is_published_on_the_store(self):
        name, (code,) = self.synced_store([4])
        self.shopify_set(code, 9)
        with patch("frappe.publish_progress") as progress:
            self.reconcile(name)
        self.assertTrue(progress.call_args_list)
        for call in progress.call_args_list:
            self.assertEqual((call.kwargs["doctype"], call.kwargs["docname"]), ("Shopify Store", name))
        self.assertEqual(progress.call_args_list[-1].args[0], 100)
        # The engine's progress is published as it goes: the read, then the correction's batch.
        percents = [call.args[0] for call in progress.call_args_list]
        self.assertEqual(percents, sorted(percents))
        self.assertTrue(any(0 < p < 80 for p in percents), percents)
        self.assertIn(
            "Correcting the drifted rows", [c.kwargs["description"] for c in progress.call_args_list]
        )

    def test_a_bad_token_aborts_and_keeps_the_old_timestamp(self):
        from nexwave_inventory_sync.emulator import Fault

        name, _codes = self.synced_store([4])
        self.shop.emulator.faults.script(Fault.status(401))
        rec = self.reconcile(name)
        self.assertEqual(rec.status, "Aborted")
        self.assertIn("authentication", rec.error)
        self.assertIsNone(frappe.db.get_value("Shopify Store", name, "last_reconciliation"))

    def test_a_busy_store_is_not_reconciled(self):
        name, _codes = self.synced_store([4])
        # The store's sync holds the run lock (a live holder: this very process).
        held = run_lock.acquire(name, 60)
        self.assertTrue(held.ok)
        self.addCleanup(run_lock.release, name, held.holder)
        rec = self.reconcile(name)
        self.assertEqual(rec.status, "Skipped")
        self.assertIsNone(run_store_reconciliation(name, trigger="Scheduled", force=True))


class TestReconcileScheduleAndButton(IntegrationTestCase):
    def setUp(self):
        self.wh = warehouse("Shopify WH 1")

    def test_due_stores_are_queued_once_by_their_own_interval(self):
        due = store("recon-due.myshopify.com", [(self.wh, "1")])
        fresh = store("recon-fresh.myshopify.com", [(self.wh, "1")], last_reconciliation=now_datetime())
        off = store("recon-off.myshopify.com", [(self.wh, "1")], reconcile_enabled=0)
        hourly = store(
            "recon-hourly.myshopify.com",
            [(self.wh, "1")],
            reconcile_interval=60,
            last_reconciliation=now_datetime() - timedelta(minutes=61),
        )
        for name in (due, fresh, off, hourly):
            drop_job(reconcile_job_id(name))
            self.addCleanup(drop_job, reconcile_job_id(name))
        names = due_reconciliations()
        self.assertIn(due, names)
        self.assertIn(hourly, names)
        self.assertNotIn(fresh, names)
        self.assertNotIn(off, names)
        queued = enqueue_due_reconciliations()
        for name in queued:
            self.addCleanup(drop_job, reconcile_job_id(name))
        self.assertIn(due, queued)
        self.assertNotIn(due, enqueue_due_reconciliations())

    def test_the_reconcile_button_queues_a_forced_run_and_respects_the_kill_switch(self):
        name = store("recon-button.myshopify.com", [(self.wh, "1")])
        drop_job(reconcile_job_id(name))
        self.addCleanup(drop_job, reconcile_job_id(name))
        doc = frappe.get_doc("Shopify Store", name)
        self.assertTrue(doc.reconcile_inventory()["queued"])
        from frappe.utils.background_jobs import get_job

        job = get_job(reconcile_job_id(name))
        self.assertEqual((job.kwargs["kwargs"]["force"], job.kwargs["kwargs"]["trigger"]), (True, "Manual"))
        self.assertFalse(doc.reconcile_inventory()["queued"])
        drop_job(reconcile_job_id(name))
        set_site_config(KILL_SWITCH_KEY, ["recon-button.myshopify.com"])
        self.addCleanup(clear_site_config, KILL_SWITCH_KEY)
        answer = doc.reconcile_inventory()
        self.assertFalse(answer["queued"])
        self.assertIn("switched off", answer["message"])
        rec = frappe.get_doc("Shopify Reconciliation", run_store_reconciliation(name, trigger="Scheduled"))
        self.assertEqual(rec.status, "Skipped")

    def test_the_cron_hook_and_log_clearing_are_registered(self):
        job = frappe.db.get_value(
            "Scheduled Job Type",
            {"method": "nexwave_inventory_sync.erpnext_side.scheduling.enqueue_due_reconciliations"},
            ["frequency", "cron_format"],
            as_dict=True,
        )
        self.assertEqual((job.frequency, job.cron_format), ("Cron", "*/10 * * * *"))
        self.assertEqual(
            frappe.get_hooks("default_log_clearing_doctypes").get("Shopify Reconciliation"), [90]
        )

    def test_old_reconciliations_are_cleared(self):
        from frappe.utils import add_days

        old = frappe.get_doc(
            {
                "doctype": "Shopify Reconciliation",
                "status": "Success",
                "differences": [{"item_code": None, "difference": 1}],
            }
        ).insert(ignore_permissions=True)
        frappe.db.set_value("Shopify Reconciliation", old.name, "creation", add_days(now_datetime(), -91))
        ShopifyReconciliation.clear_old_logs(days=90)
        self.assertFalse(frappe.db.exists("Shopify Reconciliation", old.name))
        self.assertFalse(frappe.db.exists("Shopify Reconciliation Row", {"parent": old.name}))
