"""One call through the client: validated locally before any request leaves, then paced,
retried and counted."""

from graphql import GraphQLError

from nexwave_inventory_sync.sync import documents
from nexwave_inventory_sync.sync.client import ShopifyClient

from .emulated_shop import EmulatedShopTest


class ClientTest(EmulatedShopTest):
    items = 10

    def test_a_document_off_the_schema_never_reaches_shopify(self):
        with ShopifyClient(self.endpoint(), clock=self.clock) as client:
            with self.assertRaises(GraphQLError):
                client.execute("query Bad { shop { id notAField } }", {}, operation="Bad")
            # the 2026 mutation shape on a 2025 endpoint is refused locally too
        with ShopifyClient(self.endpoint("2025-01"), clock=self.clock) as old:
            with self.assertRaises(GraphQLError):
                old.execute(documents.SET_QUANTITIES_IDEMPOTENT, {}, operation="SetInventoryQuantities")
        self.assertEqual(self.emulator.stats.calls, 0)

    def test_counts_calls_and_cost_per_operation(self):
        with ShopifyClient(self.endpoint(), clock=self.clock) as client:
            data = client.execute(
                documents.VARIANT_INVENTORY_ITEMS,
                {"ids": ["gid://shopify/ProductVariant/1"]},
                operation="VariantInventoryItems",
            )
            client.execute(documents.LOCATIONS_PAGE, {"first": 5}, operation="LocationsPage")
        self.assertEqual(data["nodes"][0]["inventoryItem"]["id"], "gid://shopify/InventoryItem/1")
        self.assertEqual(
            dict(client.stats.calls_by_operation), {"VariantInventoryItems": 1, "LocationsPage": 1}
        )
        self.assertEqual(client.stats.api_calls, 2)
        self.assertGreater(client.stats.cost_actual, 0)
        self.assertEqual(
            client.expected_cost("VariantInventoryItems"),
            client.stats.cost_requested - client.expected_cost("LocationsPage"),
        )
