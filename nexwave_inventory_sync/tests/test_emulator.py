"""The Shopify emulator over real HTTP on 127.0.0.1: routes, auth, validation per API version,
inventorySetQuantities rules and userErrors, idempotency, reads, cost and the leaky bucket,
faults and counters. The engine's own tests lean on all of this, so it is pinned here."""

import json
import os
import tempfile
import unittest

import requests

from nexwave_inventory_sync.emulator import PLANS, Catalog, Emulator, FakeClock, Fault
from nexwave_inventory_sync.emulator.catalog import CatalogError
from nexwave_inventory_sync.emulator.search import Term, parse_search
from nexwave_inventory_sync.sync import documents

TOKEN = "shpat_emulator_test_0123456789"
NEW = "2026-10"
OLD = "2025-01"
ITEM = "gid://shopify/InventoryItem/{}".format
LOCATION = "gid://shopify/Location/{}".format
VARIANT = "gid://shopify/ProductVariant/{}".format


def row(item, quantity, location=1, **extra):
    return {"inventoryItemId": ITEM(item), "locationId": LOCATION(location), "quantity": quantity, **extra}


def new_input(rows, **extra):
    """2026-04+ input: changeFromQuantity present (null) on every row unless given."""
    return {
        "reason": "correction",
        "name": "available",
        "referenceDocumentUri": "gid://nexwave-inventory-sync/SyncRun/test",
        "quantities": [{"changeFromQuantity": None, **r} for r in rows],
        **extra,
    }


def old_input(rows, ignore=True, **extra):
    return {
        "reason": "correction",
        "name": "available",
        "quantities": rows,
        "ignoreCompareQuantity": ignore,
        **extra,
    }


class EmulatorTestCase(unittest.TestCase):
    items = 30
    locations = 2
    plan = "plus"
    partial_apply = False
    latency = 0.0

    def setUp(self):
        self.catalog = Catalog.generate(items=self.items, locations=self.locations)
        self.clock = FakeClock()
        self.emulator = Emulator(
            self.catalog,
            access_token=TOKEN,
            plan=self.plan,
            clock=self.clock,
            partial_apply=self.partial_apply,
            latency=self.latency,
        )
        self.emulator.start()
        self.addCleanup(self.emulator.stop)
        self.session = requests.Session()
        self.session.headers["X-Shopify-Access-Token"] = TOKEN
        self.addCleanup(self.session.close)

    def post(self, query, variables=None, *, version=NEW, operation=None, timeout=5.0, session=None):
        body = {"query": query, "variables": variables or {}}
        if operation:
            body["operationName"] = operation
        return (session or self.session).post(self.emulator.graphql_url(version), json=body, timeout=timeout)

    def graphql(self, query, variables=None, **kw):
        response = self.post(query, variables, **kw)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        return response.json()

    def set_quantities(self, mutation_input, key="key-1", version=NEW):
        variables = {"input": mutation_input}
        if version >= "2026-04":
            variables["idempotencyKey"] = key
        return self.graphql(documents.set_quantities_document(version), variables, version=version)

    def payload(self, answer):
        self.assertNotIn("errors", answer)
        return answer["data"]["inventorySetQuantities"]

    def available(self, item, location=1):
        return self.catalog.available(ITEM(item), LOCATION(location))


class RoutingAndAuthTest(EmulatorTestCase):
    def test_wrong_or_missing_token_is_401_with_shopifys_body(self):
        for headers in ({"X-Shopify-Access-Token": "shpat_wrong"}, {}):
            with self.subTest(headers=headers):
                response = requests.post(
                    self.emulator.graphql_url(), json={"query": "{ shop { id } }"}, headers=headers, timeout=5
                )
                self.assertEqual(response.status_code, 401)
                self.assertEqual(
                    response.json(),
                    {
                        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
                    },
                )

    def test_unknown_version_and_path_are_404(self):
        for url in (
            f"{self.emulator.base_url}/admin/api/2019-05/graphql.json",
            f"{self.emulator.base_url}/admin/api/unstable/graphql.json",
            f"{self.emulator.base_url}/admin/api/2026-10/nothing.json",
            f"{self.emulator.base_url}/graphql",
        ):
            with self.subTest(url=url):
                response = self.session.post(url, json={"query": "{ shop { id } }"}, timeout=5)
                self.assertEqual(response.status_code, 404)
                self.assertEqual(response.json(), {"errors": "Not Found"})

    def test_body_that_is_not_json_is_400(self):
        response = self.session.post(self.emulator.graphql_url(), data=b"{not json", timeout=5)
        self.assertEqual(response.status_code, 400)
        self.assertIn("errors", response.json())
        response = self.session.post(self.emulator.graphql_url(), json={"variables": {}}, timeout=5)
        self.assertEqual(response.status_code, 400)

    def test_shop_answers_with_its_domain(self):
        answer = self.graphql("{ shop { id name myshopifyDomain } }")
        self.assertEqual(answer["data"]["shop"]["myshopifyDomain"], "emulated-shop.myshopify.com")

    def test_a_session_keeps_its_connection_and_stop_is_clean(self):
        url = self.emulator.graphql_url()
        for _ in range(3):
            self.graphql("{ shop { id } }")
        self.emulator.stop()  # with the session's idle keep-alive connection still open
        with self.assertRaises(requests.ConnectionError):
            self.session.post(url, json={"query": "{ shop { id } }"}, timeout=2)

    def test_only_loopback(self):
        with self.assertRaises(ValueError):
            Emulator(self.catalog, host="0.0.0.0")


class ValidationTest(EmulatorTestCase):
    def test_unknown_field_is_a_validation_error(self):
        answer = self.graphql("query Q { productVariants(first: 1) { nodes { id colour } } }")
        self.assertNotIn("data", answer)
        error = answer["errors"][0]
        self.assertIn("colour", error["message"])
        self.assertEqual(error["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED")
        self.assertEqual(error["locations"], [{"line": 1, "column": 50}])
        self.assertIn("cost", answer["extensions"])

    def test_syntax_error(self):
        answer = self.graphql("query {")
        self.assertIn("Syntax Error", answer["errors"][0]["message"])

    def test_variables_of_the_wrong_type_are_refused(self):
        answer = self.graphql(documents.VARIANTS_PAGE, {"first": "many"})
        self.assertNotIn("data", answer)
        self.assertIn("first", answer["errors"][0]["message"])

    def test_every_engine_document_is_accepted_on_its_version(self):
        for version in (OLD, "2026-01", "2026-04", NEW):
            for name, text in documents.all_documents(version).items():
                with self.subTest(version=version, document=name):
                    variables = {
                        "ids": [],
                        "first": 1,
                        "id": "gid://shopify/BulkOperation/999",
                        "locationId": "gid://shopify/Location/1",
                        "names": ["available"],
                        "inventoryItemId": "gid://shopify/InventoryItem/1",
                        "idempotencyKey": "k",
                        "updates": [],
                        "topic": "INVENTORY_LEVELS_UPDATE",
                        "uri": "https://erp.example.com/hook",
                    }
                    if name == "BulkLevelsQuery":
                        continue  # the text bulkOperationRunQuery runs, sent as BulkRunQuery's variable
                    if name == "BulkRunQuery":
                        variables["query"] = documents.BULK_LEVELS_QUERY
                    if name == "ActivateInventory" and version < "2026-04":
                        del variables["idempotencyKey"]
                    if name == "SetInventoryQuantities":
                        shape = new_input([]) if version >= "2026-04" else old_input([])
                        variables = (
                            {"input": shape, "idempotencyKey": "k"}
                            if version >= "2026-04"
                            else {"input": shape}
                        )
                    response = self.post(text, variables, version=version)
                    self.assertEqual(response.status_code, 200)
                    self.assertNotIn("errors", response.json(), (version, name))


class VersionShapeTest(EmulatorTestCase):
    def test_2026_mutation_without_idempotent_is_refused_and_applies_nothing(self):
        answer = self.graphql(documents.SET_QUANTITIES_LEGACY, {"input": new_input([row(1, 5)])})
        self.assertIsNone(answer["data"]["inventorySetQuantities"])
        self.assertIn("@idempotent", answer["errors"][0]["message"])
        self.assertEqual(answer["errors"][0]["path"], ["inventorySetQuantities"])
        self.assertEqual(self.available(1), 0)
        self.assertEqual(self.emulator.stats.mutations_applied, 0)

    def test_empty_or_blank_key_is_refused(self):
        for key in ("", "   "):
            with self.subTest(key=key):
                answer = self.set_quantities(new_input([row(1, 5)]), key=key)
                self.assertIn("key", answer["errors"][0]["message"])
                self.assertEqual(self.available(1), 0)

    def test_row_without_change_from_quantity_is_refused(self):
        rows = [{"changeFromQuantity": None, **row(1, 5)}, row(2, 6)]  # the second lacks it
        answer = self.graphql(
            documents.SET_QUANTITIES_IDEMPOTENT,
            {"input": {**new_input([]), "quantities": rows}, "idempotencyKey": "k"},
        )
        self.assertIn('"changeFromQuantity" must be provided', answer["errors"][0]["message"])
        self.assertIn("1", answer["errors"][0]["message"])
        self.assertEqual((self.available(1), self.available(2)), (0, 0))

    def test_change_from_quantity_absent_from_an_inline_literal_is_refused_too(self):
        query = """mutation M { inventorySetQuantities(input: {reason: "correction", name: "available",
            quantities: [{inventoryItemId: "gid://shopify/InventoryItem/1", locationId: "gid://shopify/Location/1", quantity: 4}]})
            @idempotent(key: "inline") { userErrors { code } } }"""
        answer = self.graphql(query)
        self.assertIn("changeFromQuantity", answer["errors"][0]["message"])
        accepted = self.graphql(query.replace("quantity: 4}", "quantity: 4, changeFromQuantity: null}"))
        self.assertEqual(accepted["data"]["inventorySetQuantities"]["userErrors"], [])
        self.assertEqual(self.available(1), 4)

    def test_2025_shape_lands_on_2025_01_and_is_refused_on_2026_10(self):
        legacy = {"input": old_input([row(1, 7, compareQuantity=0)], ignore=False)}
        answer = self.graphql(documents.SET_QUANTITIES_LEGACY, legacy, version=OLD)
        self.assertEqual(self.payload(answer)["userErrors"], [])
        self.assertEqual(self.available(1), 7)
        refused = self.graphql(
            documents.SET_QUANTITIES_IDEMPOTENT, {**legacy, "idempotencyKey": "k"}, version=NEW
        )
        self.assertNotIn("data", refused)
        messages = " ".join(e["message"] for e in refused["errors"])
        self.assertIn("compareQuantity", messages)
        self.assertIn("ignoreCompareQuantity", messages)

    def test_2026_shape_is_refused_on_2025_01(self):
        answer = self.graphql(
            documents.SET_QUANTITIES_IDEMPOTENT,
            {"input": new_input([row(1, 5)]), "idempotencyKey": "k"},
            version=OLD,
        )
        self.assertIn("Unknown directive '@idempotent'", answer["errors"][0]["message"])
        answer = self.graphql(documents.SET_QUANTITIES_LEGACY, {"input": new_input([row(1, 5)])}, version=OLD)
        self.assertIn("changeFromQuantity", answer["errors"][0]["message"])
        self.assertEqual(self.available(1), 0)

    def test_2026_01_speaks_the_legacy_shape(self):
        answer = self.set_quantities(old_input([row(3, 2)]), version="2026-01")
        self.assertEqual(self.payload(answer)["userErrors"], [])
        self.assertEqual(self.available(3), 2)


class UserErrorTest(EmulatorTestCase):
    def assertRejected(self, answer, code, field):
        payload = self.payload(answer)
        self.assertIsNone(payload["inventoryAdjustmentGroup"])
        self.assertEqual([(e["code"], e["field"]) for e in payload["userErrors"]], [(code, field)])
        self.assertTrue(payload["userErrors"][0]["message"])

    def test_each_row_error_code_and_its_field_path(self):
        self.catalog.unstock(ITEM(3), LOCATION(1))
        self.catalog.set_available(ITEM(4), LOCATION(1), 9)
        cases = [
            (row(999, 1), "INVALID_INVENTORY_ITEM", "inventoryItemId"),
            (row(1, 1, location=99), "INVALID_LOCATION", "locationId"),
            (row(3, 1), "ITEM_NOT_STOCKED_AT_LOCATION", "locationId"),
            (row(1, -1), "INVALID_QUANTITY_NEGATIVE", "quantity"),
            (row(1, 1_000_000_001), "INVALID_QUANTITY_TOO_HIGH", "quantity"),
            (row(4, 1, changeFromQuantity=8), "CHANGE_FROM_QUANTITY_STALE", "changeFromQuantity"),
        ]
        for bad, code, field in cases:
            with self.subTest(code=code):
                # The bad row sits at index 1, after a good row: the path names index "1".
                answer = self.set_quantities(new_input([row(2, 5), bad]), key=f"k-{code}")
                self.assertRejected(answer, code, ["input", "quantities", "1", field])
                self.assertEqual(self.available(2), 0)  # the good row was not applied either
        self.assertEqual(self.available(4), 9)

    def test_quantity_at_the_limits_is_accepted(self):
        answer = self.set_quantities(new_input([row(1, 0), row(2, 1_000_000_000)]))
        self.assertEqual(self.payload(answer)["userErrors"], [])
        self.assertEqual(self.available(2), 1_000_000_000)

    def test_duplicate_pair_is_refused_at_its_second_row(self):
        answer = self.set_quantities(new_input([row(1, 5), row(2, 5), row(1, 6)]))
        self.assertRejected(
            answer, "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", ["input", "quantities", "2", "locationId"]
        )

    def test_input_level_errors(self):
        cases = [
            ({"name": "on_hand_plus"}, "INVALID_NAME", ["input", "name"]),
            ({"reason": "because"}, "INVALID_REASON", ["input", "reason"]),
            (
                {"referenceDocumentUri": "not a uri"},
                "INVALID_REFERENCE_DOCUMENT",
                ["input", "referenceDocumentUri"],
            ),
        ]
        for extra, code, field in cases:
            with self.subTest(code=code):
                self.assertRejected(
                    self.set_quantities(new_input([row(1, 5)], **extra), key=code), code, field
                )
        self.assertEqual(self.available(1), 0)

    def test_every_documented_reason_and_both_names_are_accepted(self):
        reasons = ["correction", "cycle_count_available", "damaged", "movement_created", "movement_updated",
                   "movement_received", "movement_canceled", "other", "promotion", "quality_control", "received",
                   "reservation_created", "reservation_deleted", "reservation_updated", "restock", "safety_stock", "shrinkage"]  # fmt: skip
        for n, reason in enumerate(reasons):
            answer = self.set_quantities(new_input([row(1, n + 1)], reason=reason), key=f"reason-{n}")
            self.assertEqual(self.payload(answer)["userErrors"], [], reason)
        answer = self.set_quantities(new_input([row(1, 50)], name="on_hand"), key="on-hand")
        self.assertEqual(self.payload(answer)["userErrors"], [])
        self.assertEqual(self.available(1), 50)

    def test_all_row_errors_are_listed_and_nothing_applies(self):
        answer = self.set_quantities(new_input([row(999, 1), row(1, 4), row(2, -3)]))
        payload = self.payload(answer)
        self.assertEqual([e["field"][2] for e in payload["userErrors"]], ["0", "2"])
        self.assertIsNone(payload["inventoryAdjustmentGroup"])
        self.assertEqual(self.available(1), 0)
        self.assertEqual((self.emulator.stats.mutations_applied, self.emulator.stats.quantities_set), (0, 0))

    def test_legacy_compare_quantity_rules(self):
        self.catalog.set_available(ITEM(1), LOCATION(1), 3)
        required = self.set_quantities(old_input([row(1, 5)], ignore=False), version=OLD)
        self.assertRejected(
            required, "COMPARE_QUANTITY_REQUIRED", ["input", "quantities", "0", "compareQuantity"]
        )
        stale = self.set_quantities(old_input([row(1, 5, compareQuantity=2)], ignore=False), version=OLD)
        self.assertRejected(stale, "COMPARE_QUANTITY_STALE", ["input", "quantities", "0", "compareQuantity"])
        matching = self.set_quantities(old_input([row(1, 5, compareQuantity=3)], ignore=False), version=OLD)
        self.assertEqual(self.payload(matching)["userErrors"], [])
        ignored = self.set_quantities(old_input([row(1, 6, compareQuantity=99)], ignore=True), version=OLD)
        self.assertEqual(self.payload(ignored)["userErrors"], [])
        self.assertEqual(self.available(1), 6)

    def test_change_from_quantity_that_matches_applies(self):
        self.catalog.set_available(ITEM(1), LOCATION(1), 8)
        answer = self.set_quantities(new_input([row(1, 5, changeFromQuantity=8)]))
        group = self.payload(answer)["inventoryAdjustmentGroup"]
        self.assertTrue(group["id"].startswith("gid://shopify/InventoryAdjustmentGroup/"))
        self.assertEqual(self.available(1), 5)

    def test_untracked_items_are_accepted(self):
        catalog = Catalog.generate(items=4, untracked_every=2)
        self.assertFalse(next(v for v in catalog.variants if v["sku"] == "SKU-000002")["tracked"])
        self.catalog.add_variant("UNTRACKED", tracked=False)
        answer = self.set_quantities(new_input([row(self.items + 1, 3)]))
        self.assertEqual(self.payload(answer)["userErrors"], [])


class BatchSizeTest(EmulatorTestCase):
    items = 260
    locations = 1

    def test_251_rows_are_refused_250_are_not(self):
        rows = [row(i, 1) for i in range(1, 252)]
        answer = self.set_quantities(new_input(rows), key="too-many")
        self.assertIsNone(answer["data"]["inventorySetQuantities"])
        self.assertIn("251", answer["errors"][0]["message"])
        self.assertEqual(answer["errors"][0]["extensions"]["code"], "MAX_INPUT_SIZE_EXCEEDED")
        self.assertEqual(self.available(1), 0)
        answer = self.set_quantities(new_input(rows[:250]), key="just-right")
        self.assertEqual(self.payload(answer)["userErrors"], [])
        self.assertEqual(self.emulator.stats.quantities_set, 250)


class PartialApplyTest(EmulatorTestCase):
    partial_apply = True

    def test_good_rows_land_and_bad_ones_are_named(self):
        self.catalog.unstock(ITEM(2), LOCATION(1))
        answer = self.set_quantities(new_input([row(1, 5), row(2, 5), row(3, 7)]))
        payload = self.payload(answer)
        self.assertEqual(
            [(e["code"], e["field"]) for e in payload["userErrors"]],
            [("ITEM_NOT_STOCKED_AT_LOCATION", ["input", "quantities", "1", "locationId"])],
        )
        self.assertIsNotNone(payload["inventoryAdjustmentGroup"])
        self.assertEqual((self.available(1), self.available(2), self.available(3)), (5, None, 7))
        self.assertEqual((self.emulator.stats.mutations_applied, self.emulator.stats.quantities_set), (1, 2))

    def test_input_errors_still_reject_everything(self):
        answer = self.set_quantities(new_input([row(1, 5)], reason="nope"))
        self.assertEqual(self.payload(answer)["userErrors"][0]["code"], "INVALID_REASON")
        self.assertEqual(self.available(1), 0)


class AdjustmentGroupTest(EmulatorTestCase):
    QUERY = """mutation SetInventoryQuantities($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
      inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
        inventoryAdjustmentGroup { id createdAt reason referenceDocumentUri
          changes { name delta quantityAfterChange item { id } location { id } } }
        userErrors { field message code }
      }
    }"""

    def test_group_lists_the_changes(self):
        self.catalog.set_available(ITEM(2), LOCATION(2), 10)
        rows = [row(1, 4), row(2, 3, location=2), row(3, 0)]  # item 3 is already 0: no change
        answer = self.graphql(self.QUERY, {"input": new_input(rows), "idempotencyKey": "g"})
        group = self.payload(answer)["inventoryAdjustmentGroup"]
        self.assertEqual(group["reason"], "correction")
        self.assertEqual(group["referenceDocumentUri"], "gid://nexwave-inventory-sync/SyncRun/test")
        self.assertRegex(group["createdAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(
            group["changes"],
            [
                {
                    "name": "available",
                    "delta": 4,
                    "quantityAfterChange": 4,
                    "item": {"id": ITEM(1)},
                    "location": {"id": LOCATION(1)},
                },
                {
                    "name": "available",
                    "delta": -7,
                    "quantityAfterChange": 3,
                    "item": {"id": ITEM(2)},
                    "location": {"id": LOCATION(2)},
                },
            ],
        )

    def test_nothing_to_change_gives_no_group_and_no_errors(self):
        answer = self.set_quantities(new_input([row(1, 0), row(2, 0)]))
        self.assertEqual(self.payload(answer), {"inventoryAdjustmentGroup": None, "userErrors": []})


class IdempotencyTest(EmulatorTestCase):
    def test_same_key_and_input_is_applied_once(self):
        first = self.set_quantities(new_input([row(1, 5)]), key="batch-1")
        self.catalog.set_available(ITEM(1), LOCATION(1), 2)  # someone changes it meanwhile
        replay = self.set_quantities(new_input([row(1, 5)]), key="batch-1")
        self.assertEqual(self.payload(replay), self.payload(first))
        self.assertEqual(self.available(1), 2)  # the replay did not write again
        stats = self.emulator.stats
        self.assertEqual((stats.mutations_applied, stats.idempotent_replays, stats.quantities_set), (1, 1, 1))

    def test_same_key_with_other_input_is_refused(self):
        self.set_quantities(new_input([row(1, 5)]), key="batch-1")
        answer = self.set_quantities(new_input([row(1, 6)]), key="batch-1")
        payload = self.payload(answer)
        self.assertEqual(payload["userErrors"][0]["code"], "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")
        self.assertIsNone(payload["inventoryAdjustmentGroup"])
        self.assertEqual(self.available(1), 5)

    def test_a_rejected_batch_is_remembered_under_its_key(self):
        bad = new_input([row(999, 1)])
        first = self.set_quantities(bad, key="bad")
        again = self.set_quantities(bad, key="bad")
        self.assertEqual(self.payload(again), self.payload(first))
        self.assertEqual(self.emulator.stats.idempotent_replays, 1)


class ReadTest(EmulatorTestCase):
    def test_nodes_answers_null_for_deleted_and_unknown(self):
        self.catalog.remove_variant(VARIANT(3))
        ids = [VARIANT(1), VARIANT(3), VARIANT(999), ITEM(2), LOCATION(2)]
        answer = self.graphql(documents.VARIANT_INVENTORY_ITEMS, {"ids": ids})
        nodes = answer["data"]["nodes"]
        self.assertEqual(
            nodes[0],
            {
                "id": VARIANT(1),
                "sku": "SKU-000001",
                "requiresComponents": False,
                "inventoryItem": {"id": ITEM(1), "tracked": True},
            },
        )
        self.assertEqual(nodes[1:], [None, None, {}, {}])  # other types match no fragment
        self.assertEqual(self.catalog.variant_count, self.items - 1)
        self.assertIsNone(self.catalog.available(ITEM(3), LOCATION(1)))

    def test_nodes_takes_at_most_250_ids(self):
        answer = self.graphql(documents.VARIANT_INVENTORY_ITEMS, {"ids": [VARIANT(1)] * 251})
        self.assertIn("251", answer["errors"][0]["message"])

    def test_malformed_id_is_an_error(self):
        answer = self.graphql(documents.VARIANT_INVENTORY_ITEMS, {"ids": ["12"]})
        self.assertIn("Invalid global id", answer["errors"][0]["message"])

    def test_variant_pages_walk_the_catalog_once(self):
        seen, after, pages = [], None, 0
        while True:
            answer = self.graphql(documents.VARIANTS_PAGE, {"first": 7, "after": after})
            page = answer["data"]["productVariants"]
            seen += [n["sku"] for n in page["nodes"]]
            pages += 1
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        self.assertEqual(seen, [f"SKU-{i:06d}" for i in range(1, self.items + 1)])
        self.assertEqual(pages, 5)

    def test_page_size_limits(self):
        self.assertIn("250", self.graphql(documents.VARIANTS_PAGE, {"first": 251})["errors"][0]["message"])
        self.assertIn("first", self.graphql("{ productVariants { nodes { id } } }")["errors"][0]["message"])
        bad_cursor = self.graphql(documents.VARIANTS_PAGE, {"first": 5, "after": "bm9wZQ=="})
        self.assertIn("cursor", bad_cursor["errors"][0]["message"])

    def test_sku_search_with_or_and_quotes(self):
        self.catalog.add_variant('ODD "QUOTED" SKU')
        self.catalog.add_variant("BACK\\SLASH")
        query = 'sku:SKU-000004 OR sku:"SKU-000002" OR sku:"ODD \\"QUOTED\\" SKU" OR sku:"BACK\\\\SLASH" OR sku:NOPE'
        answer = self.graphql(documents.VARIANTS_PAGE, {"first": 250, "query": query})
        skus = [n["sku"] for n in answer["data"]["productVariants"]["nodes"]]
        self.assertEqual(skus, ["SKU-000002", "SKU-000004", 'ODD "QUOTED" SKU', "BACK\\SLASH"])

    def test_search_syntax(self):
        self.assertEqual(
            parse_search('sku:A OR sku:"B \\"2\\""'), [[Term("sku", "A")], [Term("sku", 'B "2"')]]
        )
        self.assertEqual(parse_search("sku:A sku:B"), [[Term("sku", "A"), Term("sku", "B")]])
        answer = self.graphql(documents.VARIANTS_PAGE, {"first": 5, "query": "title:shirt"})
        self.assertIn("title", answer["errors"][0]["message"])

    def test_shared_sku_returns_every_variant(self):
        self.catalog.add_variant("SKU-000005")
        answer = self.graphql(documents.VARIANTS_PAGE, {"first": 5, "query": 'sku:"SKU-000005"'})
        self.assertEqual(len(answer["data"]["productVariants"]["nodes"]), 2)

    def test_count_and_first_page(self):
        answer = self.graphql(documents.VARIANTS_COUNT_AND_FIRST_PAGE, {"first": 10})
        self.assertEqual(answer["data"]["productVariantsCount"], {"count": self.items, "precision": "EXACT"})
        self.assertEqual(len(answer["data"]["productVariants"]["nodes"]), 10)
        answer = self.graphql(
            '{ productVariantsCount(query: "sku:SKU-000001 OR sku:SKU-000002") { count precision } }'
        )
        self.assertEqual(answer["data"]["productVariantsCount"]["count"], 2)

    def test_locations_page(self):
        self.catalog.add_location("Closed store", active=False)
        answer = self.graphql(documents.LOCATIONS_PAGE, {"first": 250})
        nodes = answer["data"]["locations"]["nodes"]
        self.assertEqual(
            nodes,
            [
                {"id": LOCATION(1), "name": "Location 1", "isActive": True},
                {"id": LOCATION(2), "name": "Location 2", "isActive": True},
            ],
        )
        answer = self.graphql("{ locations(first: 5, includeInactive: true) { nodes { id isActive } } }")
        self.assertEqual(len(answer["data"]["locations"]["nodes"]), 3)

    def test_inventory_item_levels_and_quantities(self):
        self.catalog.set_available(ITEM(6), LOCATION(2), 12)
        self.catalog.unstock(ITEM(6), LOCATION(1))
        query = """query Item($id: ID!, $loc: ID!) { inventoryItem(id: $id) { id sku tracked variant { id product { title } }
            inventoryLevel(locationId: $loc) { quantities(names: ["available", "on_hand"]) { name quantity } location { id } }
            inventoryLevels(first: 5) { nodes { location { id } } } } }"""
        item = self.graphql(query, {"id": ITEM(6), "loc": LOCATION(2)})["data"]["inventoryItem"]
        self.assertEqual(item["variant"], {"id": VARIANT(6), "product": {"title": "Product 6"}})
        self.assertEqual(
            item["inventoryLevel"]["quantities"],
            [{"name": "available", "quantity": 12}, {"name": "on_hand", "quantity": 12}],
        )
        self.assertEqual(item["inventoryLevels"]["nodes"], [{"location": {"id": LOCATION(2)}}])
        unstocked = self.graphql(query, {"id": ITEM(6), "loc": LOCATION(1)})["data"]["inventoryItem"]
        self.assertIsNone(unstocked["inventoryLevel"])
        self.assertIsNone(self.graphql(query, {"id": ITEM(999), "loc": LOCATION(1)})["data"]["inventoryItem"])


class CountCapTest(EmulatorTestCase):
    items = 10_001
    locations = 1

    def test_count_caps_at_10000_at_least(self):
        answer = self.graphql("{ productVariantsCount { count precision } }")
        self.assertEqual(answer["data"]["productVariantsCount"], {"count": 10_000, "precision": "AT_LEAST"})


class CostAndBucketTest(EmulatorTestCase):
    items = 300
    locations = 1
    plan = "standard"

    def cost(self, answer):
        return answer["extensions"]["cost"]

    def test_requested_and_actual_cost_of_the_engine_documents(self):
        page = self.cost(self.graphql(documents.VARIANTS_PAGE, {"first": 250}))
        self.assertEqual((page["requestedQueryCost"], page["actualQueryCost"]), (502, 502))
        last = self.cost(
            self.graphql(documents.VARIANTS_PAGE, {"first": 250, "query": "sku:SKU-000001 OR sku:SKU-000002"})
        )
        self.assertEqual((last["requestedQueryCost"], last["actualQueryCost"]), (502, 6))
        nodes = self.cost(
            self.graphql(documents.VARIANT_INVENTORY_ITEMS, {"ids": [VARIANT(i) for i in range(1, 251)]})
        )
        self.assertEqual((nodes["requestedQueryCost"], nodes["actualQueryCost"]), (500, 500))
        counted = self.cost(self.graphql(documents.VARIANTS_COUNT_AND_FIRST_PAGE, {"first": 250}))
        self.assertEqual(counted["requestedQueryCost"], 503)
        mutation = self.cost(self.set_quantities(new_input([row(1, 1)])))
        self.assertEqual((mutation["requestedQueryCost"], mutation["actualQueryCost"]), (10, 10))
        self.assertEqual(mutation["throttleStatus"]["maximumAvailable"], 2000.0)
        self.assertEqual(mutation["throttleStatus"]["restoreRate"], 100.0)

    def test_bucket_drains_by_actual_cost_and_refills_on_the_clock(self):
        first = self.cost(self.graphql(documents.VARIANTS_PAGE, {"first": 250}))["throttleStatus"][
            "currentlyAvailable"
        ]
        self.assertEqual(first, 2000 - 502)
        second = self.cost(self.graphql(documents.VARIANTS_PAGE, {"first": 250, "query": "sku:SKU-000001"}))
        self.assertEqual(second["throttleStatus"]["currentlyAvailable"], 2000 - 502 - 4)
        self.clock.advance(2.5)
        third = self.cost(self.graphql("{ shop { id } }"))
        self.assertEqual(third["throttleStatus"]["currentlyAvailable"], 2000 - 502 - 4 + 250 - 1)
        self.clock.advance(60)
        self.assertEqual(self.emulator.throttle_status()["currentlyAvailable"], 2000)

    def test_throttled_when_the_bucket_lacks_the_points(self):
        self.emulator.drain_bucket()
        self.clock.advance(5.0)  # 500 points back: not enough for 502
        answer = self.graphql(documents.VARIANTS_PAGE, {"first": 250})
        self.assertEqual(
            answer["errors"],
            [
                {
                    "message": "Throttled",
                    "extensions": {
                        "code": "THROTTLED",
                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                    },
                }
            ],
        )
        self.assertNotIn("data", answer)
        cost = self.cost(answer)
        self.assertEqual((cost["requestedQueryCost"], cost["actualQueryCost"]), (502, None))
        self.assertEqual(cost["throttleStatus"]["currentlyAvailable"], 500)
        self.assertEqual(self.emulator.stats.throttled, 1)
        self.clock.advance(0.02)  # exactly what a client computing (502 - 500) / 100 would wait
        self.assertNotIn("errors", self.graphql(documents.VARIANTS_PAGE, {"first": 250}))

    def test_a_throttled_mutation_applies_nothing(self):
        self.emulator.drain_bucket()
        answer = self.set_quantities(new_input([row(1, 5)]))
        self.assertEqual(answer["errors"][0]["extensions"]["code"], "THROTTLED")
        self.assertEqual(self.available(1), 0)

    def test_query_over_1000_points_is_refused(self):
        query = "{ productVariants(first: 250) { nodes { id inventoryItem { inventoryLevels(first: 10) { nodes { id } } } } } }"
        answer = self.graphql(query)
        self.assertEqual(answer["errors"][0]["extensions"]["code"], "MAX_COST_EXCEEDED")
        self.assertGreater(self.cost(answer)["requestedQueryCost"], 1000)
        self.assertEqual(self.emulator.throttle_status()["currentlyAvailable"], 2000)

    def test_plans(self):
        self.assertEqual((PLANS["standard"].maximum_available, PLANS["standard"].restore_rate), (2000, 100))
        self.assertEqual((PLANS["plus"].maximum_available, PLANS["plus"].restore_rate), (20000, 1000))


class LatencyTest(EmulatorTestCase):
    latency = 0.003

    def test_latency_does_not_move_virtual_time(self):
        before = self.clock.now()
        self.graphql("{ shop { id } }")
        self.assertEqual(self.clock.now(), before)


class FaultTest(EmulatorTestCase):
    MUTATION = "SetInventoryQuantities"

    def mutate(self, key="k", quantity=5, timeout=5.0):
        return self.post(
            documents.SET_QUANTITIES_IDEMPOTENT,
            {"input": new_input([row(1, quantity)]), "idempotencyKey": key},
            operation=self.MUTATION,
            timeout=timeout,
        )

    def test_status_faults_with_shopify_bodies_and_retry_after(self):
        self.emulator.faults.script(
            Fault.status(429, retry_after="1.5"),
            Fault.status(500),
            Fault.status(423),
            operation=self.MUTATION,
        )
        limited = self.mutate()
        self.assertEqual((limited.status_code, limited.headers["Retry-After"]), (429, "1.5"))
        self.assertIn("Exceeded", limited.json()["errors"])
        self.assertEqual(self.mutate().status_code, 500)
        locked = self.mutate()
        self.assertEqual((locked.status_code, locked.json()), (423, {"errors": "Locked"}))
        self.assertNotIn("Retry-After", locked.headers)
        self.assertEqual(self.available(1), 0)
        self.assertEqual(self.mutate().status_code, 200)  # the script is used up
        self.assertEqual(self.available(1), 5)
        self.assertEqual(self.emulator.stats.faults_injected, 3)

    def test_custom_body(self):
        self.emulator.faults.script(Fault.status(422, body='{"errors":"Unprocessable: bad input"}'))
        self.assertEqual(self.mutate().json(), {"errors": "Unprocessable: bad input"})

    def test_html_page_and_invalid_json(self):
        self.emulator.faults.script(Fault.html(502), Fault.invalid_json(200))
        page = self.mutate()
        self.assertEqual(page.status_code, 502)
        self.assertTrue(page.headers["Content-Type"].startswith("text/html"))
        self.assertIn("<html", page.text)
        broken = self.mutate()
        self.assertEqual(broken.status_code, 200)
        with self.assertRaises(ValueError):
            json.loads(broken.text)
        self.assertEqual(self.available(1), 0)

    def test_drop_closes_without_answer_and_applies_nothing(self):
        self.emulator.faults.script(Fault.drop())
        with self.assertRaises(requests.ConnectionError):
            self.mutate()
        self.assertEqual(self.available(1), 0)
        self.assertEqual(self.mutate().status_code, 200)  # the session recovers on a new connection

    def test_drop_after_apply_loses_the_answer_but_applies(self):
        self.emulator.faults.script(Fault.drop_after_apply(), operation=self.MUTATION)
        with self.assertRaises(requests.ConnectionError):
            self.mutate(key="lost")
        self.assertEqual(self.available(1), 5)
        retry = self.mutate(key="lost")  # the client's retry with the same key
        self.assertEqual(retry.json()["data"]["inventorySetQuantities"]["userErrors"], [])
        stats = self.emulator.stats
        self.assertEqual((stats.mutations_applied, stats.idempotent_replays), (1, 1))
        self.assertEqual([r["status"] for r in stats.requests], [None, 200])

    def test_delay_beyond_the_read_timeout(self):
        self.emulator.faults.script(Fault.delay(0.25))
        with self.assertRaises(requests.Timeout):
            self.mutate(timeout=(2.0, 0.05))

    def test_short_delay_answers_normally(self):
        self.emulator.faults.script(Fault.delay(0.005))
        self.assertEqual(self.mutate().status_code, 200)
        self.assertEqual(self.available(1), 5)

    def test_forced_throttled_answer(self):
        self.emulator.faults.script(Fault.throttled())
        answer = self.mutate().json()
        self.assertEqual(answer["errors"][0]["extensions"]["code"], "THROTTLED")
        self.assertEqual(answer["extensions"]["cost"]["requestedQueryCost"], 10)
        self.assertEqual(self.emulator.stats.throttled, 1)
        self.assertEqual(self.available(1), 0)

    def test_script_matches_operation_and_none_lets_one_through(self):
        self.emulator.faults.script(None, Fault.status(500), operation=self.MUTATION)
        self.assertEqual(self.post("query Other { shop { id } }").status_code, 200)  # not the operation
        self.assertEqual(self.mutate(key="a").status_code, 200)  # None: passes
        self.assertEqual(self.mutate(key="b").status_code, 500)
        self.emulator.faults.script(Fault.status(503))
        self.emulator.faults.clear()
        self.assertEqual(self.mutate(key="c").status_code, 200)

    def test_random_faults_are_reproducible(self):
        def statuses():
            self.emulator.faults.random(rate=0.5, seed=7, kinds=("500", "429"))
            return [self.post("query Q { shop { id } }").status_code for _ in range(20)]

        first = statuses()
        self.assertEqual(first, statuses())
        self.assertTrue({500, 429} & set(first) and 200 in first, first)
        with self.assertRaises(ValueError):
            self.emulator.faults.random(kinds=("meteor",))


class StatsTest(EmulatorTestCase):
    def test_counters_and_request_log(self):
        self.graphql(documents.VARIANTS_PAGE, {"first": 5}, operation="VariantsPage")
        self.graphql(documents.LOCATIONS_PAGE, {"first": 5})
        self.set_quantities(new_input([row(1, 5), row(2, 6)]), key="batch")
        self.set_quantities(new_input([row(1, 5), row(2, 6)]), key="batch")
        requests.post(self.emulator.graphql_url(), json={"query": "{ shop { id } }"}, timeout=5)  # no token
        stats = self.emulator.stats
        self.assertEqual(stats.calls, 5)
        self.assertEqual(stats.calls_by_operation["VariantsPage"], 1)
        self.assertEqual(stats.calls_by_operation["LocationsPage"], 1)
        self.assertEqual(stats.calls_by_operation["SetInventoryQuantities"], 2)
        self.assertEqual((stats.mutations_applied, stats.idempotent_replays, stats.quantities_set), (1, 1, 2))
        self.assertEqual(stats.cost_requested, 2 + 5 * 2 + 2 + 5 + 10 + 10)
        self.assertEqual(stats.cost_actual, 12 + 2 + 2 + 10 + 10)
        mutation = stats.requests[2]
        self.assertEqual(
            (mutation["operation"], mutation["api_version"], mutation["idempotency_key"], mutation["status"]),
            ("SetInventoryQuantities", NEW, "batch", 200),
        )
        self.assertEqual(len(mutation["variables"]["input"]["quantities"]), 2)
        self.assertEqual(stats.requests[-1]["status"], 401)
        self.assertNotIn(TOKEN, json.dumps(stats.requests) + repr(stats) + repr(self.emulator))
        stats.reset()
        self.assertEqual((stats.calls, stats.requests, dict(stats.calls_by_operation)), (0, [], {}))

    def test_requests_can_go_unrecorded(self):
        quiet = Emulator(self.catalog, access_token=TOKEN, keep_requests=False)
        with quiet:
            self.session.post(quiet.graphql_url(), json={"query": "{ shop { id } }"}, timeout=5)
        self.assertEqual((quiet.stats.calls, quiet.stats.requests), (1, []))


class RestTest(EmulatorTestCase):
    def test_old_connector_endpoints(self):
        base = f"{self.emulator.base_url}/admin/api/{NEW}"
        variant = self.session.get(f"{base}/variants/4.json", timeout=5)
        self.assertEqual(variant.json(), {"variant": {"id": 4, "sku": "SKU-000004", "inventory_item_id": 4}})
        self.assertIn("X-Shopify-Shop-Api-Call-Limit", variant.headers)
        level = self.session.post(
            f"{base}/inventory_levels/set.json",
            json={"inventory_item_id": 4, "location_id": 2, "available": 9},
            timeout=5,
        )
        self.assertEqual(level.status_code, 200)
        self.assertEqual(self.available(4, 2), 9)
        self.assertEqual(self.session.get(f"{base}/variants/999.json", timeout=5).status_code, 404)
        self.assertEqual(self.emulator.stats.rest_calls, 3)

    def test_locations_and_shop_as_shopifyapi_reads_them(self):
        base = f"{self.emulator.base_url}/admin/api/{NEW}"
        self.catalog.add_location("Back room", active=False)
        locations = self.session.get(f"{base}/locations.json", timeout=5).json()["locations"]
        self.assertEqual(
            [(loc["id"], loc["name"], loc["active"]) for loc in locations],
            [(1, "Location 1", True), (2, "Location 2", True), (3, "Back room", False)],
        )
        shop = self.session.get(f"{base}/shop.json", timeout=5).json()["shop"]
        self.assertEqual(shop["myshopify_domain"], self.emulator.shop_domain)
        self.assertEqual(self.session.get(f"{base}/orders.json", timeout=5).status_code, 404)

    def test_a_retired_version_falls_forward_to_the_oldest_supported(self):
        # ecommerce_integrations pins 2024-01; Shopify answers it with the oldest supported version.
        answer = self.session.get(f"{self.emulator.base_url}/admin/api/2024-01/variants/4.json", timeout=5)
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(answer.headers["X-Shopify-API-Version"], OLD)
        future = self.session.get(f"{self.emulator.base_url}/admin/api/2999-01/variants/4.json", timeout=5)
        self.assertEqual(future.status_code, 404)

    def test_rest_bucket_leaks_with_virtual_latency(self):
        # Standard: 40 requests deep, 2 leaked a second. With 0.25 s of virtual time per call,
        # each call leaks half a request, so the bucket fills at half speed: ~80 calls pass
        # before the first 429 (40 without the leak).
        self.emulator.rest.size, self.emulator.rest.leak = 40, 2.0
        self.emulator.virtual_latency = 0.25
        url = f"{self.emulator.base_url}/admin/api/{NEW}/variants/4.json"
        statuses = [self.session.get(url, timeout=5).status_code for _ in range(100)]
        self.assertIn(429, statuses)
        self.assertGreaterEqual(statuses.index(429), 75)
        self.assertEqual(self.clock.now(), 25.0)


class CatalogTest(unittest.TestCase):
    def test_generated_shape(self):
        catalog = Catalog.generate(
            items=12, locations=3, untracked_every=4, unstocked_every=5, initial_quantity=2
        )
        variants = list(catalog.variants)
        self.assertEqual(catalog.variant_count, 12)
        self.assertEqual(catalog.location_ids, [LOCATION(1), LOCATION(2), LOCATION(3)])
        self.assertEqual(
            variants[0],
            {
                "id": VARIANT(1),
                "sku": "SKU-000001",
                "inventory_item_id": ITEM(1),
                "tracked": True,
                "requires_components": False,
                "product_id": "gid://shopify/Product/1",
                "product_title": "Product 1",
                "levels": {LOCATION(1): 2, LOCATION(2): 2, LOCATION(3): 2},
            },
        )
        self.assertEqual(
            [v["sku"] for v in variants if not v["tracked"]], ["SKU-000004", "SKU-000008", "SKU-000012"]
        )
        self.assertEqual([v["sku"] for v in variants if not v["levels"]], ["SKU-000005", "SKU-000010"])
        self.assertIsNone(catalog.available(ITEM(5), LOCATION(2)))
        self.assertEqual(catalog.available(ITEM(6), LOCATION(3)), 2)

    def test_random_quantities_follow_the_seed(self):
        one = [v["levels"] for v in Catalog.generate(items=20, seed=3, initial_quantity=None).variants]
        two = [v["levels"] for v in Catalog.generate(items=20, seed=3, initial_quantity=None).variants]
        self.assertEqual(one, two)

    def test_file_round_trip(self):
        catalog = Catalog.generate(items=5, locations=2, untracked_every=2)
        catalog.set_available(ITEM(3), LOCATION(2), 17)
        catalog.unstock(ITEM(4), LOCATION(1))
        catalog.remove_variant(VARIANT(5))
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "shop.json")
            catalog.to_file(path)
            loaded = Catalog.from_file(path)
        self.assertEqual(list(loaded.variants), list(catalog.variants))
        self.assertEqual(loaded.location_ids, catalog.location_ids)

    def test_from_dict_with_its_own_ids(self):
        catalog = Catalog.from_dict(
            {
                "locations": [{"id": LOCATION(70), "name": "Warehouse"}],
                "variants": [
                    {
                        "id": VARIANT(900),
                        "sku": "B",
                        "inventory_item_id": ITEM(31),
                        "tracked": True,
                        "levels": {LOCATION(70): 4},
                    },
                    {"id": VARIANT(12), "sku": "A", "inventory_item_id": ITEM(30), "levels": {}},
                ],
            }
        )
        self.assertEqual([v["sku"] for v in catalog.variants], ["A", "B"])  # id order
        self.assertEqual(catalog.available(ITEM(31), LOCATION(70)), 4)
        self.assertIsNone(catalog.available(ITEM(30), LOCATION(70)))
        with self.assertRaises(CatalogError):
            Catalog.from_dict({"locations": [], "variants": [{"id": VARIANT(1), "levels": {LOCATION(1): 1}}]})

    def test_add_and_remove_variants(self):
        catalog = Catalog.generate(items=3, locations=2)
        added = catalog.add_variant("NEW", locations=[LOCATION(2)], quantity=6)
        self.assertEqual(
            (added["id"], added["inventory_item_id"], added["levels"]),
            (VARIANT(4), ITEM(4), {LOCATION(2): 6}),
        )
        catalog.remove_variant(VARIANT(2))
        self.assertEqual(catalog.variant_count, 3)
        self.assertIsNone(catalog.variant(VARIANT(2)))
        with self.assertRaises(CatalogError):
            catalog.remove_variant(VARIANT(2))
        with self.assertRaises(CatalogError):
            catalog.set_available(ITEM(2), LOCATION(1), 1)  # deleted with its variant
