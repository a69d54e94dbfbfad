"""`nexwave-sync push` with a Dev Dashboard app's client ID and secret (issue 16)."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from nexwave_inventory_sync.emulator import Catalog, Emulator, OAuthApp

from .test_cli import run_cli

CLIENT_ID = "cli0f1e2d3c4b5a69788796a5b4c3d2e1"
SECRET = "shpss_cli_secret_never_printed_77aa"


class ClientCredentialsPushTest(unittest.TestCase):
    lifetime = 86399.0
    latency = 0.0

    def setUp(self) -> None:
        self.catalog = Catalog.generate(items=60, locations=1, seed=0)
        self.app = OAuthApp(CLIENT_ID, SECRET, client_credentials_lifetime=self.lifetime)
        self.emulator = Emulator(
            self.catalog, access_token="shpat_unused", oauth=self.app, latency=self.latency
        )
        self.emulator.start()
        self.addCleanup(self.emulator.stop)
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)

    def push(self, rows: int, env: dict, *extra: str):
        path = self.folder / "stock.csv"
        lines = [f"SKU-{i:06d},1,{i}" for i in range(1, rows + 1)]
        path.write_text("sku,location_id,quantity\n" + "\n".join(lines) + "\n")
        return run_cli(
            "push",
            "--shop",
            "cli-shop.myshopify.com",
            "--stock",
            str(path),
            "--endpoint",
            self.emulator.base_url,
            "--state",
            str(self.folder / "state.sqlite3"),
            *extra,
            env={"SHOPIFY_ACCESS_TOKEN": "", **env},
        )

    def issued_tokens(self) -> list[str]:
        return list(self.emulator.oauth._tokens)

    def test_push_with_client_id_and_secret(self):
        code, out, err = self.push(40, {"SHOPIFY_CLIENT_ID": CLIENT_ID, "SHOPIFY_CLIENT_SECRET": SECRET})
        self.assertEqual(code, 0, out + err)
        self.assertEqual(
            self.catalog.available("gid://shopify/InventoryItem/17", "gid://shopify/Location/1"), 17
        )
        self.assertEqual(self.emulator.oauth.grants["client_credentials"], 1)
        for secret in (SECRET, *self.issued_tokens()):
            self.assertNotIn(secret, out + err)

    def test_a_wrong_secret_says_so_and_prints_no_secret(self):
        wrong = "shpss_wrong_cli_secret_1234567890"
        code, out, err = self.push(5, {"SHOPIFY_CLIENT_ID": CLIENT_ID, "SHOPIFY_CLIENT_SECRET": wrong})
        self.assertEqual(code, 1)
        self.assertIn("Shopify refused the client ID or secret", err)
        self.assertNotIn(wrong, out + err)

    def test_neither_token_nor_client_credentials_names_both_ways(self):
        code, _, err = self.push(5, {"SHOPIFY_CLIENT_ID": CLIENT_ID})
        self.assertEqual(code, 1)
        self.assertIn("SHOPIFY_CLIENT_SECRET", err)
        self.assertIn("SHOPIFY_ACCESS_TOKEN", err)


class LongPushRenewsTest(ClientCredentialsPushTest):
    """Tokens of a quarter second and 0.3 s a call: the push outlives its first token (real time,
    so only a lower bound on renewals is asserted)."""

    lifetime = 0.25
    latency = 0.3

    def test_push_with_client_id_and_secret(self):
        code, out, err = self.push(
            40, {"SHOPIFY_CLIENT_ID": CLIENT_ID, "SHOPIFY_CLIENT_SECRET": SECRET}, "--concurrency", "1"
        )
        self.assertEqual(code, 0, out + err)
        self.assertGreaterEqual(self.emulator.oauth.grants["client_credentials"], 2)
        for secret in (SECRET, *self.issued_tokens()):
            self.assertNotIn(secret, out + err)

    test_a_wrong_secret_says_so_and_prints_no_secret = None
    test_neither_token_nor_client_credentials_names_both_ways = None


if __name__ == "__main__":
    unittest.main()
