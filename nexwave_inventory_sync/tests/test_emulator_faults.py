"""Issue 11 §2 and issue 9 §2: the emulator answers the way Shopify can (or, where marked in
its code, the way we guess it does), and can be looked at from outside while it runs."""

import threading

import requests

from nexwave_inventory_sync.emulator import Catalog, Emulator, Fault
from nexwave_inventory_sync.emulator.idempotency import KEY_RETENTION_SECONDS
from nexwave_inventory_sync.emulator.stats import REQUEST_HISTORY
from nexwave_inventory_sync.sync import documents

from .test_emulator import ITEM, LOCATION, NEW, TOKEN, EmulatorTestCase, new_input, row

MUTATION = "SetInventoryQuantities"


class NewFaultsTest(EmulatorTestCase):
    def mutate(self, key="k", quantity=5, timeout=5.0, session=None):
        return self.post(
            documents.SET_QUANTITIES_IDEMPOTENT,
            {"input": new_input([row(1, quantity)]), "idempotencyKey": key},
            operation=MUTATION,
            timeout=timeout,
            session=session,
        )

    def test_truncated_body_applies_then_cuts_the_answer(self):
        self.emulator.faults.script(Fault.truncated(keep=10), operation=MUTATION)
        with self.assertRaises(requests.exceptions.ChunkedEncodingError):
            self.mutate(quantity=7)
        self.assertEqual(self.available(1), 7)  # applied: only the answer was lost
        replay = self.mutate(quantity=7).json()
        self.assertEqual(replay["data"]["inventorySetQuantities"]["userErrors"], [])
        self.assertEqual(self.emulator.stats.idempotent_replays, 1)

    def test_graphql_errors_on_http_200_run_nothing(self):
        for code in ("INTERNAL_SERVER_ERROR", "SHOP_INACTIVE", "THROTTLED"):
            with self.subTest(code=code):
                self.emulator.faults.script(Fault.graphql_error(code), operation=MUTATION)
                answer = self.mutate(key=code)
                self.assertEqual(answer.status_code, 200)
                self.assertEqual(answer.json()["errors"][0]["extensions"]["code"], code)
                self.assertNotIn("data", answer.json())
        self.assertEqual(self.available(1), 0)

    def test_redirect_names_another_host(self):
        self.emulator.faults.script(Fault.redirect("https://elsewhere.example/x"), operation=MUTATION)
        answer = self.session.post(
            self.emulator.graphql_url(NEW),
            json={"query": documents.SET_QUANTITIES_IDEMPOTENT, "operationName": MUTATION},
            allow_redirects=False,
            timeout=5,
        )
        self.assertEqual(
            (answer.status_code, answer.headers["Location"]), (307, "https://elsewhere.example/x")
        )

    def test_a_same_key_request_while_the_first_still_runs_is_told_to_try_again(self):
        self.emulator.faults.script(Fault.delay(1.0), operation=MUTATION)
        first: dict = {}
        other = requests.Session()
        other.headers["X-Shopify-Access-Token"] = TOKEN
        self.addCleanup(other.close)
        thread = threading.Thread(target=lambda: first.update(answer=self.mutate(key="same", session=other)))
        thread.start()
        while not self.emulator.executor.idempotency._running:  # the slow one holds the key
            thread.join(0.01)
        second = self.mutate(key="same").json()["data"]["inventorySetQuantities"]
        self.assertEqual(second["userErrors"][0]["code"], "IDEMPOTENCY_CONCURRENT_REQUEST")
        self.assertIsNone(second["inventoryAdjustmentGroup"])
        thread.join()
        self.assertEqual(first["answer"].json()["data"]["inventorySetQuantities"]["userErrors"], [])
        self.assertEqual(self.emulator.stats.mutations_applied, 1)
        # Once the first has answered, the same key replays its answer.
        self.assertEqual(self.mutate(key="same").json()["data"]["inventorySetQuantities"]["userErrors"], [])
        self.assertEqual(self.emulator.stats.idempotent_replays, 1)

    def test_keys_expire_after_a_day(self):
        self.mutate(key="old", quantity=3)
        self.clock.advance(KEY_RETENTION_SECONDS - 60)
        self.catalog.set_available(ITEM(1), LOCATION(1), 9)
        self.mutate(key="old", quantity=3)  # still remembered: replayed, not applied
        self.assertEqual(self.available(1), 9)
        self.clock.advance(120)
        self.mutate(key="old", quantity=3)  # forgotten: a new request, applied
        self.assertEqual(self.available(1), 3)

    def test_quantity_limit_is_on_the_total_not_the_figure_sent(self):
        self.catalog.set_committed(ITEM(1), LOCATION(1), 10)
        answer = self.set_quantities(new_input([row(1, 999_999_995)]), key="total")
        self.assertEqual(self.payload(answer)["userErrors"][0]["code"], "INVALID_QUANTITY_TOO_HIGH")
        answer = self.set_quantities(new_input([row(1, 999_999_990)]), key="total-ok")
        self.assertEqual(self.payload(answer)["userErrors"], [])

    def test_retired_version_is_served_by_the_oldest_supported_one(self):
        for version in ("2024-07", "2019-04"):
            with self.subTest(version=version):
                answer = self.post("{ shop { id } }", version=version)
                self.assertEqual(answer.status_code, 200)
                self.assertEqual(answer.headers["X-Shopify-API-Version"], "2025-01")
                rest = self.session.get(
                    f"{self.emulator.base_url}/admin/api/{version}/variants/1.json", timeout=5
                )
                self.assertEqual((rest.status_code, rest.headers["X-Shopify-API-Version"]), (200, "2025-01"))
        self.assertEqual(self.post("{ shop { id } }").headers["X-Shopify-API-Version"], NEW)


class CountLimitTest(EmulatorTestCase):
    items = 120
    locations = 1

    def test_count_honours_limit_and_says_at_least(self):
        def count(query):
            return self.graphql(query)["data"]["productVariantsCount"]

        self.assertEqual(
            count("{ productVariantsCount { count precision } }"), {"count": 120, "precision": "EXACT"}
        )
        self.assertEqual(
            count("{ productVariantsCount(limit: 100) { count precision } }"),
            {"count": 100, "precision": "AT_LEAST"},
        )
        self.assertEqual(
            count("{ productVariantsCount(limit: null) { count precision } }"),
            {"count": 120, "precision": "EXACT"},
        )


class InspectTest(EmulatorTestCase):
    items = 5
    locations = 1

    def test_stats_and_levels_only_when_asked_for(self):
        base = self.emulator.base_url
        self.assertEqual(requests.get(f"{base}/__emulator/stats", timeout=5).status_code, 404)
        looked = Emulator(Catalog.generate(3, 1), access_token=TOKEN, inspect=True).start()
        self.addCleanup(looked.stop)
        looked.catalog.set_available(ITEM(2), LOCATION(1), 42)
        stats = requests.get(f"{looked.base_url}/__emulator/stats", timeout=5).json()
        self.assertIn("calls", stats)
        self.assertIn("throttle_status", stats)
        self.assertNotIn(TOKEN, str(stats))
        levels = requests.get(f"{looked.base_url}/__emulator/levels?items=2", timeout=5).json()["levels"]
        self.assertEqual(levels, {ITEM(2): {LOCATION(1): 42}})
        everything = requests.get(f"{looked.base_url}/__emulator/levels", timeout=5).json()["levels"]
        self.assertEqual(len(everything), 3)

    def test_request_history_is_bounded_by_default(self):
        self.assertEqual(self.emulator.stats._requests.maxlen, REQUEST_HISTORY)
        small = Emulator(Catalog.generate(1, 1), access_token=TOKEN, keep_requests=3).start()
        self.addCleanup(small.stop)
        for _ in range(5):
            requests.post(small.graphql_url(), json={"query": "{ shop { id } }"}, timeout=5)
        self.assertEqual((small.stats.calls, len(small.stats.requests)), (5, 3))
