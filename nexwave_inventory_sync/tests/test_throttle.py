import unittest

from nexwave_inventory_sync.sync.throttle import BucketModel, QueryCost, ThrottleStatus, throttled_wait

EXTENSIONS = {
    "cost": {
        "requestedQueryCost": 502,
        "actualQueryCost": 480,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1520, "restoreRate": 100.0},
    }
}


class ThrottleModelTest(unittest.TestCase):
    def test_parses_extensions_cost(self):
        cost = QueryCost.from_extensions(EXTENSIONS)
        self.assertEqual((cost.requested, cost.actual), (502, 480))
        self.assertEqual(cost.throttle_status, ThrottleStatus(2000, 1520, 100))
        self.assertIsNone(QueryCost.from_extensions({}))
        self.assertIsNone(QueryCost.from_extensions(None))

    def test_unknown_bucket_never_waits(self):
        self.assertEqual(BucketModel().wait_before(500, now=0), 0)

    def test_no_wait_while_the_bucket_holds_enough(self):
        bucket = BucketModel()
        bucket.observe(ThrottleStatus(2000, 1520, 100), now=10, send_number=bucket.next_send_number())
        self.assertEqual(bucket.wait_before(502, now=10), 0)
        self.assertEqual(bucket.wait_before(10, now=10), 0)

    def test_waits_exactly_for_the_missing_points(self):
        bucket = BucketModel()
        bucket.observe(ThrottleStatus(2000, 100, 100), now=10, send_number=bucket.next_send_number())
        # 402 points short at 100/s, plus one point for Shopify's rounding down
        self.assertAlmostEqual(bucket.wait_before(502, now=10), 4.03)
        # two seconds later 200 points have come back
        self.assertAlmostEqual(bucket.wait_before(502, now=12), 2.03)
        self.assertEqual(bucket.wait_before(502, now=20), 0)

    def test_refill_is_capped_at_the_maximum(self):
        bucket = BucketModel()
        bucket.observe(ThrottleStatus(1000, 0, 50), now=0, send_number=bucket.next_send_number())
        self.assertEqual(bucket.available_at(now=1000), 1000)

    def test_reservations_count_against_the_bucket(self):
        bucket = BucketModel()
        bucket.observe(ThrottleStatus(1000, 600, 100), now=0, send_number=bucket.next_send_number())
        self.assertEqual(bucket.acquire(500, now=0), 0)  # 600 free: this call goes at once
        self.assertAlmostEqual(bucket.wait_before(500, now=0), 4.01)
        bucket.release(500)
        self.assertEqual(bucket.wait_before(500, now=0), 0)

    def test_throttled_wait_formula(self):
        self.assertEqual(throttled_wait(502, ThrottleStatus(2000, 102, 100)), 4.0)
        self.assertEqual(throttled_wait(50, ThrottleStatus(2000, 102, 100)), 0)

    def test_acquire_reserves_so_parallel_callers_queue_up(self):
        bucket = BucketModel()
        bucket.observe(ThrottleStatus(2000, 0, 100), now=0, send_number=bucket.next_send_number())
        waits = [bucket.acquire(10, now=0) for _ in range(4)]
        # each caller waits for its own 10 points on top of those reserved before it
        self.assertEqual([round(w, 2) for w in waits], [0.11, 0.21, 0.31, 0.41])

    def test_an_older_answer_read_late_does_not_undo_a_newer_one(self):
        # Two 10-point calls in flight. Shopify took the first, then the second: the answer to
        # the second (1 point left) counts both; the answer to the first (11 left) was computed
        # before the second was charged. Their threads read them the other way round.
        bucket = BucketModel()
        first, second = bucket.next_send_number(), bucket.next_send_number()
        bucket.observe(ThrottleStatus(2000, 1, 100), now=0, send_number=second)
        bucket.observe(ThrottleStatus(2000, 11, 100), now=0, send_number=first)
        self.assertEqual(bucket.available_at(now=0), 1)
        # the next 10-point call waits for its points (and the rounding point) instead of going
        # at once into a THROTTLED answer
        self.assertAlmostEqual(bucket.wait_before(10, now=0), 0.1)

    def test_calls_that_left_together_may_reach_shopify_in_either_order(self):
        # Sent first and second, taken by Shopify second and first: the answer to the call sent
        # first (1 left) is the newer one, read after the other (11 left).
        bucket = BucketModel()
        first, second = bucket.next_send_number(), bucket.next_send_number()
        bucket.observe(ThrottleStatus(2000, 11, 100), now=0, send_number=second)
        bucket.observe(ThrottleStatus(2000, 1, 100), now=0, send_number=first)
        self.assertEqual(bucket.available_at(now=0), 1)

    def test_an_answer_to_a_later_call_is_adopted_even_when_it_reports_more(self):
        # Shopify refunds what a query did not use, and the bucket refills: the answer to a call
        # sent after the last figure was read is the true one, higher or not.
        bucket = BucketModel()
        bucket.observe(ThrottleStatus(2000, 100, 100), now=0, send_number=bucket.next_send_number())
        bucket.observe(ThrottleStatus(2000, 122, 100), now=0, send_number=bucket.next_send_number())
        self.assertEqual(bucket.available_at(now=0), 122)
