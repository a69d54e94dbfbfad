"""Each row of the retry table, over real HTTP, with the emulator injecting the fault."""

from nexwave_inventory_sync.emulator import Fault
from nexwave_inventory_sync.sync.results import RunStatus

from .emulated_shop import EmulatedShopTest

MUTATION = "SetInventoryQuantities"


class RetryOverHttpTest(EmulatedShopTest):
    items = 750  # three batches

    def run_with(self, *faults, concurrency=1):
        """One batch at a time, so each scripted fault meets a known call."""
        self.emulator.faults.script(*faults, operation=MUTATION)
        rows = self.warm_rows()
        return rows, self.sync(rows, concurrency=concurrency)

    def test_429_honours_retry_after_then_succeeds(self):
        rows, result = self.run_with(Fault.status(429, retry_after="1.5"))
        self.assertEqual((result.pushed, result.retries, result.api_calls), (750, 1, 4))
        self.assertAlmostEqual(result.seconds_waited, 1.5)
        self.assertEqual(result.status, RunStatus.SUCCESS)
        self.assertShopifyEquals(rows)

    def test_throttled_answer_waits_and_retries(self):
        rows, result = self.run_with(Fault.throttled())
        self.assertEqual((result.pushed, result.throttled_answers, result.retries), (750, 1, 1))
        self.assertShopifyEquals(rows)

    def test_5xx_backs_off_and_retries(self):
        rows, result = self.run_with(Fault.status(503), Fault.html(502))
        self.assertEqual((result.pushed, result.retries, result.api_calls), (750, 2, 5))
        self.assertGreaterEqual(result.seconds_waited, 6.0)  # 2 s + 4 s, plus jitter
        self.assertLessEqual(result.seconds_waited, 7.5)
        self.assertShopifyEquals(rows)

    def test_5xx_three_times_fails_only_that_batch(self):
        rows, result = self.run_with(Fault.status(500), Fault.status(500), Fault.status(500))
        self.assertEqual(
            (result.pushed, result.failed, result.batches_failed, result.batches_ok), (500, 250, 1, 2)
        )
        self.assertEqual(result.retries, 2)
        self.assertTrue(all("500" in f.message or "server" in f.message.lower() for f in result.failures))
        self.assertEqual(result.status, RunStatus.PARTIAL)
        self.assertTrue(result.any_batch_succeeded)

    def test_dropped_connection_is_retried(self):
        rows, result = self.run_with(Fault.drop())
        self.assertEqual((result.pushed, result.retries), (750, 1))
        self.assertShopifyEquals(rows)

    def test_slow_answer_past_the_read_timeout_is_retried(self):
        # 2025-01 has no idempotency key, so the retry cannot meet the first attempt still
        # running (that case: test_hardening's concurrent-request tests).
        self.emulator.faults.script(Fault.delay(2.0), operation=MUTATION)
        rows = self.warm_rows()
        result = self.sync(rows, timeout=(2.0, 1.0), concurrency=1, api_version="2025-01")
        self.assertEqual((result.pushed, result.retries), (750, 1))
        self.assertShopifyEquals(rows)

    def test_lost_answer_after_apply_is_applied_once(self):
        rows, result = self.run_with(Fault.drop_after_apply())
        self.assertEqual((result.pushed, result.retries), (750, 1))
        self.assertEqual(self.emulator.stats.mutations_applied, 3)
        self.assertEqual(self.emulator.stats.idempotent_replays, 1)
        keys = [r["idempotency_key"] for r in self.emulator.stats.requests if r["operation"] == MUTATION]
        self.assertEqual(len(keys), 4)
        self.assertEqual(keys[0], keys[1])  # the retry reused its batch's key
        self.assertEqual(len(set(keys)), 3)

    def test_body_that_is_not_json_is_retried_once_then_fails_the_batch(self):
        # Most often an answer cut off on the way: one retry with the same key.
        rows, result = self.run_with(Fault.invalid_json(200))
        self.assertEqual((result.pushed, result.failed, result.retries), (750, 0, 1))
        self.emulator.stats.reset()
        rows, result = self.run_with(Fault.invalid_json(200), Fault.html(200))
        self.assertEqual((result.pushed, result.failed, result.retries, result.api_calls), (500, 250, 1, 4))
        self.assertEqual(result.failures[0].code, "BAD_RESPONSE")

    def test_4xx_fails_the_batch_at_once_with_the_message(self):
        rows, result = self.run_with(Fault.status(422, body='{"errors":"Unprocessable: bad input"}'))
        self.assertEqual((result.pushed, result.failed, result.retries), (500, 250, 0))
        self.assertIn("Unprocessable: bad input", result.failures[0].message)

    def test_401_aborts_after_the_first_call(self):
        # Default concurrency: the first batch goes alone, so the abort still costs one call.
        rows, result = self.run_with(Fault.status(401), concurrency=4)
        self.assertTrue(result.aborted)
        self.assertEqual(result.abort_kind, "auth")
        self.assertEqual((result.api_calls, result.pushed, result.batches_ok), (1, 0, 0))
        self.assertEqual(result.status, RunStatus.ABORTED)
        self.assertFalse(result.any_batch_succeeded)
        self.assertEqual(self.emulator.stats.calls, 1)

    def test_wrong_token_aborts_after_the_first_call(self):
        result = self.sync(self.warm_rows(), token="shpat_wrong")
        self.assertEqual((result.aborted, result.abort_kind, result.api_calls), (True, "auth", 1))

    def test_locked_and_frozen_shops_abort_with_the_reason(self):
        for status, word in ((423, "locked"), (402, "frozen")):
            with self.subTest(status=status):
                self.emulator.stats.reset()
                self.emulator.faults.script(Fault.status(status), operation=MUTATION)
                result = self.sync(self.warm_rows(), concurrency=4)
                self.assertTrue(result.aborted)
                self.assertIn(word, result.abort_reason)
                self.assertEqual(result.api_calls, 1)

    def test_abort_midway_keeps_what_landed(self):
        self.emulator.faults.script(None, Fault.status(401), operation=MUTATION)
        result = self.sync(self.warm_rows(), concurrency=1)
        self.assertEqual(
            (result.aborted, result.pushed, result.batches_ok, result.api_calls), (True, 250, 1, 2)
        )
        self.assertTrue(result.any_batch_succeeded)
