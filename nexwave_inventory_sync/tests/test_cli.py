"""The command line: push a CSV to the emulator (exit codes 0, 2, 1) and the demo."""

import contextlib
import io
import os
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from nexwave_inventory_sync.cli import main
from nexwave_inventory_sync.cli.stock_csv import StockFileError, iter_stock_csv, read_stock_csv
from nexwave_inventory_sync.emulator import Fault

from .emulated_shop import TOKEN, EmulatedShopTest


def run_cli(*argv, env=None):
    """Run the command in-process. Without --state the CLI keeps its SQLite state under
    XDG_STATE_HOME: each call gets a fresh one, so no test reads another's (or the user's)."""
    out, err = io.StringIO(), io.StringIO()
    env = dict(env or {})
    state_home = None
    if "XDG_STATE_HOME" not in env:
        state_home = tempfile.TemporaryDirectory()
        env["XDG_STATE_HOME"] = state_home.name
    with (
        contextlib.ExitStack() as cleanup,
        mock.patch.dict(os.environ, env, clear=False),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        if state_home is not None:
            cleanup.callback(state_home.cleanup)
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


class StockCsvTest(unittest.TestCase):
    def write(self, text):
        handle = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False)
        handle.write(text)
        handle.close()
        self.addCleanup(os.unlink, handle.name)
        return handle.name

    def test_reads_rows_and_bare_location_numbers(self):
        rows = read_stock_csv(
            self.write("sku,location_id,quantity\nA,1,5\nB,gid://shopify/Location/2,3.5\n\n")
        )
        self.assertEqual(
            [(r.sku, r.location_id, r.quantity) for r in rows],
            [("A", "gid://shopify/Location/1", "5"), ("B", "gid://shopify/Location/2", "3.5")],
        )

    def test_refuses_a_bad_file_with_the_line(self):
        for text, words in (
            ("sku,qty\nA,1\n", "missing column"),
            ("sku,location_id,quantity\nA,xyz,1\n", ":2:"),
            ("sku,location_id,quantity\n,1,1\n", "empty sku"),
        ):
            with self.subTest(words=words), self.assertRaises(StockFileError) as caught:
                read_stock_csv(self.write(text))
            self.assertIn(words, str(caught.exception))


class StockCsvHardeningTest(unittest.TestCase):
    """Issue 11 item 12: encodings, duplicated columns, line numbers, streaming."""

    def write_bytes(self, data: bytes) -> str:
        handle = tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False)
        handle.write(data)
        handle.close()
        self.addCleanup(os.unlink, handle.name)
        return handle.name

    def test_a_cp1252_file_is_refused_with_its_line_and_a_hint_then_read_with_encoding(self):
        path = self.write_bytes("sku,location_id,quantity\nA,1,5\nCAF\u00c9-1,1,2\n".encode("cp1252"))
        with self.assertRaises(StockFileError) as caught:
            read_stock_csv(path)
        self.assertIn(":3:", str(caught.exception))
        self.assertIn("--encoding cp1252", str(caught.exception))
        rows = read_stock_csv(path, encoding="cp1252")
        self.assertEqual([r.sku for r in rows], ["A", "CAF\u00c9-1"])

    def test_utf8_with_excels_bom_is_read(self):
        path = self.write_bytes("\ufeffsku,location_id,quantity\nB\u00c9,1,5\n".encode())
        self.assertEqual([r.sku for r in read_stock_csv(path)], ["B\u00c9"])

    def test_a_duplicated_column_is_refused(self):
        path = self.write_bytes(b"sku,location_id,quantity,quantity\nA,1,5,6\n")
        with self.assertRaises(StockFileError) as caught:
            read_stock_csv(path)
        self.assertIn("quantity", str(caught.exception))
        self.assertIn("more than once", str(caught.exception))

    def test_line_numbers_count_physical_lines(self):
        path = self.write_bytes(b'sku,location_id,quantity\n"A\nB",1,5\nC,nowhere,1\n')
        with self.assertRaises(StockFileError) as caught:
            read_stock_csv(path)
        self.assertIn(":4:", str(caught.exception))

    def test_rows_stream_one_at_a_time(self):
        path = self.write_bytes(b"sku,location_id,quantity\nA,1,5\nB,1,6\nC,nowhere,1\n")
        rows = iter_stock_csv(path)
        self.assertEqual(next(rows).sku, "A")  # read before the bad third row is reached
        self.assertEqual(next(rows).sku, "B")
        with self.assertRaises(StockFileError):
            next(rows)


class PushCommandTest(EmulatedShopTest):
    items = 40

    def setUp(self):
        super().setUp()
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.state = str(Path(folder.name) / "state.sqlite3")

    def csv(self, lines):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        path = Path(folder.name) / "stock.csv"
        path.write_text("sku,location_id,quantity\n" + "\n".join(lines) + "\n")
        return str(path)

    def push(self, path, *extra, token=TOKEN, command="push"):
        return run_cli(
            command,
            "--shop",
            "cli-shop.myshopify.com",
            "--stock",
            path,
            "--endpoint",
            self.emulator.base_url,
            "--state",
            self.state,
            *extra,
            env={"SHOPIFY_ACCESS_TOKEN": token},
        )

    def test_every_row_lands_exit_0(self):
        code, out, _ = self.push(self.csv([f"SKU-{i:06d},1,{i}" for i in range(1, 41)]))
        self.assertEqual(code, 0, out)
        self.assertEqual(
            self.catalog.available("gid://shopify/InventoryItem/17", "gid://shopify/Location/1"), 17
        )
        self.assertIn("pushed", out)

    def test_failed_rows_are_listed_exit_2(self):
        code, out, _ = self.push(self.csv(["SKU-000001,1,5", "SKU-000002,1,5000000000", "NOPE,1,1"]))
        self.assertEqual(code, 2)
        self.assertIn("SKU-000002", out)
        self.assertIn("INVALID_QUANTITY_TOO_HIGH", out)
        self.assertIn("NOPE", out)
        self.assertIn("SKU_NOT_FOUND", out)

    def test_aborted_run_exit_1(self):
        code, _, err = self.push(self.csv(["SKU-000001,1,5"]), token="shpat_wrong")
        self.assertEqual(code, 1)
        self.assertIn("authentication failed", err)
        self.assertNotIn("shpat_wrong", err)

    def test_bad_input_exit_1(self):
        self.assertEqual(self.push("/nonexistent/stock.csv")[0], 1)
        code, _, err = run_cli(
            "push", "--shop", "not-a-shop.com", "--stock", self.csv([]), env={"SHOPIFY_ACCESS_TOKEN": TOKEN}
        )
        self.assertEqual(code, 1)
        self.assertIn("myshopify.com", err)
        code, _, err = run_cli(
            "push", "--shop", "a.myshopify.com", "--stock", self.csv([]), env={"SHOPIFY_ACCESS_TOKEN": ""}
        )
        self.assertEqual(code, 1)
        self.assertIn("SHOPIFY_ACCESS_TOKEN", err)

    def test_non_loopback_plain_http_endpoint_is_refused(self):
        code, _, err = run_cli(
            "push",
            "--shop",
            "a.myshopify.com",
            "--stock",
            self.csv([]),
            "--endpoint",
            "http://192.0.2.1:80",
            env={"SHOPIFY_ACCESS_TOKEN": TOKEN},
        )
        self.assertEqual(code, 1)
        self.assertIn("loopback", err)

    def test_negative_safety_buffer_is_refused_before_any_call(self):
        # Item 5: --safety-buffer -5 pushed 5 units more than ERPNext had.
        path = self.csv(["SKU-000001,1,5"])
        code, _, err = run_cli(
            "push",
            "--shop",
            "cli-shop.myshopify.com",
            "--stock",
            path,
            "--endpoint",
            self.emulator.base_url,
            "--safety-buffer",
            "-5",
            env={"SHOPIFY_ACCESS_TOKEN": TOKEN},
        )
        self.assertEqual(code, 1)
        self.assertIn("safety buffer", err)
        self.assertEqual(self.emulator.stats.calls, 0)

    def test_rows_not_on_shopify_alone_exit_2(self):
        # Item 7: a run whose only trouble was an unknown SKU was a Success.
        code, out, _ = self.push(self.csv(["SKU-000001,1,5", "NOPE,1,1"]))
        self.assertEqual(code, 2, out)
        self.assertIn("Partial", out)

    def test_a_bad_line_late_in_the_file_stops_the_push_before_any_call(self):
        code, _, err = self.push(self.csv(["SKU-000001,1,5", "SKU-000002,1,5", "SKU-000003,nowhere,1"]))
        self.assertEqual(code, 1)
        self.assertIn(":4:", err)
        self.assertEqual(self.emulator.stats.calls, 0)

    def test_deadline_stops_a_push_that_would_wait_past_it_exit_2(self):
        # A 30 s Retry-After against a 5 s deadline: the push stops at once, rows listed.
        self.emulator.faults.script(Fault.status(429, retry_after="30"), operation="SetInventoryQuantities")
        path = self.csv([f"SKU-{i:06d},1,{i}" for i in range(1, 41)])
        code, out, err = run_cli(
            "push", "--shop", "cli-shop.myshopify.com", "--stock", path, "--endpoint",
            self.emulator.base_url, "--deadline", "5", env={"SHOPIFY_ACCESS_TOKEN": TOKEN},
        )  # fmt: skip
        self.assertEqual(code, 2, out + err)
        self.assertIn("NOT_CONFIRMED", out)
        self.assertIn("deadline", err)

    def test_throttled_push_still_lands(self):
        self.emulator.faults.script(Fault.throttled(), operation="SetInventoryQuantities")
        code, out, _ = self.push(self.csv(["SKU-000001,1,5"]))
        self.assertEqual(code, 0, out)


class ImportPathTest(unittest.TestCase):
    def test_delta_push_is_importable_where_it_lived_before_the_split(self):
        # ../shared/repro/19_overlapping_runs.py imports it from the package.
        from nexwave_inventory_sync.cli import delta_push
        from nexwave_inventory_sync.cli.push import delta_push as moved

        self.assertIs(delta_push, moved)


class DemoCommandTest(unittest.TestCase):
    def test_demo_ends_with_shopify_equal_to_erpnext(self):
        code, out, _ = run_cli("demo", "--items", "600", "--locations", "2")
        self.assertEqual(code, 0, out)
        self.assertIn("Shopify now equals ERPNext: all 1,200 levels match", out)
        warm_mutations = [line for line in out.splitlines() if "of which mutations" in line][0].split()[-1]
        self.assertEqual(warm_mutations, "5")


ITEM = "gid://shopify/InventoryItem/{}"
LOC = "gid://shopify/Location/1"


class DeltaAndReconcileCommandTest(PushCommandTest):
    def stock(self, changes=None, drop=()):
        quantities = {i: 10 for i in range(1, 41)}
        quantities.update(changes or {})
        return self.csv([f"SKU-{i:06d},1,{q}" for i, q in quantities.items() if i not in drop])

    def calls(self):
        return dict(self.emulator.stats.calls_by_operation)

    def test_second_run_pushes_nothing_and_a_change_costs_one_call_without_lookups(self):
        self.assertEqual(self.push(self.stock())[0], 0)
        before = self.calls()
        code, out, _ = self.push(self.stock())
        self.assertEqual(code, 0, out)
        self.assertIn("0 changed, 40 unchanged", out)
        self.assertEqual(self.calls(), before)  # no lookup, no mutation
        code, out, _ = self.push(self.stock({5: 3}))
        self.assertIn("1 changed", out)
        after = self.calls()
        self.assertEqual(after.get("SetInventoryQuantities", 0) - before.get("SetInventoryQuantities", 0), 1)
        self.assertEqual(
            {k: v for k, v in after.items() if k != "SetInventoryQuantities"},
            {k: v for k, v in before.items() if k != "SetInventoryQuantities"},
        )
        self.assertEqual(self.catalog.available(ITEM.format(5), LOC), 3)
        # The change went with compare-and-set against the confirmed 10.
        sent = self.emulator.stats.requests[-1]["variables"]["input"]["quantities"][0]
        self.assertEqual(sent["changeFromQuantity"], 10)

    def test_a_full_dry_run_looks_up_an_untracked_sku_again_as_the_full_push_does(self):
        # The push's --full looks a SKU Shopify answered "untracked" up again (D7); the dry run
        # used the cached answer and showed the row skipped.
        self.catalog.set_tracked(ITEM.format(7), False)
        self.assertEqual(self.push(self.stock())[0], 0)
        code, out, _ = self.push(self.stock(), "--dry-run", "--full")
        self.assertEqual(code, 0, out)
        row7 = next(line for line in out.splitlines() if line.startswith("SKU-000007"))
        self.assertEqual(row7.split()[2:4], ["look", "up"])

    def test_dry_run_shows_what_would_be_sent_and_sends_nothing(self):
        """Issue 18 §6: rows, figures and the conflict Shopify's moved figure means; no mutation,
        the state untouched (the real push after it still sends the change)."""
        self.push(self.stock())
        self.catalog.set_available(ITEM.format(5), LOC, 8)  # sold 2 on Shopify
        before = self.calls()
        code, out, _ = self.push(self.stock({5: 3, 6: 4}), "--dry-run")
        self.assertEqual(code, 0, out)
        self.assertIn("2 rows would be sent (0 zeroed), 38 unchanged, 1 conflicts expected", out)
        row5 = next(line for line in out.splitlines() if line.startswith("SKU-000005"))
        self.assertEqual(row5.split()[2:6], ["change", "3", "10", "8"])
        self.assertIn("Shopify shows 8, not the confirmed 10", row5)
        after = self.calls()
        self.assertNotIn(
            "SetInventoryQuantities",
            {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)},
        )
        self.assertEqual(self.catalog.available(ITEM.format(6), LOC), 10)
        code, out, _ = self.push(self.stock({6: 4}))
        self.assertIn("1 changed", out)
        self.assertEqual(self.catalog.available(ITEM.format(6), LOC), 4)

    def test_full_pushes_every_row(self):
        self.push(self.stock())
        code, out, _ = self.push(self.stock(), "--full")
        self.assertEqual(code, 0)
        self.assertIn("40 changed", out)

    def test_rows_that_left_the_file_are_zeroed_unless_told_not_to(self):
        self.push(self.stock())
        code, out, _ = self.push(self.stock(drop=(7,)), "--no-zero")
        self.assertIn("0 zeroed", out)
        self.assertEqual(self.catalog.available(ITEM.format(7), LOC), 10)
        code, out, _ = self.push(self.stock(drop=(7,)))
        self.assertEqual(code, 0, out)
        self.assertIn("1 zeroed", out)
        self.assertEqual(self.catalog.available(ITEM.format(7), LOC), 0)

    def test_conflicts_settled_exit_0_held_exit_2(self):
        self.push(self.stock())
        self.catalog.sell(ITEM.format(3), LOC, 2)  # Shopify sold 2 that ERPNext has not seen
        code, out, _ = self.push(self.stock({3: 12}), "--conflict", "hold")
        self.assertEqual(code, 2, out)
        self.assertIn("held", out)
        self.assertEqual(self.catalog.available(ITEM.format(3), LOC), 8)
        code, out, _ = self.push(self.stock({3: 12}), "--conflict", "keep-shopify-sales")
        self.assertEqual(code, 0, out)
        self.assertIn("12 / 10 / 8 -> 10", out)  # ERPNext 12 / confirmed 10 / Shopify 8 -> sent
        self.assertEqual(self.catalog.available(ITEM.format(3), LOC), 10)

    def test_reconcile_reports_corrects_and_exits_by_what_remains(self):
        self.push(self.stock())
        self.catalog.adjust_available(ITEM.format(2), LOC, +4)  # an admin edit up
        report = str(Path(self.state).with_name("drift.csv"))
        code, out, _ = self.push(self.stock(), "--report", report, command="reconcile")
        self.assertEqual(code, 2, out)  # drift found, not corrected
        self.assertIn("drifted (> 0 units)   1", out)
        self.assertIn("SKU-000002", Path(report).read_text())
        code, out, _ = self.push(self.stock(), "--correct", command="reconcile")
        self.assertEqual(code, 0, out)
        self.assertEqual(self.catalog.available(ITEM.format(2), LOC), 10)
        code, out, _ = self.push(self.stock(), command="reconcile")
        self.assertEqual(code, 0, out)

    def test_reconcile_tolerance_and_a_shortfall_waits(self):
        self.push(self.stock())
        self.catalog.sell(ITEM.format(4), LOC, 1)
        code, out, _ = self.push(self.stock(), "--tolerance", "1", command="reconcile")
        self.assertEqual(code, 0, out)
        # Seen (inside the tolerance) at the previous reconciliation: not a new sale, corrected.
        code, out, _ = self.push(self.stock(), "--correct", command="reconcile")
        self.assertEqual(code, 0, out)
        self.assertEqual(self.catalog.available(ITEM.format(4), LOC), 10)
        self.catalog.sell(ITEM.format(4), LOC, 1)
        code, out, _ = self.push(self.stock(), "--correct", command="reconcile")
        self.assertEqual(code, 2, out)  # a shortfall first seen waits for the next reconciliation
        code, out, _ = self.push(self.stock(), "--correct", command="reconcile")
        self.assertEqual(code, 0, out)
        self.assertEqual(self.catalog.available(ITEM.format(4), LOC), 10)

    def test_a_shortfall_first_seen_by_reconcile_is_not_overwritten_by_the_next_push(self):
        # Shopify sold 3 that ERPNext has not imported: ERPNext still says 10. The reconciliation
        # must not confirm Shopify's 7, or the next delta run pushes 10 over the sale.
        for correct in ((), ("--correct",)):
            with self.subTest(correct=correct):
                item = 6 if not correct else 7
                self.push(self.stock())
                self.catalog.sell(ITEM.format(item), LOC, 3)
                code, out, _ = self.push(self.stock(), *correct, command="reconcile")
                self.assertEqual(code, 2, out)  # the shortfall waits
                code, out, _ = self.push(self.stock())
                self.assertEqual(code, 0, out)
                self.assertEqual(self.catalog.available(ITEM.format(item), LOC), 7, out)

    def test_a_shortfall_inside_the_tolerance_is_not_overwritten_by_the_next_push(self):
        # D5: Shopify sold 1 that ERPNext has not imported (9 vs 10); tolerance 1 makes it no
        # drift, but confirming 9 let the next delta push send 10 over the sale.
        self.push(self.stock())
        self.catalog.sell(ITEM.format(4), LOC, 1)
        code, out, _ = self.push(self.stock(), "--tolerance", "1", "--correct", command="reconcile")
        self.assertEqual(code, 0, out)
        code, out, _ = self.push(self.stock())
        self.assertEqual(code, 0, out)
        self.assertIn("0 changed", out)
        self.assertEqual(self.catalog.available(ITEM.format(4), LOC), 9)

    def test_untracked_items_are_not_drift_and_are_reported_apart(self):
        # D8: the push skips an item Shopify does not track; reconcile counted it as drift it
        # could never correct and exited 2 on every run.
        self.catalog.set_tracked(ITEM.format(5), False)
        self.push(self.stock())
        for _ in range(2):
            code, out, _ = self.push(self.stock(), "--correct", command="reconcile")
            self.assertEqual(code, 0, out)
            self.assertIn("rows compared          39", out)
            self.assertIn("drifted (> 0 units)   0", out)
            self.assertIn("untracked on Shopify   1 (not compared)", out)

    def test_a_failed_bulk_download_falls_back_to_pages(self):
        # D15: the storage host refused the download: a traceback, no fallback.
        self.push(self.stock())
        # The emulator's clock is virtual and the CLI's real: an operation done at once.
        self.emulator.bulk.base_delay = self.emulator.bulk.per_object_delay = 0
        self.emulator.bulk.fail_download("refused")
        code, out, err = self.push(self.stock(), "--read", "bulk", command="reconcile")
        self.assertEqual(code, 0, out + err)
        self.assertIn("read                   pages", out)
        self.assertEqual(self.emulator.bulk.started(), 1)

    def test_reconcile_aborts_exit_1(self):
        code, _, err = self.push(self.stock(), token="shpat_wrong", command="reconcile")
        self.assertEqual(code, 1)
        self.assertNotIn("shpat_wrong", err)
