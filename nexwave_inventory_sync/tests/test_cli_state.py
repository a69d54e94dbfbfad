"""The --state file (issue 15): levels saved batch by batch with marks for rows in flight, a
lock per file, keys per shop and endpoint, errors as exit 1 without a traceback, re-created
and untracked items. The real-process tests run `nexwave-sync push` against
`python -m nexwave_inventory_sync.emulator`, interrupt or kill it, and run it again."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

from nexwave_inventory_sync.cli import state as state_module
from nexwave_inventory_sync.cli.id_cache import RECHECK_UNTRACKED_HOURS, use_cached_id
from nexwave_inventory_sync.cli.push import delta_push
from nexwave_inventory_sync.cli.state import (
    REAL_ENDPOINT,
    CachedId,
    SyncState,
    endpoint_key,
)
from nexwave_inventory_sync.cli.state_errors import StateBusy
from nexwave_inventory_sync.cli.state_schema import TABLES
from nexwave_inventory_sync.emulator import Emulator
from nexwave_inventory_sync.sync.delta import ConfirmedLevel
from nexwave_inventory_sync.sync.endpoint import ShopifyEndpoint
from nexwave_inventory_sync.sync.in_flight import InFlightLevel
from nexwave_inventory_sync.sync.results import RunResult, StockRow
from nexwave_inventory_sync.sync.run import SyncOptions

from .emulated_shop import TOKEN, EmulatedShopTest
from .test_cli import run_cli

SHOP = "cli-shop.myshopify.com"
ITEM = "gid://shopify/InventoryItem/{}"
LOC = "gid://shopify/Location/1"


class StateTestCase(EmulatedShopTest):
    items = 40

    def setUp(self):
        super().setUp()
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)
        self.state = str(self.folder / "state.sqlite3")

    def csv(self, quantities, name="stock.csv"):
        path = self.folder / name
        lines = [
            f"{sku if isinstance(sku, str) else f'SKU-{sku:06d}'},1,{q}" for sku, q in quantities.items()
        ]
        path.write_text("sku,location_id,quantity\n" + "\n".join(lines) + "\n")
        return str(path)

    def push(self, path, *extra, emulator=None, command="push"):
        return run_cli(
            command,
            "--shop",
            SHOP,
            "--stock",
            path,
            "--endpoint",
            (emulator or self.emulator).base_url,
            "--state",
            self.state,
            *extra,
            env={"SHOPIFY_ACCESS_TOKEN": TOKEN},
        )

    def open_state(self, emulator=None, **kw):
        endpoint = ShopifyEndpoint(SHOP, TOKEN, endpoint_override=(emulator or self.emulator).base_url)
        return SyncState(self.state, SHOP, endpoint_key(endpoint), **kw)


class StateFileErrorsTest(StateTestCase):
    """D9: a state file that cannot be used stops the run before its first call, exit 1,
    one line naming the file; a write that fails mid-run stops sending and exits 1."""

    items = 600

    def test_a_corrupt_file_is_exit_1_with_its_path_and_no_call(self):
        Path(self.state).write_text("not a database\n")
        code, out, err = self.push(self.csv({1: 5}))  # before: sqlite3.DatabaseError escaped
        self.assertEqual(code, 1, out + err)
        self.assertIn(self.state, err)
        self.assertIn("not a readable state file", err)
        self.assertNotIn("Traceback", err)
        self.assertEqual(self.emulator.stats.calls, 0)

    def test_a_file_another_program_holds_is_exit_1_before_any_call(self):
        self.assertEqual(self.push(self.csv({1: 5}))[0], 0)
        calls = self.emulator.stats.calls
        other = sqlite3.connect(self.state, isolation_level=None)
        self.addCleanup(other.close)
        other.execute("BEGIN IMMEDIATE")  # a DB browser, a stuck writer
        with mock.patch.object(state_module, "BUSY_TIMEOUT_S", 0.2):
            code, out, err = self.push(self.csv({1: 9}))
        other.execute("ROLLBACK")
        self.assertEqual(code, 1, out + err)
        self.assertIn("cannot be written: database is locked", err)
        self.assertEqual(self.emulator.stats.calls, calls)  # before: pushed, then a traceback
        self.assertEqual(self.catalog.available(ITEM.format(1), LOC), 5)

    def test_a_write_that_fails_mid_run_stops_sending_and_the_next_run_puts_shopify_right(self):
        """The checkpoint of the second batch cannot be written (another program took the
        write lock just after its rows were marked): the run stops, exit 1; what landed is
        proved by the marks on the next run, which restores the file's figures."""
        skus = range(1, 601)
        self.assertEqual(self.push(self.csv({i: 10 for i in skus}))[0], 0)
        other = sqlite3.connect(self.state, isolation_level=None)
        self.addCleanup(other.close)
        original = SyncState.mark_in_flight
        calls = []

        def mark_then_lock(state, marks):
            original(state, marks)
            calls.append(len(marks))
            if len(calls) == 2:
                other.execute("BEGIN IMMEDIATE")

        wrong = self.csv({i: 3 for i in skus}, "wrong.csv")
        with (
            mock.patch.object(SyncState, "mark_in_flight", mark_then_lock),
            mock.patch.object(state_module, "BUSY_TIMEOUT_S", 0.2),
        ):
            code, out, err = run_cli(
                "push", "--shop", SHOP, "--stock", wrong, "--endpoint", self.emulator.base_url,
                "--state", self.state, "--concurrency", "1", env={"SHOPIFY_ACCESS_TOKEN": TOKEN},
            )  # fmt: skip
        other.execute("ROLLBACK")
        self.assertEqual(code, 1, out + err)
        self.assertIn("cannot be written", err)
        self.assertIn("stopped sending", err)
        self.assertNotIn("Traceback", err)
        self.assertEqual(len(calls), 2)  # nothing was sent after the failed save
        landed = [i for i in skus if self.catalog.available(ITEM.format(i), LOC) == 3]
        self.assertGreater(len(landed), 0)
        with self.open_state() as state:
            self.assertTrue(state.marks())  # the rows whose save failed are marked
        # The next run: the right file again. Its rows equal the stale levels of the marked
        # rows; the marks make the run read Shopify first, so they are sent.
        code, out, err = self.push(self.csv({i: 10 for i in skus}))
        self.assertEqual(code, 0, out + err)
        self.assertIn("left in flight by an earlier run", out)
        self.assertEqual([i for i in skus if self.catalog.available(ITEM.format(i), LOC) != 10], [])
        with self.open_state() as state:
            self.assertEqual(state.marks(), [])

    def test_disk_full_while_marking_keeps_the_batch_home(self):
        """A mark that cannot be written raises: its batch never leaves unmarked."""
        rows = [StockRow(LOC, 4, inventory_item_id=ITEM.format(i), ref=f"I-{i}") for i in range(1, 601)]
        with self.open_state() as state:
            pages = state._db.execute("PRAGMA page_count").fetchone()[0]
            state._db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full
            outcome = delta_push(self.endpoint_for_state(), rows, state, SyncOptions(concurrency=1))
        self.assertIsNone(outcome.result)
        self.assertIn("full", str(outcome.state_error))
        self.assertEqual(self.emulator.stats.mutations_applied, 0)

    def endpoint_for_state(self):
        return ShopifyEndpoint(SHOP, TOKEN, endpoint_override=self.emulator.base_url)


class StateLockTest(StateTestCase):
    def test_a_second_run_on_the_same_file_waits_then_names_the_first(self):
        with self.open_state():
            started = time.monotonic()
            with self.assertRaises(StateBusy) as caught:
                self.open_state(lock_wait_s=0.5)
            self.assertGreaterEqual(time.monotonic() - started, 0.5)
            self.assertEqual(caught.exception.pid, os.getpid())
            self.assertIn(f"process {os.getpid()}", str(caught.exception))
            with mock.patch.object(state_module, "LOCK_WAIT_S", 0.2):
                code, out, err = self.push(self.csv({1: 5}))
            self.assertEqual(code, 1, out + err)
            self.assertIn(f"in use by another nexwave-sync run (process {os.getpid()})", err)
            self.assertEqual(self.emulator.stats.calls, 0)
        self.assertEqual(self.push(self.csv({1: 5}))[0], 0)  # free again once the first closed


class EndpointKeyTest(StateTestCase):
    """D4: a trial push against an emulator with the real --shop never makes another
    endpoint's push skip rows."""

    def test_a_push_to_another_endpoint_sends_every_row(self):
        other = Emulator(self.catalog.__class__.generate(items=40, locations=1, seed=0), access_token=TOKEN)
        other.start()
        self.addCleanup(other.stop)
        stock = self.csv({i: 7 for i in range(1, 41)})
        self.assertEqual(self.push(stock)[0], 0)
        code, out, _ = self.push(stock, emulator=other)
        self.assertEqual(code, 0, out)
        self.assertIn("40 changed, 0 unchanged", out)  # before: "0 changed", nothing sent
        self.assertEqual({other.catalog.available(ITEM.format(i), LOC) for i in range(1, 41)}, {7})

    def test_endpoint_key(self):
        real = ShopifyEndpoint(SHOP, TOKEN)
        self.assertEqual(endpoint_key(real), REAL_ENDPOINT)
        self.assertEqual(endpoint_key(ShopifyEndpoint(SHOP, TOKEN, endpoint_override=f"https://{SHOP}/")), "")
        self.assertEqual(
            endpoint_key(ShopifyEndpoint(SHOP, TOKEN, endpoint_override="http://127.0.0.1:8080/")),
            "http://127.0.0.1:8080",
        )

    def test_a_file_keyed_by_shop_alone_migrates_to_the_real_endpoint(self):
        old = sqlite3.connect(self.state)
        old.executescript(
            """
            CREATE TABLE item_ids (shop TEXT NOT NULL, sku TEXT NOT NULL, inventory_item_id TEXT NOT NULL,
                variant_id TEXT, tracked INTEGER NOT NULL, resolved_at TEXT NOT NULL, PRIMARY KEY (shop, sku));
            CREATE TABLE confirmed_levels (shop TEXT NOT NULL, inventory_item_id TEXT NOT NULL,
                location_id TEXT NOT NULL, quantity INTEGER NOT NULL, ref TEXT, source TEXT NOT NULL,
                confirmed_at TEXT NOT NULL, PRIMARY KEY (shop, inventory_item_id, location_id));
            CREATE TABLE shortfalls (shop TEXT NOT NULL, inventory_item_id TEXT NOT NULL,
                location_id TEXT NOT NULL, units INTEGER NOT NULL, PRIMARY KEY (shop, inventory_item_id, location_id));
            """
        )
        for i in range(1, 41):
            old.execute(
                "INSERT INTO item_ids VALUES (?, ?, ?, NULL, 1, '2026-12-01T00:00:00Z')",
                (SHOP, f"SKU-{i:06d}", ITEM.format(i)),
            )
            old.execute(
                "INSERT INTO confirmed_levels VALUES (?, ?, ?, 7, ?, 'push', '2026-12-01T00:00:00Z')",
                (SHOP, ITEM.format(i), LOC, f"SKU-{i:06d}"),
            )
        old.execute("INSERT INTO shortfalls VALUES (?, ?, ?, 2)", (SHOP, ITEM.format(1), LOC))
        old.commit()
        old.close()
        with SyncState(self.state, SHOP, REAL_ENDPOINT) as state:
            self.assertEqual(len(state.confirmed()), 40)
            self.assertEqual(len(state.item_ids()), 40)
            self.assertEqual(state.shortfalls(), {(ITEM.format(1), LOC): 2})
        # The emulator's push does not see the real shop's levels: every row is sent.
        code, out, _ = self.push(self.csv({i: 7 for i in range(1, 41)}))
        self.assertEqual(code, 0, out)
        self.assertIn("40 changed", out)
        with SyncState(self.state, SHOP, REAL_ENDPOINT) as state:
            self.assertEqual({lv.quantity for lv in state.confirmed()}, {7})  # untouched

    def test_a_schema_2_file_gains_the_sales_held_back_and_keeps_them(self):
        old = sqlite3.connect(self.state)
        for create in TABLES.values():
            old.execute(create.replace("    held INTEGER NOT NULL DEFAULT 0,\n", ""))
        old.execute(
            "INSERT INTO confirmed_levels VALUES (?, '', ?, ?, 7, 'SKU-000001', 'push', '2026-12-01T00:00:00Z')",
            (SHOP, ITEM.format(1), LOC),
        )
        old.execute("PRAGMA user_version = 2")
        old.commit()
        old.close()
        with SyncState(self.state, SHOP, "") as state:
            self.assertEqual([lv.held for lv in state.confirmed()], [0])
            # N1: a level that keeps 3 sales back, and a mark sent against it keeping 4.
            state.save_confirmed([ConfirmedLevel(ITEM.format(1), LOC, 9, "SKU-000001", "conflict", 3)])
            state.mark_in_flight([InFlightLevel(ITEM.format(1), LOC, 8, 9, "SKU-000001", held=4)])
        with SyncState(self.state, SHOP, "") as state:
            self.assertEqual([(lv.quantity, lv.held) for lv in state.confirmed()], [(9, 3)])
            self.assertEqual([(m.held, m.previous_held) for m in state.marks()], [(4, 3)])


class RecreatedAndGoneItemsTest(StateTestCase):
    """D2: the old item's confirmed level goes when a product is re-created (or deleted)."""

    def test_a_recreated_product_does_not_fail_every_later_run(self):
        stock = self.csv({1: 5, 2: 5})
        self.assertEqual(self.push(stock)[0], 0)
        self.catalog.remove_variant(1)
        new = self.catalog.add_variant("SKU-000001", quantity=0)
        stock = self.csv({1: 6, 2: 5})
        self.push(stock)  # finds the new item by SKU (D1, the figure of this run, is the engine's)
        for run in (3, 4):
            code, out, err = self.push(stock)
            self.assertEqual(code, 0, f"run {run}: {out}{err}")  # before: exit 2, zeroing the deleted item
            self.assertNotIn("INVALID_INVENTORY_ITEM", out)
        self.assertEqual(self.catalog.available(new["inventory_item_id"], LOC), 6)
        with self.open_state() as state:
            self.assertEqual(state.item_ids()["SKU-000001"].inventory_item_id, new["inventory_item_id"])
            self.assertNotIn(ITEM.format(1), {lv.inventory_item_id for lv in state.confirmed()})

    def test_levels_the_run_says_to_forget_are_deleted(self):
        with self.open_state() as state:
            state.save_confirmed([ConfirmedLevel(ITEM.format(i), LOC, 5) for i in (1, 2)])
            state.finish_run(RunResult("run", "2026-10", forget=(ConfirmedLevel(ITEM.format(1), LOC, 5),)))
            self.assertEqual([lv.inventory_item_id for lv in state.confirmed()], [ITEM.format(2)])

    def test_levels_a_checkpoint_says_to_forget_are_deleted_with_it(self):
        # N4: a re-created product's old level goes with the checkpoint that caches its new id,
        # before the row leaves again: a kill after it leaves no level naming nothing.
        from nexwave_inventory_sync.sync.results import Checkpoint, Resolution

        with self.open_state() as state:
            state.save_confirmed([ConfirmedLevel(ITEM.format(i), LOC, 5) for i in (1, 2)])
            new = Resolution(ITEM.format(99), True, sku="SKU-000001", replaces=ITEM.format(1))
            state.save_checkpoint(
                Checkpoint((new,), 1, 0, 1, 0, 1, forget=(ConfirmedLevel(ITEM.format(1), LOC, 5),))
            )
            self.assertEqual([lv.inventory_item_id for lv in state.confirmed()], [ITEM.format(2)])
            self.assertEqual(state.item_ids()["SKU-000001"].inventory_item_id, ITEM.format(99))

    def test_a_deleted_item_that_left_the_file_is_forgotten(self):
        self.assertEqual(self.push(self.csv({1: 5, 2: 5}))[0], 0)
        self.catalog.remove_variant(1)
        stock = self.csv({2: 5})
        self.push(stock)  # zeroing item 1: Shopify no longer has it
        code, out, err = self.push(stock)
        self.assertEqual(code, 0, out + err)
        with self.open_state() as state:
            self.assertNotIn(ITEM.format(1), {lv.inventory_item_id for lv in state.confirmed()})


class UntrackedRecheckTest(StateTestCase):
    """D7: an "untracked" answer is looked up again after RECHECK_UNTRACKED_HOURS and on --full."""

    def setUp(self):
        super().setUp()
        self.catalog._tracked[0] = 0  # SKU-000001 is not tracked on Shopify yet

    def age_cached_ids(self, hours):
        db = sqlite3.connect(self.state)
        then = (datetime.now(timezone.utc) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
        db.execute("UPDATE item_ids SET resolved_at = ?", (then,))
        db.commit()
        db.close()

    def test_full_looks_an_untracked_sku_up_again(self):
        stock = self.csv({1: 7, 2: 7})
        self.assertEqual(self.push(stock)[0], 0)
        self.catalog._tracked[0] = 1  # the merchant turns tracking on
        code, out, _ = self.push(stock, "--full")
        self.assertEqual(code, 0, out)
        self.assertEqual(self.catalog.available(ITEM.format(1), LOC), 7)  # before: never pushed

    def test_a_delta_looks_it_up_again_once_the_answer_is_old(self):
        stock = self.csv({1: 7, 2: 7})
        self.assertEqual(self.push(stock)[0], 0)
        self.catalog._tracked[0] = 1
        self.push(stock)
        self.assertEqual(self.catalog.available(ITEM.format(1), LOC), 0)  # a fresh answer is trusted
        self.age_cached_ids(RECHECK_UNTRACKED_HOURS + 1)
        code, out, _ = self.push(stock)
        self.assertEqual(code, 0, out)
        self.assertEqual(self.catalog.available(ITEM.format(1), LOC), 7)  # before: never pushed

    def test_use_cached_id(self):
        now = datetime(2026, 12, 3, tzinfo=timezone.utc)
        fresh, old = now - timedelta(hours=1), now - timedelta(hours=25)
        self.assertTrue(use_cached_id(CachedId("i", True, old), full=True, now=now))
        self.assertTrue(use_cached_id(CachedId("i", False, fresh), full=False, now=now))
        self.assertFalse(use_cached_id(CachedId("i", False, fresh), full=True, now=now))
        self.assertFalse(use_cached_id(CachedId("i", False, old), full=False, now=now))
        self.assertFalse(use_cached_id(CachedId("i", False, None), full=False, now=now))


class InFlightMarksTest(StateTestCase):
    """D3 in-process: a run killed after a batch left leaves its marks; the next run reads
    them before it picks the delta."""

    items = 600

    def test_levels_are_saved_per_batch_and_marks_survive_a_kill(self):
        class Killed(BaseException):
            pass

        endpoint = ShopifyEndpoint(SHOP, TOKEN, endpoint_override=self.emulator.base_url)
        rows = [StockRow(LOC, 10, sku=f"SKU-{i:06d}") for i in range(1, 601)]
        with self.open_state() as state:
            self.assertIsNotNone(delta_push(endpoint, rows, state, SyncOptions()).result)
        wrong = [StockRow(LOC, 0, sku=f"SKU-{i:06d}") for i in range(1, 601)]
        checkpoints = []
        original = SyncState.save_checkpoint

        def die_on_second_batch(state, checkpoint):
            if checkpoint.confirmed:
                checkpoints.append(checkpoint)
                if len(checkpoints) == 2:
                    raise Killed  # the process dies before this checkpoint is saved
            original(state, checkpoint)

        with self.open_state() as state, mock.patch.object(SyncState, "save_checkpoint", die_on_second_batch):
            with self.assertRaises(Killed):
                delta_push(endpoint, wrong, state, SyncOptions(concurrency=1))
        with self.open_state() as state:
            levels = {lv.key: lv.quantity for lv in state.confirmed()}
            self.assertEqual(sum(1 for q in levels.values() if q == 0), 250)  # batch 1, saved as it landed
            self.assertEqual(len(state.marks()), 250)  # batch 2: landed, unsaved, marked
            outcome = delta_push(endpoint, rows, state, SyncOptions())
        self.assertEqual(len(outcome.in_flight.confirmed), 250)
        self.assertEqual(outcome.result.pushed, 500)
        self.assertEqual({self.catalog.available(ITEM.format(i), LOC) for i in range(1, 601)}, {10})


# -- real processes -----------------------------------------------------------------------------

CLI = os.path.join(os.path.dirname(sys.executable), "nexwave-sync")


class EmulatorProcessCase(unittest.TestCase):
    """`nexwave-sync push` and the emulator as separate processes: signals and kills as a
    person or a scheduler sends them."""

    items = 2000
    latency_ms = 300

    def setUp(self):
        self.emulator = subprocess.Popen(
            [sys.executable, "-m", "nexwave_inventory_sync.emulator", "--items", str(self.items), "--plan",
             "plus", "--token", TOKEN, "--latency-ms", str(self.latency_ms), "--inspect"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        self.addCleanup(self.stop_emulator)
        self.base = self.emulator.stdout.readline().strip()
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)
        self.state = str(self.folder / "state.sqlite3")
        self.env = {**os.environ, "SHOPIFY_ACCESS_TOKEN": TOKEN}

    def stop_emulator(self):
        """SIGINT, as a person stops it; on a machine too loaded for it to close within 10 s,
        SIGKILL (the tests' verdicts are in by then)."""
        self.emulator.send_signal(signal.SIGINT)
        try:
            self.emulator.wait(10)
        except subprocess.TimeoutExpired:
            self.emulator.kill()
            self.emulator.wait()

    def get(self, path):
        with urllib.request.urlopen(self.base + path) as answer:
            return json.load(answer)

    def csv(self, name, quantity):
        path = self.folder / name
        lines = [f"SKU-{i:06d},1,{quantity}" for i in range(1, self.items + 1)]
        path.write_text("sku,location_id,quantity\n" + "\n".join(lines) + "\n")
        return str(path)

    def command(self, stock):
        return [CLI, "push", "--shop", SHOP, "--endpoint", self.base, "--state", self.state,
                "--concurrency", "1", "--stock", stock]  # fmt: skip

    def run_push(self, stock):
        return subprocess.run(self.command(stock), env=self.env, capture_output=True, text=True, timeout=120)

    def start_push(self, stock):
        return subprocess.Popen(
            self.command(stock), env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def wait_for_mutations(self, process, count):
        while self.get("/__emulator/stats")["mutations_applied"] < count and process.poll() is None:
            time.sleep(0.02)

    def wrong_levels(self, quantity):
        levels = self.get(f"/__emulator/levels?limit={self.items}")["levels"]
        self.assertEqual(len(levels), self.items)
        return sum(1 for level in levels.values() if list(level.values())[0] != quantity)


class InterruptedPushTest(EmulatorProcessCase):
    def interrupted_then_rerun(self, signum, exit_code):
        right, wrong = self.csv("right.csv", 10), self.csv("wrong.csv", 0)
        self.assertEqual(self.run_push(right).returncode, 0)
        before = self.get("/__emulator/stats")["mutations_applied"]
        process = self.start_push(wrong)
        self.wait_for_mutations(process, before + 2)
        process.send_signal(signum)
        out, err = process.communicate(timeout=60)
        self.assertEqual(process.returncode, exit_code, out + err)
        self.assertNotIn("Traceback", err)
        landed = self.get("/__emulator/stats")["mutations_applied"] - before
        self.assertIn(
            f"interrupted: {landed * 250:,} rows landed, {self.items - landed * 250:,} not sent", err
        )
        self.assertLess(landed, 8)
        rerun = self.run_push(right)  # before: "0 changed", exit 0, 500 levels wrong
        self.assertEqual(rerun.returncode, 0, rerun.stdout + rerun.stderr)
        self.assertIn(f"{landed * 250:,} changed", rerun.stdout)
        self.assertEqual(self.wrong_levels(10), 0)

    def test_ctrl_c_stops_after_the_batch_in_flight_exit_130_and_the_rerun_restores_the_file(self):
        self.interrupted_then_rerun(signal.SIGINT, 130)

    def test_sigterm_exit_143_and_the_rerun_restores_the_file(self):
        self.interrupted_then_rerun(signal.SIGTERM, 143)

    def test_a_second_ctrl_c_quits_at_once_and_the_rerun_restores_the_file(self):
        right, wrong = self.csv("right.csv", 10), self.csv("wrong.csv", 0)
        self.assertEqual(self.run_push(right).returncode, 0)
        before = self.get("/__emulator/stats")["mutations_applied"]
        process = self.start_push(wrong)
        self.wait_for_mutations(process, before + 2)  # the third batch is on its way
        process.send_signal(signal.SIGINT)
        time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 130, out + err)
        self.assertIn("stopped at once", err)
        rerun = self.run_push(right)
        self.assertEqual(rerun.returncode, 0, rerun.stdout + rerun.stderr)
        self.assertEqual(self.wrong_levels(10), 0)

    def test_sigkill_mid_batch_then_the_rerun_restores_the_file(self):
        right, wrong = self.csv("right.csv", 10), self.csv("wrong.csv", 0)
        self.assertEqual(self.run_push(right).returncode, 0)
        before = self.get("/__emulator/stats")["mutations_applied"]
        process = self.start_push(wrong)
        # Applied on Shopify, its answer still 300 ms away: the batch is in flight.
        self.wait_for_mutations(process, before + 3)
        process.kill()
        process.communicate(timeout=30)
        self.assertEqual(process.returncode, -signal.SIGKILL)
        self.assertGreater(self.wrong_levels(10), 0)
        rerun = self.run_push(right)
        self.assertEqual(rerun.returncode, 0, rerun.stdout + rerun.stderr)
        self.assertIn("left in flight by an earlier run, read from Shopify: 250 levels proved", rerun.stdout)
        self.assertEqual(self.wrong_levels(10), 0)
        again = self.run_push(right)
        self.assertIn("0 changed", again.stdout)


class OverlappingPushesTest(EmulatorProcessCase):
    latency_ms = 1000  # the first push takes ~10 s: longer than a second one waits

    def test_two_pushes_on_one_state_the_second_waits_then_names_the_first(self):
        right, other = self.csv("right.csv", 10), self.csv("other.csv", 4)
        first = self.start_push(right)
        self.wait_for_mutations(first, 1)
        started = time.monotonic()
        second = self.run_push(other)  # before: both ran, each saving its own levels at the end
        self.assertEqual(second.returncode, 1, second.stdout + second.stderr)
        self.assertGreaterEqual(time.monotonic() - started, state_module.LOCK_WAIT_S)
        self.assertIn(f"in use by another nexwave-sync run (process {first.pid})", second.stderr)
        self.assertIsNone(first.poll())  # it stopped waiting while the first still ran
        out, err = first.communicate(timeout=120)
        self.assertEqual(first.returncode, 0, out + err)
        self.assertEqual(self.wrong_levels(10), 0)  # the second sent nothing


class MarkRowsTest(unittest.TestCase):
    """The state's own transactions: a checkpoint saves levels and clears their marks; the
    end of a run keeps only the rows still in doubt."""

    def test_checkpoint_and_finish(self):
        from nexwave_inventory_sync.sync.results import Checkpoint

        with tempfile.TemporaryDirectory() as folder, SyncState(Path(folder) / "s.sqlite3", SHOP) as state:
            marks = [InFlightLevel(ITEM.format(i), LOC, 3, 10, f"I-{i}") for i in (1, 2, 3)]
            state.mark_in_flight(marks)
            state.save_checkpoint(
                Checkpoint(
                    (),
                    1,
                    1,
                    0,
                    1,
                    1,
                    confirmed=(ConfirmedLevel(ITEM.format(1), LOC, 3),),
                    released=((ITEM.format(2), LOC),),
                )
            )
            self.assertEqual([m.inventory_item_id for m in state.marks()], [ITEM.format(3)])
            self.assertEqual([lv.quantity for lv in state.confirmed()], [3])
            state.finish_run(RunResult("r", "2026-10", in_doubt=()))
            self.assertEqual(state.marks(), [])


if __name__ == "__main__":
    unittest.main()
