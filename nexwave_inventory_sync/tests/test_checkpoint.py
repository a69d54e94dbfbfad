"""Checkpoints: a caller hears what a run confirmed as it goes, so a killed worker loses none of it."""

from nexwave_inventory_sync.sync.limits import BATCH_SIZE

from .emulated_shop import EmulatedShopTest


class CheckpointTest(EmulatedShopTest):
    items = 600

    def test_ids_are_reported_before_their_batches_and_counts_after_each_batch(self):
        seen = []
        batches_at_call = []

        def on_checkpoint(checkpoint):
            seen.append(checkpoint)
            batches_at_call.append(self.mutation_calls())

        rows = self.sku_rows(600)
        result = self.sync(iter(rows), chunk_rows=300, concurrency=1, on_checkpoint=on_checkpoint)
        learnt = [c for c in seen if c.resolved]
        # Two chunks of 300: each chunk's ids come before that chunk's batches are sent.
        self.assertEqual([len(c.resolved) for c in learnt], [300, 300])
        self.assertEqual(batches_at_call[seen.index(learnt[0])], 0)
        self.assertEqual(
            {r.inventory_item_id for c in learnt for r in c.resolved},
            {f"gid://shopify/InventoryItem/{i}" for i in range(1, 601)},
        )
        counts = [c for c in seen if not c.resolved]
        self.assertEqual([c.batches_done for c in counts], list(range(1, result.batches_ok + 1)))
        self.assertEqual(counts[-1].pushed, result.pushed)
        self.assertEqual(counts[0].pushed, BATCH_SIZE)

    def test_a_warm_run_reports_no_ids(self):
        seen = []
        self.sync(self.warm_rows(300), on_checkpoint=seen.append)
        self.assertTrue(seen)
        self.assertEqual([c.resolved for c in seen if c.resolved], [])
