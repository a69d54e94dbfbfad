"""Pacing on throttleStatus against the emulator's leaky bucket, on a shared virtual clock."""

from unittest import mock

from nexwave_inventory_sync.emulator import OverlappingClock
from nexwave_inventory_sync.sync import documents
from nexwave_inventory_sync.sync.client import ShopifyClient
from nexwave_inventory_sync.sync.throttle import BucketModel

from .emulated_shop import EmulatedShopTest


class StandardPlanPacingTest(EmulatedShopTest):
    items = 2500
    plan = "standard"  # 2,000 points, 100 per second
    # The pushes go 4 batches at a time: their waits overlap, as on a real clock.
    clock_class = OverlappingClock

    def test_warm_push_never_waits(self):
        result = self.sync(self.warm_rows())
        self.assertEqual(
            (result.api_calls, result.throttle_waits, result.seconds_waited, result.throttled_answers),
            (10, 0, 0, 0),
        )

    def test_cold_scan_is_paced_without_a_single_throttled_answer(self):
        # One batch at a time: this test is about pacing the scan and the pushes on the bucket's
        # own figures. With four threads in flight the order in which they reach the shared
        # virtual clock still varied with the machine's load (1 THROTTLED in a loaded CI run);
        # batches in flight sharing the bucket are ParallelPacingTest's to prove.
        # The scan's pacing: bulk resolution (from 2,500 SKUs, this test's size) is off here.
        result = self.sync(self.sku_rows(), concurrency=1, bulk_resolve_from=None)
        self.assertEqual(result.pushed, 2500)
        self.assertEqual(self.emulator.stats.throttled, 0)
        self.assertEqual(result.throttled_answers, 0)
        self.assertGreater(result.throttle_waits, 0)
        # 10 pages of ~502 points on a 2,000-point bucket refilling 100/s: the wait is what the
        # bucket needs (about (10 × 502 − 2,000) / 100 s), not a fixed sleep per call.
        self.assertGreater(result.seconds_waited, 20)
        self.assertLess(result.seconds_waited, 40)

    def test_recovers_when_another_app_drained_the_bucket(self):
        self.emulator.drain_bucket()
        result = self.sync(self.sku_rows(2500))
        self.assertEqual(result.pushed, 2500)
        self.assertGreaterEqual(result.throttled_answers, 1)
        self.assertEqual(result.throttled_answers, self.emulator.stats.throttled)


class ParallelPacingTest(EmulatedShopTest):
    """Batches in flight sleep at the same time. FakeClock would add their sleeps up (four
    waits of a second = four seconds of refill) and hide batches racing for the bucket; real
    time made the outcome depend on the machine's load. OverlappingClock lets parallel sleeps
    overlap as on a real clock while the work between them takes no time: deterministic."""

    items = 2000
    plan = "standard"
    clock_class = OverlappingClock

    def test_batches_in_flight_share_the_bucket_instead_of_racing_for_it(self):
        self.emulator.drain_bucket()  # as after a cold run or another app's burst
        rows = self.warm_rows()
        result = self.sync(rows, concurrency=4)
        self.assertEqual(result.pushed, 2000)
        # At most the very first call, sent before any answer told us the bucket was empty.
        # Racing batches (no reservation in the bucket model): several.
        self.assertLessEqual(self.emulator.stats.throttled, 1)
        self.assertGreater(result.throttle_waits, 0)
        self.assertShopifyEquals(rows)


class CallBetween(BucketModel):
    """Runs `between` once, right after the next reservation is handed back: what another
    batch's thread may do at that instant."""

    between = None

    def release(self, cost: float) -> None:
        super().release(cost)
        between, self.between = self.between, None
        if between is not None:
            between()


class InterleavedBatchesTest(EmulatedShopTest):
    """Two batches in flight share one bucket model, and one batch's call happens at an awkward
    instant of the other's. Threads do that when the scheduler says so (the ways
    ParallelPacingTest came to meet a second THROTTLED answer); here one thread nests the calls,
    so the order is the test's: deterministic, on FakeClock."""

    items = 10
    plan = "standard"  # 100 points per second

    def locations_page(self, client: ShopifyClient) -> None:
        # 3 points asked for and 3 used in this shop (one location): no refund blurs the sums.
        client.execute(documents.LOCATIONS_PAGE, {"first": 1}, operation="LocationsPage", expected_cost=3)

    def test_an_older_answer_read_last_does_not_send_the_next_call_early(self):
        bucket = BucketModel()
        with (
            ShopifyClient(self.endpoint(), clock=self.clock, bucket=bucket) as first,
            ShopifyClient(self.endpoint(), clock=self.clock, bucket=bucket) as second,
        ):
            self.emulator.drain_bucket(to=9)
            self.locations_page(first)  # the model learns the bucket: 6 points left
            send = first._transport.execute

            def answered_then_overtaken(*args, **kwargs):
                result = send(*args, **kwargs)  # Shopify took the first call: 3 left, it says
                # The second call goes (the model, counting the first as reserved, sees 3 free)
                # and its answer, 0 left, is read before the first call's answer is.
                self.locations_page(second)
                return result

            with mock.patch.object(first._transport, "execute", answered_then_overtaken):
                self.locations_page(first)
            self.assertEqual(self.emulator.stats.calls_by_operation["LocationsPage"], 3)
            # The bucket is empty: the next call must wait for its points, not take the first
            # call's stale "3 left" at its word and meet a THROTTLED answer.
            self.locations_page(second)
        self.assertEqual(self.emulator.stats.throttled, 0)
        self.assertEqual(first.stats.throttled_answers + second.stats.throttled_answers, 0)
        self.assertEqual(second.stats.throttle_waits, 1)

    def test_a_call_counts_against_the_bucket_until_its_answer_is_in_the_model(self):
        bucket = CallBetween()
        with (
            ShopifyClient(self.endpoint(), clock=self.clock, bucket=bucket) as first,
            ShopifyClient(self.endpoint(), clock=self.clock, bucket=bucket) as second,
        ):
            self.emulator.drain_bucket(to=6)
            self.locations_page(first)  # the model learns the bucket: 3 points left
            # The first call takes the last 3 points. As it hands back its reservation, the
            # other batch's call asks the model: the first call's cost must still be counted,
            # in the figure its answer brought or in its reservation, at every instant.
            bucket.between = lambda: self.locations_page(second)
            self.locations_page(first)
            self.assertIsNone(bucket.between)
        self.assertEqual(self.emulator.stats.throttled, 0)
        self.assertEqual(self.emulator.stats.calls_by_operation["LocationsPage"], 3)
        self.assertEqual(second.stats.throttle_waits, 1)
