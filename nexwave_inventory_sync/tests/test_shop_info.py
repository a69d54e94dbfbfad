"""Test Connection and Fetch Locations against the emulator over real HTTP."""

from __future__ import annotations

import unittest

from nexwave_inventory_sync.emulator import Catalog, Emulator, FakeClock
from nexwave_inventory_sync.emulator.shop_profile import ShopProfile
from nexwave_inventory_sync.sync.endpoint import ShopifyEndpoint
from nexwave_inventory_sync.sync.retry import NO_WAIT
from nexwave_inventory_sync.sync.shop_info import (
    REQUIRED_SCOPES,
    ShopInfoError,
    check_connection,
    fetch_locations,
    missing_scopes,
)
from nexwave_inventory_sync.tests.emulated_shop import TOKEN, EmulatedShopTest


class MissingScopesTest(unittest.TestCase):
    def test_all_granted(self):
        self.assertEqual(missing_scopes(REQUIRED_SCOPES), ())

    def test_each_missing_scope_is_named_in_order(self):
        self.assertEqual(
            missing_scopes(["read_inventory", "write_inventory"]), ("read_products", "read_locations")
        )

    def test_a_write_scope_grants_its_read_scope(self):
        self.assertEqual(missing_scopes(["write_inventory", "write_products", "read_locations"]), ())

    def test_a_read_scope_does_not_grant_write(self):
        self.assertEqual(
            missing_scopes(["read_inventory", "read_products", "read_locations"]), ("write_inventory",)
        )


class CheckConnectionTest(EmulatedShopTest):
    items = 5
    locations = 2

    def check(self, api_version="2026-10", token=TOKEN):
        return check_connection(self.endpoint(api_version, token), clock=self.clock, policy=NO_WAIT)

    def test_one_call_reads_shop_plan_scopes_and_version(self):
        report = self.check()
        self.assertEqual(report.shop_name, "Emulated Shop")
        self.assertEqual(report.shop_domain, "emulated-shop.myshopify.com")
        self.assertEqual(report.plan, "Plus")  # EmulatedShopTest runs a Plus bucket
        self.assertTrue(report.shopify_plus)
        self.assertEqual(set(report.granted_scopes), set(REQUIRED_SCOPES))
        self.assertEqual(report.missing_scopes, ())
        self.assertEqual(report.served_version, "2026-10")
        self.assertTrue(report.ok)
        self.assertEqual(report.problems(), [])
        self.assertEqual(self.emulator.stats.calls_by_operation, {"ShopInfo": 1})

    def test_the_legacy_shape_reads_the_plan_too(self):
        report = self.check("2025-01")
        self.assertEqual((report.plan, report.served_version, report.ok), ("Plus", "2025-01", True))

    def test_missing_scopes_are_named(self):
        self.emulator.profile.access_scopes = ("read_inventory", "read_products")
        report = self.check()
        self.assertEqual(report.missing_scopes, ("write_inventory", "read_locations"))
        self.assertFalse(report.ok)
        self.assertEqual(
            report.problems(),
            ["the token lacks the scope write_inventory", "the token lacks the scope read_locations"],
        )

    def test_a_version_shopify_no_longer_serves_is_reported(self):
        self.emulator.profile.oldest_supported_version = "2025-04"
        report = self.check("2025-01")
        self.assertEqual((report.requested_version, report.served_version), ("2025-01", "2025-04"))
        self.assertTrue(report.version_differs)
        self.assertFalse(report.ok)
        self.assertIn("Shopify served API version 2025-04 instead of 2025-01", report.problems()[0])

    def test_a_supported_version_is_served_as_asked(self):
        self.emulator.profile.oldest_supported_version = "2025-04"
        self.assertFalse(self.check("2026-04").version_differs)

    def test_a_wrong_token_says_so(self):
        with self.assertRaises(ShopInfoError) as caught:
            self.check(token="shpat_wrong")
        self.assertEqual(caught.exception.kind, "auth")
        self.assertIn("401", caught.exception.message)
        self.assertNotIn("shpat_wrong", caught.exception.message)


class FetchLocationsTest(EmulatedShopTest):
    items = 3
    locations = 2

    def test_every_location_with_its_flags_inactive_included(self):
        closed = self.catalog.add_location("Old Depot", active=False)
        found = fetch_locations(self.endpoint(), clock=self.clock, policy=NO_WAIT)
        self.assertEqual(
            [(loc.id, loc.name, loc.active, loc.fulfills_online_orders) for loc in found],
            [
                ("gid://shopify/Location/1", "Location 1", True, True),
                ("gid://shopify/Location/2", "Location 2", True, True),
                (closed, "Old Depot", False, True),
            ],
        )
        self.assertEqual(self.emulator.stats.calls_by_operation, {"ShopLocations": 1})

    def test_pages_are_followed(self):
        for n in range(260):
            self.catalog.add_location(f"Extra {n}")
        found = fetch_locations(self.endpoint(), clock=self.clock, policy=NO_WAIT)
        self.assertEqual(len(found), 262)
        self.assertEqual(len({loc.id for loc in found}), 262)
        self.assertEqual(self.emulator.stats.calls_by_operation, {"ShopLocations": 2})


class EmulatorProfileTest(unittest.TestCase):
    def test_the_plan_follows_the_bucket_plan(self):
        self.assertEqual(ShopProfile.for_plan("standard").plan_display_name, "Grow")
        emulator = Emulator(Catalog.generate(1, 1), plan="advanced", clock=FakeClock())
        self.assertEqual(
            (emulator.profile.plan_display_name, emulator.profile.shopify_plus), ("Advanced", False)
        )

    def test_every_answer_names_its_version(self):
        with Emulator(Catalog.generate(1, 1), access_token=TOKEN, clock=FakeClock()) as emulator:
            import requests

            answer = requests.post(
                emulator.graphql_url("2026-01"),
                json={"query": "{ shop { name } }"},
                headers={"X-Shopify-Access-Token": "wrong"},
                timeout=5,
            )
            self.assertEqual((answer.status_code, answer.headers["X-Shopify-API-Version"]), (401, "2026-01"))
            endpoint = ShopifyEndpoint(
                "a.myshopify.com", TOKEN, "2026-01", endpoint_override=emulator.base_url
            )
            self.assertEqual(check_connection(endpoint, policy=NO_WAIT).served_version, "2026-01")


class SupportedVersionsTest(unittest.TestCase):
    def test_newest_first_every_quarter_each_one_accepted(self):
        from nexwave_inventory_sync.sync.versions import (
            DEFAULT_API_VERSION,
            OLDEST_API_VERSION,
            check_api_version,
            supported_api_versions,
        )

        versions = supported_api_versions()
        self.assertEqual((versions[0], versions[-1]), (DEFAULT_API_VERSION, OLDEST_API_VERSION))
        self.assertEqual(list(versions), sorted(versions, reverse=True))
        self.assertIn("2025-07", versions)
        self.assertEqual(len(versions), 8)  # 2025-01 .. 2026-10, one a quarter
        for version in versions:
            self.assertEqual(check_api_version(version), version)


if __name__ == "__main__":
    unittest.main()
