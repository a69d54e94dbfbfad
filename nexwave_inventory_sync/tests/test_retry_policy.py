"""The retry policy table, tested directly: every error kind, every budget."""

import random
import unittest

from nexwave_inventory_sync.sync.errors import (
    AuthError,
    BadResponse,
    ConnectionFailed,
    DeadlineReached,
    IdempotencyInProgress,
    InvalidRequest,
    RateLimited,
    Redirected,
    ServerError,
    ShopUnavailable,
    Stopped,
    Throttled,
    Unreachable,
    classify_response,
)
from nexwave_inventory_sync.sync.retry import ACTIONS, Action, RetryPolicy


def error_for(status, body, headers=None):
    _, error = classify_response(status, headers or {}, body)
    return error


class RetryTableTest(unittest.TestCase):
    policy = RetryPolicy(jitter=0.0)

    def test_every_kind_has_an_action(self):
        kinds = {
            cls.kind
            for cls in (
                AuthError,
                BadResponse,
                ConnectionFailed,
                DeadlineReached,
                IdempotencyInProgress,
                InvalidRequest,
                RateLimited,
                Redirected,
                ServerError,
                ShopUnavailable,
                Stopped,
                Throttled,
                Unreachable,
            )
        }
        self.assertEqual(kinds, set(ACTIONS))

    def test_429_honours_retry_after_including_fractions(self):
        error = error_for(
            429, '{"errors":"Exceeded 2 calls per second for api client."}', {"Retry-After": "1.5"}
        )
        self.assertIsInstance(error, RateLimited)
        decision = self.policy.decide(error, 0)
        self.assertEqual((decision.action, decision.wait), (Action.RETRY, 1.5))

    def test_429_retry_after_is_capped(self):
        error = error_for(429, '{"errors":"slow down"}', {"Retry-After": "3600"})
        self.assertEqual(RetryPolicy(retry_after_cap=30).decide(error, 0).wait, 30)

    def test_429_without_header_uses_the_default(self):
        error = error_for(429, '{"errors":"slow down"}')
        self.assertEqual(self.policy.decide(error, 0).wait, self.policy.retry_after_default)

    def test_429_budget_runs_out(self):
        error = error_for(429, '{"errors":"slow down"}', {"Retry-After": "1"})
        self.assertIs(self.policy.decide(error, self.policy.rate_limited_retries).action, Action.FAIL_BATCH)

    def test_throttled_waits_for_the_missing_points(self):
        body = (
            '{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],'
            '"extensions":{"cost":{"requestedQueryCost":502,"actualQueryCost":null,'
            '"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":102,"restoreRate":100}}}}'
        )
        for status in (200, 429):
            with self.subTest(status=status):
                error = error_for(status, body)
                self.assertIsInstance(error, Throttled)
                decision = self.policy.decide(error, 0)
                self.assertEqual(decision.action, Action.RETRY)
                self.assertAlmostEqual(decision.wait, (502 - 102) / 100)

    def test_5xx_backs_off_2_then_4_then_fails(self):
        error = error_for(503, '{"errors":"unavailable"}')
        self.assertIsInstance(error, ServerError)
        self.assertEqual([self.policy.decide(error, n).wait for n in (0, 1)], [2.0, 4.0])
        self.assertIs(self.policy.decide(error, 2).action, Action.FAIL_BATCH)

    def test_backoff_jitter_stays_within_a_quarter(self):
        policy = RetryPolicy(jitter=0.25)
        rng = random.Random(7)
        waits = [policy.decide(ServerError("x", status=500), 0, rng=rng).wait for _ in range(200)]
        self.assertTrue(all(2.0 <= w <= 2.5 for w in waits))
        self.assertGreater(len(set(waits)), 1)

    def test_5xx_html_page_is_still_a_server_error(self):
        self.assertIsInstance(error_for(502, "<html><body>Bad Gateway</body></html>"), ServerError)

    def test_connection_failures_back_off_like_5xx(self):
        error = ConnectionFailed("connection failed: ReadTimeout")
        self.assertEqual(
            [self.policy.decide(error, n).action for n in (0, 1, 2)],
            [Action.RETRY, Action.RETRY, Action.FAIL_BATCH],
        )

    def test_401_aborts_the_run(self):
        error = error_for(
            401, '{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}'
        )
        self.assertIsInstance(error, AuthError)
        self.assertIs(self.policy.decide(error, 0).action, Action.ABORT_RUN)

    def test_frozen_forbidden_and_locked_shops_abort(self):
        for status, words in ((402, "frozen"), (403, "forbidden"), (423, "locked")):
            with self.subTest(status=status):
                error = error_for(status, '{"errors":"nope"}')
                self.assertIsInstance(error, ShopUnavailable)
                self.assertIn(words, str(error))
                self.assertIs(self.policy.decide(error, 0).action, Action.ABORT_RUN)

    def test_access_denied_graphql_error_aborts_like_403(self):
        error = error_for(
            200,
            '{"errors":[{"message":"Access denied for inventoryItems field.","extensions":{"code":"ACCESS_DENIED"}}]}',
        )
        self.assertIsInstance(error, ShopUnavailable)
        self.assertIs(self.policy.decide(error, 0).action, Action.ABORT_RUN)

    def test_other_4xx_fail_the_batch_at_once_with_the_message(self):
        for status in (400, 404, 422):
            with self.subTest(status=status):
                error = error_for(status, '{"errors":"Field is invalid"}')
                self.assertIsInstance(error, InvalidRequest)
                self.assertIn("Field is invalid", str(error))
                self.assertIs(self.policy.decide(error, 0).action, Action.FAIL_BATCH)

    def test_graphql_errors_fail_the_batch(self):
        error = error_for(
            200, '{"errors":[{"message":"Field \'nope\' doesn\'t exist on type \'QueryRoot\'"}]}'
        )
        self.assertIsInstance(error, InvalidRequest)
        self.assertIs(self.policy.decide(error, 0).action, Action.FAIL_BATCH)

    def test_bodies_that_are_not_json_are_retried_once_then_fail_the_batch(self):
        for body in ("<html>Something went wrong</html>", '{"data": {"trunc', ""):
            with self.subTest(body=body):
                error = error_for(200, body)
                self.assertIsInstance(error, BadResponse)
                self.assertEqual(self.policy.decide(error, 0).action, Action.RETRY)
                self.assertIs(self.policy.decide(error, 1).action, Action.FAIL_BATCH)

    def test_total_wait_cap_stops_retrying(self):
        error = error_for(429, '{"errors":"slow down"}', {"Retry-After": "10"})
        self.assertIs(RetryPolicy(max_wait_per_call=15).decide(error, 0, waited=10).action, Action.FAIL_BATCH)

    def test_a_good_answer_is_no_error(self):
        body, error = classify_response(200, {}, '{"data":{"shop":{"id":"gid://shopify/Shop/1"}}}')
        self.assertIsNone(error)
        self.assertEqual(body["data"]["shop"]["id"], "gid://shopify/Shop/1")
