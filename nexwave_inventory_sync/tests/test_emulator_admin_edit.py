"""emulator/admin_edit.py: a level changed "in Shopify admin" on a running emulator, by SKU
and location name, through the shop's GraphQL API, as docs/frappe.md tells an admin to.
(unittest, not pytest: the bench's run-tests imports these modules too.)"""

import contextlib
import io
import unittest

from nexwave_inventory_sync.emulator import Catalog, Emulator
from nexwave_inventory_sync.emulator.admin_edit import AdminEditError, main, set_available

TOKEN = "shpat_admin_edit"


class AdminEditTest(unittest.TestCase):
    def setUp(self):
        self.catalog = Catalog.generate(3, 2)
        self.emulator = Emulator(self.catalog, access_token=TOKEN).start()
        self.addCleanup(self.emulator.stop)

    def variant(self, sku: str) -> dict:
        return next(v for v in self.catalog.variants if v["sku"] == sku)

    def test_sets_available_by_sku_and_location_name(self):
        item, other = self.variant("SKU-000002"), self.variant("SKU-000001")
        location = "gid://shopify/Location/2"
        before = self.catalog.available(item["inventory_item_id"], location)
        untouched = [
            self.catalog.available(other["inventory_item_id"], location),
            self.catalog.available(item["inventory_item_id"], "gid://shopify/Location/1"),
        ]
        edit = set_available(self.emulator.base_url, TOKEN, "SKU-000002", "Location 2", before + 7)
        self.assertEqual((edit.before, edit.after, edit.location), (before, before + 7, "Location 2"))
        self.assertEqual(self.catalog.available(item["inventory_item_id"], location), before + 7)
        # The other item and the other location are untouched.
        self.assertEqual(
            [
                self.catalog.available(other["inventory_item_id"], location),
                self.catalog.available(item["inventory_item_id"], "gid://shopify/Location/1"),
            ],
            untouched,
        )

    def test_the_command_prints_the_change_and_fails_in_words(self):
        url = self.emulator.base_url
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            self.assertEqual(main(["--url", url, "--token", TOKEN, "SKU-000001", "1", "0"]), 0)
            self.assertEqual(main(["--url", url, "--token", TOKEN, "SKU-999999", "1", "4"]), 1)
            self.assertEqual(main(["--url", url, "--token", "wrong", "SKU-000001", "1", "4"]), 1)
        self.assertTrue(out.getvalue().startswith("SKU-000001 at Location 1: available "))
        self.assertTrue(out.getvalue().rstrip().endswith("-> 0"))
        self.assertIn("no variant with SKU 'SKU-999999'", err.getvalue())
        self.assertIn("did not answer", err.getvalue())  # a 401 for the wrong token, said as such

    def test_an_unknown_location_names_the_shops_locations(self):
        with self.assertRaisesRegex(AdminEditError, "no location 'Depot' on the shop .*'Location 1'"):
            set_available(self.emulator.base_url, TOKEN, "SKU-000001", "Depot", 3)


if __name__ == "__main__":
    unittest.main()
