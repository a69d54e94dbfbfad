# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Stores' runs in parallel workers write rows of the same Items at the same moments
(docs/benchmarks.md §12: 3 of 50 first runs died on a MariaDB deadlock). A checkpoint that
loses a deadlock is written again; a job whose savepoint the database dropped still ends in
its own record, saying its own error."""

import threading
import time
from types import SimpleNamespace

import frappe

from nexwave_inventory_sync.erpnext_side import store_job
from nexwave_inventory_sync.erpnext_side.checkpoint import Checkpointer
from nexwave_inventory_sync.erpnext_side.constants import ITEM_STORE_DOCTYPE, ITEM_STORES_FIELD
from nexwave_inventory_sync.sync.api import Checkpoint, Resolution, StockRow
from nexwave_inventory_sync.testing.compat import IntegrationTestCase

TABLE = f"`tab{ITEM_STORE_DOCTYPE}`"
LOC = "gid://shopify/Location/1"


def in_thread(work, *, worker: bool = False):
    """`work` on a connection of its own, as another worker's job would; returns what it
    returned, or raises what it raised."""
    site, sites_path = frappe.local.site, frappe.local.sites_path
    outcome = {}

    def run():
        frappe.init(site=site, sites_path=sites_path)
        frappe.connect()
        if worker:
            frappe.local.job = {"job_name": "test"}  # flight_marks.in_worker: commits at checkpoints
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc
        finally:
            frappe.db.rollback()
            frappe.destroy()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def joined(started):
    thread, outcome = started
    thread.join(60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


class TestDeadlocks(IntegrationTestCase):
    def setUp(self):
        super().setUp()
        tag = frappe.generate_hash(length=6)
        self.store = f"DLK {tag} A"
        self.items = [f"DLK-{tag}-X", f"DLK-{tag}-Y"]
        self.rows = {item: f"dlk{tag}{i}" for i, item in enumerate(self.items)}
        # Rows the other transaction updates first, so InnoDB picks the checkpoint as the victim
        # (it rolls back the transaction with fewer rows changed).
        self.padding = [f"dlk{tag}p{i}" for i in range(30)]
        joined(in_thread(self._seed))
        self.addCleanup(lambda: joined(in_thread(self._clean)))

    def _seed(self):
        rows = [(name, item, self.store) for item, name in self.rows.items()]
        rows += [(name, f"DLK-PAD-{name}", f"{self.store} pad") for name in self.padding]
        for name, item, store in rows:
            frappe.db.sql(
                f"""INSERT INTO {TABLE} (name, parent, parenttype, parentfield, idx, shopify_store,
                    creation, modified, owner, modified_by)
                VALUES (%s, %s, 'Item', %s, 1, %s, NOW(6), NOW(6), 'Administrator', 'Administrator')""",
                (name, item, ITEM_STORES_FIELD, store),
            )
        frappe.db.commit()

    def _clean(self):
        frappe.db.sql(f"DELETE FROM {TABLE} WHERE name IN %s", [(*self.rows.values(), *self.padding)])
        frappe.db.commit()

    def test_a_checkpoint_that_loses_a_deadlock_is_written_again(self):
        other_holds_y = threading.Event()
        checkpoint_started = threading.Event()
        x_row, y_row = self.rows.values()

        def other_store():
            # Another store's transaction holds the row of item Y, then wants item X's.
            frappe.db.sql(f"UPDATE {TABLE} SET modified = NOW(6) WHERE name IN %s", [(y_row, *self.padding)])
            other_holds_y.set()
            checkpoint_started.wait(30)
            time.sleep(1.0)  # the checkpoint has locked X and waits for Y
            frappe.db.sql(f"UPDATE {TABLE} SET modified = NOW(6) WHERE name = %s", x_row)
            time.sleep(0.5)
            frappe.db.commit()

        def checkpoint():
            other_holds_y.wait(30)
            saver = Checkpointer(
                self.store, "no such log", [StockRow(LOC, 1, sku=item, ref=item) for item in self.items]
            )
            checkpoint_started.set()
            saver(
                Checkpoint(
                    resolved=tuple(
                        Resolution(f"gid://shopify/InventoryItem/{i + 1}", True, sku=item)
                        for i, item in enumerate(self.items)
                    ),
                    batches_done=1,
                    batches_ok=1,
                    batches_failed=0,
                    pushed=2,
                    failed=0,
                )
            )

        other = in_thread(other_store)
        saver = in_thread(checkpoint, worker=True)
        joined(other)
        joined(saver)  # raised QueryDeadlockError before checkpoints were written again
        saved = joined(
            in_thread(
                lambda: dict(
                    frappe.db.sql(
                        f"SELECT parent, inventory_item_id FROM {TABLE} WHERE name IN %s",
                        [tuple(self.rows.values())],
                    )
                )
            )
        )
        self.assertEqual(
            saved,
            {item: f"gid://shopify/InventoryItem/{i + 1}" for i, item in enumerate(self.items)},
        )

    def test_a_job_whose_savepoint_the_database_dropped_ends_in_its_own_record(self):
        class Job:
            store = SimpleNamespace(name=f"DLK {frappe.generate_hash(length=6)}", run_deadline=None)
            savepoint = "shopify_inventory_sync"

            def busy(self, holder):
                return "busy"

            def start(self):
                pass

            def run(self):
                # What a deadlock does to the job's transaction: rolled back whole, the
                # savepoint gone with it.
                frappe.db.sql(f"RELEASE SAVEPOINT {self.savepoint}")
                raise frappe.QueryDeadlockError("Deadlock found when trying to get lock")

            def failed(self, exc):
                return f"failed: {exc}"

        self.assertEqual(store_job.run_store_job(Job()), "failed: Deadlock found when trying to get lock")
