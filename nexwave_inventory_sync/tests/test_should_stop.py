"""SyncOptions.should_stop: a caller's stop (the CLI's Ctrl-C / SIGTERM) ends the run before
the next batch, like a deadline: the batches in flight are folded in, the rest counted as not
sent, and the run is Partial, not aborted."""

from nexwave_inventory_sync.sync.results import RunStatus, StockRow

from .emulated_shop import EmulatedShopTest

ITEM = "gid://shopify/InventoryItem/{}"
LOC = "gid://shopify/Location/1"


class ShouldStopTest(EmulatedShopTest):
    items = 1000

    def rows(self):
        return [StockRow(LOC, 3, inventory_item_id=ITEM.format(i), ref=f"I-{i}") for i in range(1, 1001)]

    def run_stopped_after(self, batches, concurrency):
        landed = []

        def on_checkpoint(checkpoint):
            landed.extend(checkpoint.confirmed)

        result = self.sync(
            self.rows(),
            concurrency=concurrency,
            on_checkpoint=on_checkpoint,
            should_stop=lambda: len(landed) >= batches * 250,
        )
        return result, landed

    def test_stop_before_the_next_batch_counts_the_rest_as_not_sent(self):
        result, landed = self.run_stopped_after(1, concurrency=1)
        self.assertEqual(self.emulator.stats.mutations_applied, 1)
        self.assertEqual((result.pushed, result.not_sent), (250, 750))
        self.assertFalse(result.aborted)
        self.assertFalse(result.deadline_reached)
        self.assertEqual(result.status, RunStatus.PARTIAL)
        self.assertTrue(result.error.startswith("stopped:"), result.error)
        self.assertEqual(result.accounted, result.considered)
        self.assertEqual({lv.key for lv in result.confirmed}, {lv.key for lv in landed})
        self.assertEqual(
            sum(1 for i in range(1, 1001) if self.catalog.available(ITEM.format(i), LOC) == 3), 250
        )

    def test_batches_in_flight_are_folded_in_and_nothing_is_sent_after(self):
        result, landed = self.run_stopped_after(1, concurrency=4)
        sent = self.emulator.stats.mutations_applied
        self.assertLess(sent, 4)  # the first batch goes alone; the stop came before the fourth
        self.assertEqual(result.pushed, sent * 250)
        self.assertEqual(result.not_sent, 1000 - sent * 250)
        self.assertEqual(result.accounted, result.considered)
        self.assertEqual(len(landed), sent * 250)
        on_shopify = sum(1 for i in range(1, 1001) if self.catalog.available(ITEM.format(i), LOC) == 3)
        self.assertEqual(on_shopify, sent * 250)

    def test_no_stop_asked_runs_to_the_end(self):
        result = self.sync(self.rows(), should_stop=lambda: False)
        self.assertEqual(result.status, RunStatus.SUCCESS)
        self.assertEqual(result.pushed, 1000)
