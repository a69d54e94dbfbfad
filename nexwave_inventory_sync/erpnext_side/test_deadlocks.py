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

from nexwave_inventory_sync.erpnext_side import bundles, confirmed_levels, not_on_shopify, store_job
from nexwave_inventory_sync.erpnext_side.checkpoint import Checkpointer
from nexwave_inventory_sync.erpnext_side.constants import (
    CONFIRMED_LEVEL_DOCTYPE,
    ITEM_STORE_DOCTYPE,
    ITEM_STORES_FIELD,
)
from nexwave_inventory_sync.sync.api import Checkpoint, Resolution, StockRow
from nexwave_inventory_sync.testing.compat import IntegrationTestCase

TABLE = f"`tab{ITEM_STORE_DOCTYPE}`"
LEVELS = f"`tab{CONFIRMED_LEVEL_DOCTYPE}`"
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


class TestRunEndWritesLockOnlyWhatTheyChange(IntegrationTestCase):
    """The end of a run writes its store's flags (bundles.mark_shopify_bundles,
    not_on_shopify.mark) and forgets levels (confirmed_levels.forget_levels; a checkpoint
    releases some, confirmed_levels.release). An UPDATE that picked its rows by store and ids locked every row it
    scanned, changed or not, and lost deadlocks to other stores' runs writing rows of the same
    Items (a 50-store first tick, issue 17). Rows another transaction holds (an Item being saved
    rewrites its rows of every store) are not waited on unless they change."""

    def setUp(self):
        super().setUp()
        tag = frappe.generate_hash(length=6)
        self.store, self.other = f"RUNEND {tag} A", f"RUNEND {tag} B"
        # name -> (item, store, inventory item id, shopify_bundle, not_on_shopify)
        self.rows = {
            f"re{tag}ax": (f"RUNEND-{tag}-X", self.store, f"gid://shopify/InventoryItem/{tag}1", 0, 1),
            f"re{tag}ay": (f"RUNEND-{tag}-Y", self.store, f"gid://shopify/InventoryItem/{tag}2", 1, 0),
            f"re{tag}bx": (f"RUNEND-{tag}-X", self.other, f"gid://shopify/InventoryItem/{tag}1", 0, 0),
            f"re{tag}by": (f"RUNEND-{tag}-Y", self.other, f"gid://shopify/InventoryItem/{tag}2", 1, 0),
        }
        self.x_row, self.y_row, *self.other_rows = self.rows
        joined(in_thread(self._seed))
        self.addCleanup(lambda: joined(in_thread(self._clean)))

    def _seed(self):
        for name, (item, store, inventory_item_id, bundle, missing) in self.rows.items():
            frappe.db.sql(
                f"""INSERT INTO {TABLE} (name, parent, parenttype, parentfield, idx, shopify_store,
                    inventory_item_id, shopify_bundle, not_on_shopify, creation, modified, owner, modified_by)
                VALUES (%s, %s, 'Item', %s, 1, %s, %s, %s, %s, NOW(6), NOW(6), 'Administrator', 'Administrator')""",
                (name, item, ITEM_STORES_FIELD, store, inventory_item_id, bundle, missing),
            )
        frappe.db.commit()

    def _clean(self):
        frappe.db.sql(f"DELETE FROM {TABLE} WHERE name IN %s", [tuple(self.rows)])
        frappe.db.commit()

    def run_while_held(self, write, table=TABLE, held_rows=None) -> list[str]:
        """`write` in a worker's transaction (lock waits of 2 s) while another transaction holds
        the store's unchanged row Y and the other store's rows; the lock waits it hit."""
        held, done = threading.Event(), threading.Event()
        held_rows = held_rows or (self.y_row, *self.other_rows)

        def holder():
            frappe.db.sql(f"SELECT name FROM {table} WHERE name IN %s FOR UPDATE", [tuple(held_rows)])
            held.set()
            done.wait(30)

        def writer():
            held.wait(30)
            frappe.db.sql("SET SESSION innodb_lock_wait_timeout = 2")
            try:
                write()
                frappe.db.commit()
                return []
            except frappe.QueryTimeoutError as exc:
                return [str(exc)]
            finally:
                done.set()

        holding = in_thread(holder)
        waits = joined(in_thread(writer, worker=True))
        joined(holding)
        return waits

    def column(self, fieldname):
        return joined(
            in_thread(
                lambda: dict(
                    frappe.db.sql(
                        f"SELECT name, {fieldname} FROM {TABLE} WHERE name IN %s", [tuple(self.rows)]
                    )
                )
            )
        )

    def test_marking_shopify_bundles_locks_only_the_rows_it_changes(self):
        x_id, y_id = self.rows[self.x_row][2], self.rows[self.y_row][2]
        waits = self.run_while_held(
            lambda: bundles.mark_shopify_bundles(
                self.store,
                [
                    Resolution(x_id, False, requires_components=True),
                    Resolution(y_id, False, requires_components=True),
                ],
            )
        )
        self.assertEqual(waits, [])
        flags = self.column("shopify_bundle")
        self.assertEqual(flags[self.x_row], 1)  # changed, by name
        self.assertEqual([flags[name] for name in self.other_rows], [0, 1])  # the other store's, untouched

    def test_unmarking_items_found_on_shopify_locks_only_the_rows_it_changes(self):
        waits = self.run_while_held(lambda: not_on_shopify.mark(self.store, []))
        self.assertEqual(waits, [])
        self.assertEqual(self.column("not_on_shopify")[self.x_row], 0)

    def test_forgetting_and_releasing_levels_lock_only_those_levels(self):
        levels = {
            f"{name}l": (store, item, inventory_item_id)
            for name, (item, store, inventory_item_id, *_f) in self.rows.items()
        }

        def seed():
            for name, (store, item, inventory_item_id) in levels.items():
                frappe.db.sql(
                    f"""INSERT INTO {LEVELS} (name, shopify_store, item_code, shopify_location_id,
                        inventory_item_id, quantity, in_flight, creation, modified, owner, modified_by)
                    VALUES (%s, %s, %s, %s, %s, 5, 1, NOW(6), NOW(6), 'Administrator', 'Administrator')""",
                    (name, store, item, LOC, inventory_item_id),
                )
            frappe.db.commit()

        def clean():
            frappe.db.sql(f"DELETE FROM {LEVELS} WHERE name IN %s", [tuple(levels)])
            frappe.db.commit()

        joined(in_thread(seed))
        self.addCleanup(lambda: joined(in_thread(clean)))
        x_level, y_level, *other_levels = levels
        x_key = (levels[x_level][2], LOC)
        waits = self.run_while_held(
            lambda: confirmed_levels.release(self.store, [x_key]), LEVELS, (y_level, *other_levels)
        )
        self.assertEqual(waits, [])
        waits = self.run_while_held(
            lambda: confirmed_levels.forget_levels(self.store, [x_key]), LEVELS, (y_level, *other_levels)
        )
        self.assertEqual(waits, [])
        left = joined(
            in_thread(
                lambda: dict(
                    frappe.db.sql(f"SELECT name, in_flight FROM {LEVELS} WHERE name IN %s", [tuple(levels)])
                )
            )
        )
        self.assertEqual(left, {y_level: 1, **{name: 1 for name in other_levels}})
