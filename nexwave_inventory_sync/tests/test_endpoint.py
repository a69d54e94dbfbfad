import unittest

from nexwave_inventory_sync.sync.endpoint import (
    EndpointError,
    ShopifyEndpoint,
    check_endpoint_override,
    normalize_shop_domain,
)
from nexwave_inventory_sync.sync.ids import IdError, to_gid
from nexwave_inventory_sync.sync.versions import (
    DEFAULT_API_VERSION,
    UnsupportedApiVersion,
    check_api_version,
    uses_idempotency,
)


class ShopDomainTest(unittest.TestCase):
    def test_accepts_and_normalizes_myshopify_hosts(self):
        for given in (
            "my-shop.myshopify.com",
            "My-Shop.MyShopify.com",
            "https://my-shop.myshopify.com/",
            " my-shop.myshopify.com ",
        ):
            with self.subTest(given=given):
                self.assertEqual(normalize_shop_domain(given), "my-shop.myshopify.com")

    def test_refuses_anything_else(self):
        for given in (
            "",
            "my-shop",
            "my-shop.com",
            "evil.com/.myshopify.com",
            "my-shop.myshopify.com.evil.com",
            "http://my-shop.myshopify.com",
            "https://my-shop.myshopify.com/admin",
            "https://user@my-shop.myshopify.com",
            "-shop.myshopify.com",
        ):
            with self.subTest(given=given), self.assertRaises(EndpointError):
                normalize_shop_domain(given)

    def test_graphql_url(self):
        endpoint = ShopifyEndpoint("my-shop.myshopify.com", "shpat_x", "2026-07")
        self.assertEqual(endpoint.graphql_url, "https://my-shop.myshopify.com/admin/api/2026-07/graphql.json")

    def test_override_only_plain_http_on_loopback(self):
        for url in (
            "http://127.0.0.1:8123",
            "http://localhost:9000/",
            "http://[::1]:80",
            "https://proxy.example.com",
        ):
            with self.subTest(url=url):
                check_endpoint_override(url)
        for url in ("http://10.0.0.5:8080", "http://example.com", "ftp://127.0.0.1", "127.0.0.1:80"):
            with self.subTest(url=url), self.assertRaises(EndpointError):
                check_endpoint_override(url)
        endpoint = ShopifyEndpoint("a.myshopify.com", "t", endpoint_override="http://127.0.0.1:5000/")
        self.assertEqual(
            endpoint.graphql_url, f"http://127.0.0.1:5000/admin/api/{DEFAULT_API_VERSION}/graphql.json"
        )

    def test_token_is_required_and_never_in_repr(self):
        with self.assertRaises(EndpointError):
            ShopifyEndpoint("a.myshopify.com", " ")
        endpoint = ShopifyEndpoint("a.myshopify.com", "shpat_secret_value")
        self.assertNotIn("shpat_secret_value", repr(endpoint))


class ApiVersionTest(unittest.TestCase):
    def test_versions(self):
        self.assertEqual(DEFAULT_API_VERSION, "2026-10")
        self.assertTrue(uses_idempotency("2026-04"))
        self.assertTrue(uses_idempotency("2026-10"))
        self.assertFalse(uses_idempotency("2026-01"))
        self.assertFalse(uses_idempotency("2025-01"))
        for bad in ("2024-10", "2026-05", "latest", "", None):
            with self.subTest(bad=bad), self.assertRaises(UnsupportedApiVersion):
                check_api_version(bad)


class GidTest(unittest.TestCase):
    def test_to_gid(self):
        self.assertEqual(to_gid("Location", "42"), "gid://shopify/Location/42")
        self.assertEqual(to_gid("Location", 42), "gid://shopify/Location/42")
        self.assertEqual(to_gid("Location", "gid://shopify/Location/42"), "gid://shopify/Location/42")
        for bad in ("gid://shopify/InventoryItem/42", "abc", "", "-1"):
            with self.subTest(bad=bad), self.assertRaises(IdError):
                to_gid("Location", bad)
