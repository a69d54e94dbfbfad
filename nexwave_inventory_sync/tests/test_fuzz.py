"""Issue 11 §3, fuzzed answers: whatever body, status and headers come back (arbitrary JSON and
non-JSON, missing or malformed extensions.cost, odd userErrors paths, huge numbers, wrong
types), the engine never raises anything but its own RunAborted, never loops without end,
and every outcome is one of the policy table's classes with each row accounted for once."""

from __future__ import annotations

import json
import os
import unittest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nexwave_inventory_sync.emulator.clock import FakeClock
from nexwave_inventory_sync.sync.client import RunAborted, ShopifyClient
from nexwave_inventory_sync.sync.endpoint import ShopifyEndpoint
from nexwave_inventory_sync.sync.errors import ShopifyError, classify_response
from nexwave_inventory_sync.sync.push import MAX_RESENDS, ReadyRow, send_batch
from nexwave_inventory_sync.sync.resolve import Resolver, Unresolved
from nexwave_inventory_sync.sync.results import Resolution, StockRow
from nexwave_inventory_sync.sync.retry import ACTIONS, Action, RetryPolicy

# Short in the suite; FUZZ_EXAMPLES=2000 for a long hunt.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0")) or None
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]
FAST = settings(max_examples=EXAMPLES or 300, deadline=None, suppress_health_check=_HEALTH)
SETTINGS = settings(max_examples=EXAMPLES or 40, deadline=None, suppress_health_check=_HEALTH)
CODES = [
    "THROTTLED",
    "INTERNAL_SERVER_ERROR",
    "SHOP_INACTIVE",
    "ACCESS_DENIED",
    "MAX_COST_EXCEEDED",
    "IDEMPOTENCY_CONCURRENT_REQUEST",
    "INVALID_INVENTORY_ITEM",
    "CHANGE_FROM_QUANTITY_STALE",
]
numbers = st.one_of(
    st.integers(-(10**30), 10**30), st.floats(allow_nan=False), st.none(), st.text(max_size=5), st.booleans()
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
throttle_status = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"maximumAvailable": numbers, "currentlyAvailable": numbers, "restoreRate": numbers}
    ),
)
cost = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "requestedQueryCost": numbers,
            "actualQueryCost": numbers,
            "throttleStatus": throttle_status,
        },
    ),
)
user_error = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "field": st.one_of(
                json_values,
                st.lists(st.one_of(st.text(max_size=4), st.integers(-5, 300)), max_size=5),
                st.tuples(
                    st.just("input"), st.just("quantities"), st.integers(-3, 260).map(str), st.just("x")
                ).map(list),
            ),
            "code": st.one_of(st.sampled_from(CODES), json_values),
            "message": st.one_of(st.text(max_size=20), json_values),
        },
    ),
)
mutation_payload = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "inventoryAdjustmentGroup": st.one_of(st.none(), json_values, st.just({"id": "gid://x/1"})),
            "userErrors": st.one_of(json_values, st.lists(user_error, max_size=4)),
        },
    ),
)
variant_node = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "id": st.one_of(st.text(max_size=8), json_values),
            "sku": st.one_of(st.sampled_from(["A", "B", "C"]), json_values),
            "inventoryItem": st.one_of(
                json_values,
                st.fixed_dictionaries(
                    {}, optional={"id": st.one_of(st.text(max_size=8), json_values), "tracked": json_values}
                ),
            ),
        },
    ),
)
page = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "nodes": st.one_of(json_values, st.lists(variant_node, max_size=4)),
            "pageInfo": st.one_of(
                json_values,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "hasNextPage": json_values,
                        "endCursor": st.one_of(st.text(max_size=4), json_values),
                    },
                ),
            ),
        },
    ),
)
data = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "inventorySetQuantities": mutation_payload,
            "productVariants": page,
            "productVariantsCount": st.one_of(
                json_values, st.fixed_dictionaries({"count": numbers, "precision": json_values})
            ),
            "nodes": st.one_of(json_values, st.lists(variant_node, max_size=4)),
        },
    ),
)
graphql_body = st.fixed_dictionaries(
    {},
    optional={
        "data": data,
        "errors": st.one_of(
            json_values,
            st.lists(
                st.fixed_dictionaries(
                    {"message": st.one_of(st.text(max_size=10), json_values)},
                    optional={
                        "extensions": st.one_of(
                            json_values, st.fixed_dictionaries({"code": st.sampled_from(CODES)})
                        )
                    },
                ),
                max_size=2,
            ),
        ),
        "extensions": st.one_of(json_values, st.fixed_dictionaries({}, optional={"cost": cost})),
    },
).map(json.dumps)
bodies = st.one_of(
    graphql_body,
    graphql_body,
    json_values.map(json.dumps),
    st.text(max_size=40),
    st.sampled_from(["", "<html>502</html>", "NaN", "Infinity", '{"data": ', "[]", "null", "1e999"]),
)
statuses = st.one_of(
    st.sampled_from([200, 200, 200, 200, 301, 307, 400, 401, 402, 403, 404, 423, 429, 500, 503]),
    st.integers(100, 599),
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "Retry-After": st.one_of(st.text(max_size=6), st.sampled_from(["1.5", "inf", "nan", "-1", "1e308"])),
        "Location": st.text(max_size=10),
        "X-Request-Id": st.text(max_size=8),
    },
)
answers = st.tuples(statuses, headers, bodies)
# Well-formed 200 answers whose data has the right keys with anything inside: reach deep.
lookup_data = st.fixed_dictionaries(
    {},
    optional={
        "productVariants": page,
        "productVariantsCount": st.one_of(
            json_values, st.fixed_dictionaries({"count": numbers, "precision": json_values})
        ),
        "nodes": st.one_of(json_values, st.lists(variant_node, max_size=4)),
    },
)
ok_answers = st.tuples(st.just(200), st.just({}), lookup_data.map(lambda d: json.dumps({"data": d})))


class _Response:
    def __init__(self, status, headers, text):
        self.status_code, self.headers, self.text = status, headers, text


class ClassifyFuzzTest(unittest.TestCase):
    @FAST
    @given(answers)
    def test_every_answer_is_a_body_or_a_known_kind(self, answer):
        body, error = classify_response(*answer)
        if error is None:
            self.assertIsInstance(body, dict)
            self.assertIsInstance(body["data"], dict)
        else:
            self.assertIsInstance(error, ShopifyError)
            self.assertIn(error.kind, ACTIONS)
            str(error)  # renders


class EngineFuzzTest(unittest.TestCase):
    """The engine's calls against a fake session that answers with fuzzed HTTP answers."""

    # Every budget spent in full is still a bounded number of calls.
    policy = RetryPolicy(
        server_backoff=(0.0, 0.0),
        connection_backoff=(0.0, 0.0),
        unreachable_backoff=(0.0,),
        in_progress_backoff=(0.0,) * 5,
        jitter=0.0,
        retry_after_default=0.0,
    )
    # A batch and its resends, each with every budget.
    max_calls = (1 + MAX_RESENDS) * (1 + 6 + 3 + 2 + 2 + 1 + 5)

    def client_answering(self, draw, strategy=answers) -> tuple[ShopifyClient, list]:
        endpoint = ShopifyEndpoint("fuzz.myshopify.com", "shpat_fuzz", endpoint_override="http://127.0.0.1:9")
        client = ShopifyClient(endpoint, policy=self.policy, clock=FakeClock())
        client.__enter__()
        self.addCleanup(client.__exit__, None, None, None)
        calls: list = []

        def post(url, data=None, timeout=None, allow_redirects=True):
            calls.append(url)
            if len(calls) > 200:
                raise AssertionError("endless loop: more than 200 calls for one operation")
            return _Response(*draw(strategy))

        client._transport.session.post = post
        return client, calls

    @SETTINGS
    @given(st.data())
    def test_a_batch_ends_in_an_outcome_with_every_row_once_or_an_abort(self, data):
        client, calls = self.client_answering(data.draw)
        batch = [
            ReadyRow(
                StockRow("gid://shopify/Location/1", i, inventory_item_id=f"gid://shopify/InventoryItem/{i}"),
                f"gid://shopify/InventoryItem/{i}",
                "gid://shopify/Location/1",
                i,
            )
            for i in range(1, 6)
        ]
        try:
            outcome = send_batch(client, batch, "fuzz-run")
        except RunAborted as abort:
            self.assertIs(abort.failure.action, Action.ABORT_RUN)
            self.assertIn(abort.failure.error.kind, ACTIONS)
            self.assertEqual(len(abort.rows), len(batch))
        else:
            self.assertEqual(outcome.pushed + len(outcome.failures), len(batch))
            self.assertTrue(
                all(isinstance(f.code, str) and isinstance(f.message, str) for f in outcome.failures)
            )
        self.assertLessEqual(len(calls), self.max_calls)

    @SETTINGS
    @given(st.data(), st.lists(st.sampled_from(["A", "B", "C", "D"]), min_size=1, max_size=4))
    def test_lookups_end_with_every_sku_resolved_or_unresolved_or_an_abort(self, data, skus):
        client, calls = self.client_answering(
            data.draw, st.one_of(ok_answers, ok_answers, ok_answers, answers)
        )
        resolver = Resolver(client)
        try:
            resolver.resolve_skus(skus * 30)  # over one search's worth: the count-and-scan path too
            resolver.resolve_variants([f"gid://shopify/ProductVariant/{i}" for i in range(1, 4)])
        except RunAborted as abort:
            self.assertIn(abort.failure.error.kind, ACTIONS)
            return
        for sku in skus:
            self.assertIsInstance(resolver.by_sku.get(sku), (Resolution, Unresolved))
        for found in (*resolver.by_sku.values(), *resolver.by_variant.values()):
            if isinstance(found, Resolution):
                self.assertIsInstance(found.inventory_item_id, str)
                self.assertIsInstance(found.tracked, bool)
