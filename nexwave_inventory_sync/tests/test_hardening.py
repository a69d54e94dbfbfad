"""Issue 11 §1: the defects a merchant would hit, each against the emulator over real HTTP.
Every test here failed before its fix (see the commit that added it)."""

from __future__ import annotations

import http.server
import threading
from dataclasses import replace

from nexwave_inventory_sync.emulator import Fault
from nexwave_inventory_sync.sync.client import ShopifyClient
from nexwave_inventory_sync.sync.quantity import QuantityError, shopify_quantity
from nexwave_inventory_sync.sync.results import RunStatus, StockRow
from nexwave_inventory_sync.sync.retry import NO_WAIT
from nexwave_inventory_sync.sync.run import SyncOptions

from .emulated_shop import EmulatedShopTest

MUTATION = "SetInventoryQuantities"


class CutOffAnswerTest(EmulatedShopTest):
    items = 750

    def test_cut_off_answer_is_retried_with_its_key_and_applied_once(self):
        # Item 1: a body cut mid-way raised requests' ChunkedEncodingError out of sync_inventory.
        self.emulator.faults.script(Fault.truncated(), operation=MUTATION)
        rows = self.warm_rows()
        result = self.sync(rows, concurrency=1)
        self.assertEqual((result.pushed, result.failed, result.retries), (750, 0, 1))
        self.assertEqual(result.status, RunStatus.SUCCESS)
        self.assertEqual(self.emulator.stats.mutations_applied, 3)
        self.assertEqual(self.emulator.stats.idempotent_replays, 1)
        self.assertShopifyEquals(rows)

    def test_cut_off_answers_past_the_budget_fail_the_batch_not_the_run(self):
        self.emulator.faults.script(*[Fault.truncated()] * 3, operation=MUTATION)
        result = self.sync(self.warm_rows(), concurrency=1)
        self.assertEqual((result.pushed, result.failed, result.batches_failed), (500, 250, 1))
        self.assertIn("cut off", result.failures[0].message)
        self.assertEqual(result.status, RunStatus.PARTIAL)


class ConcurrentRequestTest(EmulatedShopTest):
    items = 750

    def test_same_key_still_running_is_resent_until_the_answer_is_replayed(self):
        # Item 2: IDEMPOTENCY_CONCURRENT_REQUEST failed 250 rows that had landed.
        self.emulator.faults.script(
            Fault.drop_after_apply(),
            Fault.concurrent_request(),
            Fault.concurrent_request(),
            operation=MUTATION,
        )
        rows = self.warm_rows()
        result = self.sync(rows, concurrency=1)
        self.assertEqual((result.pushed, result.failed), (750, 0), result.failures[:1])
        self.assertEqual(result.status, RunStatus.SUCCESS)
        self.assertEqual(self.emulator.stats.mutations_applied, 3)
        self.assertEqual(self.emulator.stats.idempotent_replays, 1)
        keys = [r["idempotency_key"] for r in self.emulator.stats.requests if r["operation"] == MUTATION]
        self.assertEqual(len(set(keys[:4])), 1)  # the first batch's four attempts share a key
        self.assertShopifyEquals(rows)

    def test_a_real_overlap_with_a_slow_first_attempt_ends_in_the_replay(self):
        # The first attempt sleeps past the read timeout while holding its key; the retry meets
        # it running. Real time on the engine side, so its back-off lets the first one finish.
        from nexwave_inventory_sync.sync.clock import SystemClock
        from nexwave_inventory_sync.sync.run import sync_inventory

        self.emulator.faults.script(Fault.delay(1.5), operation=MUTATION)
        rows = self.warm_rows(250)
        policy = replace(NO_WAIT, in_progress_backoff=(0.5,) * 8, connection_backoff=(0.0, 0.0))
        result = sync_inventory(
            self.endpoint(),
            rows,
            options=SyncOptions(concurrency=1, timeout=(2.0, 0.5), policy=policy),
            clock=SystemClock(),
        )
        self.assertEqual((result.pushed, result.failed), (250, 0), result.failures[:1])
        self.assertGreaterEqual(self.emulator.stats.calls_by_operation[MUTATION], 3)
        self.assertEqual(self.emulator.stats.mutations_applied, 1)
        self.assertShopifyEquals(rows)


class GraphqlErrorsOn200Test(EmulatedShopTest):
    items = 750

    def test_internal_server_error_is_retried_like_a_5xx(self):
        # Item 3: INTERNAL_SERVER_ERROR on HTTP 200 failed the batch without a retry.
        self.emulator.faults.script(Fault.graphql_error("INTERNAL_SERVER_ERROR"), operation=MUTATION)
        rows = self.warm_rows()
        result = self.sync(rows, concurrency=1)
        self.assertEqual((result.pushed, result.failed, result.retries), (750, 0, 1))
        self.assertShopifyEquals(rows)

    def test_shop_inactive_stops_the_run_after_one_call(self):
        self.emulator.faults.script(Fault.graphql_error("SHOP_INACTIVE"), operation=MUTATION)
        result = self.sync(self.warm_rows(), concurrency=4)
        self.assertTrue(result.aborted)
        self.assertEqual(result.status, RunStatus.ABORTED)
        self.assertIn("inactive", result.abort_reason)
        self.assertEqual(self.emulator.stats.calls_by_operation[MUTATION], 1)
        # Nothing vanishes: every row read is reported, those of the refused call as unconfirmed.
        self.assertEqual((result.considered, result.not_sent), (750, 750))
        self.assertEqual(result.accounted, result.considered)
        self.assertIn("inactive", result.error)


class HugeQuantityTest(EmulatedShopTest):
    items = 10

    def test_a_quantity_of_1e22_fails_its_row_only(self):
        # Item 4: round() of such a Decimal raised InvalidOperation out of the run.
        with self.assertRaises(QuantityError) as caught:
            shopify_quantity(1e22)
        self.assertEqual(caught.exception.code, "INVALID_QUANTITY_TOO_HIGH")
        for huge in ("1e30", "-1e30", 10**40, "1E+999999"):
            with self.subTest(huge=huge):
                try:
                    shopify_quantity(huge)
                except QuantityError:
                    pass
        rows = self.warm_rows()
        rows[3] = replace(rows[3], quantity=1e22)
        result = self.sync(rows)
        self.assertEqual((result.pushed, result.failed), (9, 1))
        self.assertEqual(result.failures[0].code, "INVALID_QUANTITY_TOO_HIGH")


class NegativeSafetyBufferTest(EmulatedShopTest):
    items = 5

    def test_the_engine_refuses_a_negative_buffer(self):
        # Item 5 (engine half; the CLI half is in test_cli): a buffer of -5 pushed 5 more than ERPNext had.
        with self.assertRaises(ValueError):
            SyncOptions(safety_buffer=-5)
        self.assertEqual(self.emulator.stats.calls, 0)


class NotOnShopifyIsNotSuccessTest(EmulatedShopTest):
    items = 20
    untracked_every = 5

    def test_rows_not_on_shopify_make_the_run_partial(self):
        # Item 7: SKU_NOT_FOUND and AMBIGUOUS_SKU rows left the run at Success.
        rows = self.sku_rows(4) + [StockRow("gid://shopify/Location/1", 3, sku="NOT-THERE")]
        result = self.sync(rows)
        self.assertEqual((result.pushed, result.unresolved), (4, 1))
        self.assertEqual(result.status, RunStatus.PARTIAL)
        self.assertIn("not on Shopify", result.error)

    def test_untracked_items_alone_stay_success(self):
        result = self.sync(self.sku_rows(10))  # items 5 and 10 are untracked on Shopify
        self.assertEqual((result.pushed, result.untracked, result.unresolved), (8, 2, 0))
        self.assertEqual(result.status, RunStatus.SUCCESS)
        self.assertIsNone(result.error)


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        type(self).seen.append(dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


class RedirectTest(EmulatedShopTest):
    items = 10

    def test_a_redirect_to_another_host_is_not_followed_and_the_token_stays_home(self):
        # Item 10: requests followed a 307 and carried X-Shopify-Access-Token to the other host.
        _Recorder.seen = []
        other = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
        threading.Thread(target=other.serve_forever, daemon=True).start()
        self.addCleanup(other.server_close)
        self.addCleanup(other.shutdown)
        elsewhere = f"http://localhost:{other.server_address[1]}/admin/api/2026-10/graphql.json"
        self.emulator.faults.script(Fault.redirect(elsewhere), operation=MUTATION)
        result = self.sync(self.warm_rows())
        self.assertEqual(_Recorder.seen, [])
        self.assertTrue(result.aborted)
        self.assertIn("redirect", result.abort_reason)
        self.assertIn(f"localhost:{other.server_address[1]}", result.abort_reason)
        self.assertEqual(self.emulator.stats.calls_by_operation[MUTATION], 1)


class CountPrecisionTest(EmulatedShopTest):
    items = 15_000
    plan = "plus"

    def test_at_least_count_searches_instead_of_scanning_a_bigger_catalog(self):
        # Item 11: with productVariantsCount 10,000 AT_LEAST (the shop holds 15,000) the engine
        # planned a 40-call scan, which really took 60 calls, instead of 50 searches.
        rows = [
            StockRow("gid://shopify/Location/1", 1, sku=f"SKU-{i:06d}") for i in range(1, 15_001, 6)
        ]  # 2,500 SKUs spread over the whole catalog
        # Without bulk resolution (on from 2,500 SKUs): this is about the scan-or-search choice.
        result = self.sync(rows, concurrency=4, bulk_resolve_from=None)
        self.assertEqual((result.pushed, result.unresolved), (2500, 0))
        calls = self.emulator.stats.calls_by_operation
        self.assertEqual(calls["VariantsCountAndFirstPage"], 1)
        self.assertLessEqual(calls["VariantsPage"], 50)  # searches of 50 SKUs, no scan pages


class ResolutionSessionTest(EmulatedShopTest):
    items = 12_000  # over the 10,000 count limit: each chunk's SKUs are searched, not scanned

    def test_no_session_is_used_from_two_threads_when_rows_stream(self):
        # Item 13: with rows as an iterator, resolution used clients[0]'s session on the calling
        # thread while a sender thread used it for a batch.
        inside: dict[int, int] = {}
        overlaps: list[int] = []
        lock = threading.Lock()
        original = ShopifyClient.execute

        def recording(client, *args, **kwargs):
            with lock:
                inside[id(client)] = inside.get(id(client), 0) + 1
                if inside[id(client)] > 1:
                    overlaps.append(id(client))
            try:
                return original(client, *args, **kwargs)
            finally:
                with lock:
                    inside[id(client)] -= 1

        ShopifyClient.execute = recording
        self.addCleanup(setattr, ShopifyClient, "execute", original)
        self.emulator.latency = 0.03  # batches stay in flight while the next chunk resolves
        rows = self.sku_rows(3000)
        result = self.sync(iter(rows), concurrency=4, chunk_rows=1500)
        self.assertEqual(result.pushed, 3000)
        self.assertEqual(overlaps, [])


class StaleCachedIdTest(EmulatedShopTest):
    items = 30

    def test_a_recreated_product_is_found_again_and_pushed_in_the_same_run(self):
        # Item 6 (engine part): a cached id of a deleted product failed INVALID_INVENTORY_ITEM
        # on every run and was never looked up again.
        self.catalog.remove_variant("gid://shopify/ProductVariant/7")
        new = self.catalog.add_variant("SKU-000007")
        rows = [replace(r, sku=f"SKU-{i:06d}") for i, r in enumerate(self.warm_rows(), start=1)]
        result = self.sync(rows)
        self.assertEqual((result.pushed, result.failed), (30, 0), result.failures[:1])
        self.assertEqual(result.status, RunStatus.SUCCESS)
        self.assertEqual(
            self.catalog.available(new["inventory_item_id"], "gid://shopify/Location/1"), rows[6].quantity
        )
        [learnt] = result.resolved
        self.assertEqual(
            (learnt.sku, learnt.inventory_item_id, learnt.variant_id, learnt.replaces),
            ("SKU-000007", new["inventory_item_id"], new["id"], "gid://shopify/InventoryItem/7"),
        )

    def test_a_deleted_product_without_a_successor_is_not_on_shopify_with_why(self):
        # Its SKU is on Shopify no more: counted like any SKU not found (Partial, not Failed:
        # a quiet run holding only this row must not pause the store), and the level
        # confirmed for the deleted item is to be forgotten.
        self.catalog.remove_variant("gid://shopify/ProductVariant/7")
        rows = [replace(r, sku=f"SKU-{i:06d}") for i, r in enumerate(self.warm_rows(), start=1)]
        rows[6] = replace(rows[6], change_from=4)
        result = self.sync(rows)
        self.assertEqual((result.pushed, result.failed, result.unresolved), (29, 0, 1))
        self.assertEqual(result.status, RunStatus.PARTIAL)
        [why] = result.unresolved_rows
        self.assertEqual(why.row.ref, "ITEM-7")
        self.assertEqual(why.code, "SKU_NOT_FOUND")
        self.assertIn("INVALID_INVENTORY_ITEM", why.message)
        self.assertIn("looked up again", why.message)
        self.assertEqual(result.resolved, ())
        self.assertEqual(
            [(f.inventory_item_id, f.location_id, f.quantity) for f in result.forget],
            [("gid://shopify/InventoryItem/7", "gid://shopify/Location/1", 4)],
        )
        self.assertEqual(result.accounted, result.considered)


def run_against(base_url, rows, clock):
    from nexwave_inventory_sync.sync.endpoint import ShopifyEndpoint
    from nexwave_inventory_sync.sync.run import sync_inventory

    endpoint = ShopifyEndpoint("test-shop.myshopify.com", "shpat_x", endpoint_override=base_url)
    return sync_inventory(
        endpoint, rows, options=SyncOptions(timeout=(2.0, 2.0), policy=NO_WAIT), clock=clock
    )


class UnreachableHostTest(EmulatedShopTest):
    items = 600

    def run_against(self, base_url, rows):
        return run_against(base_url, rows, self.clock)

    def test_connection_refused_stops_the_run_fast_with_the_reason(self):
        # Issue 9: "connection failed: ConnectionError" after 9 calls and 20 s of retries.
        result = self.run_against("http://127.0.0.1:1", self.warm_rows())
        self.assertTrue(result.aborted)
        self.assertIn("connection refused by 127.0.0.1:1", result.error)
        self.assertLessEqual(result.api_calls, 2)
        self.assertEqual((result.considered, result.not_sent, result.accounted), (600, 600, 600))
        self.assertEqual(result.status, RunStatus.ABORTED)

    def test_refused_during_resolution_also_stops_at_once(self):
        result = self.run_against("http://127.0.0.1:1", self.sku_rows())
        self.assertTrue(result.aborted)
        self.assertLessEqual(result.api_calls, 2)
        self.assertEqual((result.considered, result.not_sent), (600, 600))

    def test_tls_to_a_plain_http_port_says_tls(self):
        result = self.run_against(self.emulator.base_url.replace("http://", "https://"), self.warm_rows(5))
        self.assertTrue(result.aborted)
        self.assertIn("TLS", result.error)

    def test_failed_run_has_a_top_level_error_naming_the_cause(self):
        self.emulator.faults.script(*[Fault.status(500)] * 9, operation=MUTATION)
        result = self.sync(self.warm_rows(), policy=NO_WAIT, concurrency=1)
        self.assertEqual(result.status, RunStatus.FAILED)
        self.assertIn("600 rows failed", result.error)
        self.assertIn("500", result.error)


class DnsTest(EmulatedShopTest):
    items = 5

    def test_a_host_that_does_not_resolve_says_dns(self):
        # .invalid never resolves (RFC 6761), so this needs no network.
        result = run_against("https://no-such-host.invalid", self.warm_rows(), self.clock)
        self.assertTrue(result.aborted)
        self.assertIn("DNS: no such host no-such-host.invalid", result.error)
        self.assertLessEqual(result.api_calls, 2)


class DeadlineTest(EmulatedShopTest):
    """Issue 11 §3: the run's deadline bounds retries and throttle pauses; the run then ends
    Partial with every row not sent counted and listed."""

    items = 750

    def test_a_retry_that_would_pass_the_deadline_ends_the_run_partial(self):
        self.emulator.faults.script(None, Fault.status(429, retry_after="30"), operation=MUTATION)
        rows = self.warm_rows()
        result = self.sync(rows, concurrency=1, deadline_s=10)
        self.assertTrue(result.deadline_reached)
        self.assertFalse(result.aborted)
        self.assertEqual(result.status, RunStatus.PARTIAL)
        self.assertEqual((result.pushed, result.not_sent), (250, 500))
        self.assertEqual((result.considered, result.accounted), (750, 750))
        self.assertLess(result.seconds_waited, 10)
        # The first 200 listed (the refused batch's rows first), all 500 counted.
        self.assertEqual(len(result.unsent_rows), 200)
        self.assertEqual(result.unsent_rows[0].code, "NOT_CONFIRMED")
        self.assertIn("deadline", result.error)
        self.assertShopifyEquals(rows[:250])

    def test_a_throttle_pause_past_the_deadline_is_not_taken(self):
        self.emulator.drain_bucket(0)
        # The lookup's ~500 points take about a second to come back on a drained Plus bucket.
        result = self.sync(self.sku_rows(300), deadline_s=0.5)
        self.assertTrue(result.deadline_reached)
        self.assertEqual(result.status, RunStatus.PARTIAL)
        self.assertLess(self.clock.now(), 0.5)
        self.assertEqual((result.considered, result.not_sent), (300, 300))

    def test_without_a_deadline_the_same_run_waits_and_lands(self):
        self.emulator.faults.script(None, Fault.status(429, retry_after="30"), operation=MUTATION)
        result = self.sync(self.warm_rows(), concurrency=1)
        self.assertEqual((result.pushed, result.status), (750, RunStatus.SUCCESS))


class DeadlineBoundsTheWaitForAnAnswerTest(EmulatedShopTest):
    items = 10

    def test_a_slow_answer_is_not_awaited_past_the_deadline(self):
        from nexwave_inventory_sync.sync.clock import SystemClock
        from nexwave_inventory_sync.sync.run import sync_inventory

        self.emulator.faults.script(Fault.delay(2.0), operation=MUTATION)
        result = sync_inventory(
            self.endpoint(),
            self.warm_rows(),
            options=SyncOptions(deadline_s=0.5, timeout=(2.0, 60.0), policy=NO_WAIT),
            clock=SystemClock(),
        )
        self.assertTrue(result.deadline_reached)
        self.assertEqual((result.status, result.not_sent), (RunStatus.PARTIAL, 10))


class StaleIdThenAbortTest(EmulatedShopTest):
    items = 30

    def test_an_abort_while_looking_a_refused_id_up_again_keeps_every_row_counted(self):
        self.catalog.remove_variant("gid://shopify/ProductVariant/7")
        self.emulator.faults.script(Fault.status(401), operation="VariantsPage")
        rows = [replace(r, sku=f"SKU-{i:06d}") for i, r in enumerate(self.warm_rows(), start=1)]
        result = self.sync(rows)
        self.assertTrue(result.aborted)
        self.assertEqual((result.pushed, result.failed), (29, 1))
        self.assertEqual(result.accounted, result.considered)
