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
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, env or {}, clear=False),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
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

    def csv(self, lines):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        path = Path(folder.name) / "stock.csv"
        path.write_text("sku,location_id,quantity\n" + "\n".join(lines) + "\n")
        return str(path)

    def push(self, path, token=TOKEN):
        return run_cli(
            "push",
            "--shop",
            "cli-shop.myshopify.com",
            "--stock",
            path,
            "--endpoint",
            self.emulator.base_url,
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

    def test_throttled_push_still_lands(self):
        self.emulator.faults.script(Fault.throttled(), operation="SetInventoryQuantities")
        code, out, _ = self.push(self.csv(["SKU-000001,1,5"]))
        self.assertEqual(code, 0, out)


class DemoCommandTest(unittest.TestCase):
    def test_demo_ends_with_shopify_equal_to_erpnext(self):
        code, out, _ = run_cli("demo", "--items", "600", "--locations", "2")
        self.assertEqual(code, 0, out)
        self.assertIn("Shopify now equals ERPNext: all 1,200 levels match", out)
        warm_mutations = [line for line in out.splitlines() if "of which mutations" in line][0].split()[-1]
        self.assertEqual(warm_mutations, "5")
