"""A reconciliation against the emulator: read, compare, correct with compare-and-set."""

from nexwave_inventory_sync.sync.reconcile import ReconcileOptions, reconcile
from nexwave_inventory_sync.sync.run import SyncOptions

from .emulated_shop import EmulatedShopTest

LOC = "gid://shopify/Location/1"


def item(i):
    return f"gid://shopify/InventoryItem/{i}"


class ReconcileTest(EmulatedShopTest):
    items = 50

    def setUp(self):
        super().setUp()
        self.rows = self.warm_rows(quantity=lambda i, j: 10)
        self.sync(self.rows)

    def run_reconcile(self, **kw):
        kw.setdefault("sync", SyncOptions(timeout=(2.0, 5.0)))
        return reconcile(self.endpoint(), self.rows, options=ReconcileOptions(**kw), clock=self.clock)

    def test_nothing_drifted(self):
        result = self.run_reconcile()
        self.assertEqual((result.plan.compared, len(result.plan.drifted), result.corrected), (50, 0, 0))
        self.assertIsNone(result.correction)
        self.assertEqual(len(result.confirmed), 50)
        self.assertEqual(result.read_method, "pages")

    def test_admin_edit_up_is_corrected_a_shortfall_only_the_second_time(self):
        self.catalog.adjust_available(item(1), LOC, +5)  # admin typed 15
        self.catalog.adjust_available(item(2), LOC, -4)  # sold on Shopify, or a miscount
        first = self.run_reconcile()
        self.assertEqual(first.corrected, 1)
        self.assertEqual(first.remaining, 1)
        self.assertEqual(self.catalog.available(item(1), LOC), 10)
        self.assertEqual(self.catalog.available(item(2), LOC), 6)
        second = self.run_reconcile(previous_shortfalls=first.shortfalls)
        self.assertEqual((second.corrected, second.remaining), (1, 0))
        self.assertEqual(self.catalog.available(item(2), LOC), 10)
        levels = {c.inventory_item_id: c.quantity for c in second.confirmed}
        self.assertEqual(levels[item(2)], 10)

    def test_a_first_seen_shortfall_keeps_its_previous_confirmed_level(self):
        # Shopify sold 4 that ERPNext has not imported: confirming Shopify's 6 would let the next
        # delta run push 10 over the sale with a compare-and-set that agrees.
        self.catalog.adjust_available(item(2), LOC, -4)
        self.catalog.adjust_available(item(3), LOC, +2)
        previous = {(item(i), LOC): 10 for i in range(1, 51)}
        first = self.run_reconcile(previous_levels=previous)
        levels = {c.inventory_item_id: c.quantity for c in first.confirmed}
        self.assertEqual((levels[item(2)], levels[item(3)], levels[item(4)]), (10, 10, 10))
        self.assertEqual(len(first.confirmed), 50)
        # Without a previous level the figure read is all there is.
        alone = self.run_reconcile(correct=False)
        self.assertEqual({c.inventory_item_id: c.quantity for c in alone.confirmed}[item(2)], 6)
        # The shortfall still there next time is corrected and confirmed at ERPNext's figure.
        second = self.run_reconcile(previous_levels=previous, previous_shortfalls=first.shortfalls)
        self.assertEqual({c.inventory_item_id: c.quantity for c in second.confirmed}[item(2)], 10)
        self.assertEqual(self.catalog.available(item(2), LOC), 10)

    def test_a_kept_level_keeps_the_sales_it_held_back(self):
        # Item 2's level was set at 7 of ERPNext's 10, 3 sales kept back (N1); Shopify shows the
        # 7: a first-seen shortfall of 3 keeps the level, and with it the 3 held, or the next
        # delta run would send 10 over the sales. A level read anew (item 3, corrected) holds none.
        from nexwave_inventory_sync.sync.delta import ConfirmedLevel

        self.catalog.set_available(item(2), LOC, 7)
        self.catalog.set_available(item(3), LOC, 12)
        previous = {(item(i), LOC): ConfirmedLevel(item(i), LOC, 10) for i in range(1, 51)}
        previous[(item(2), LOC)] = ConfirmedLevel(item(2), LOC, 7, held=3)
        previous[(item(3), LOC)] = ConfirmedLevel(item(3), LOC, 10, held=2)
        first = self.run_reconcile(previous_levels=previous)
        levels = {c.inventory_item_id: (c.quantity, c.held) for c in first.confirmed}
        self.assertEqual((levels[item(2)], levels[item(3)], levels[item(4)]), ((7, 3), (10, 0), (10, 0)))

    def test_a_grown_shortfall_not_corrected_keeps_its_previous_confirmed_level(self):
        self.catalog.adjust_available(item(2), LOC, -5)  # 2 seen last time, 3 more since
        previous = {(item(i), LOC): 10 for i in range(1, 51)}
        report = self.run_reconcile(
            correct=False, previous_levels=previous, previous_shortfalls={(item(2), LOC): 2}
        )
        self.assertEqual(report.plan.drifted[0].action, "partial")
        self.assertEqual({c.inventory_item_id: c.quantity for c in report.confirmed}[item(2)], 10)
        # Corrected, it is confirmed at what the correction set: Shopify's 5 plus the 2 seen before.
        fixed = self.run_reconcile(previous_levels=previous, previous_shortfalls={(item(2), LOC): 2})
        self.assertEqual({c.inventory_item_id: c.quantity for c in fixed.confirmed}[item(2)], 7)
        self.assertEqual(self.catalog.available(item(2), LOC), 7)

    def test_a_corrected_shortfall_is_forgotten_a_partly_corrected_one_keeps_its_new_part(self):
        # Corrected in full: a new sale of the same size next time is a new shortfall, not
        # the old one still there (it was remembered and corrected at once).
        self.catalog.adjust_available(item(1), LOC, -2)
        self.catalog.adjust_available(item(2), LOC, -5)
        seen = {(item(1), LOC): 2, (item(2), LOC): 2}  # item 2: 2 seen last time, 3 more since
        result = self.run_reconcile(previous_shortfalls=seen)
        self.assertEqual(
            (self.catalog.available(item(1), LOC), self.catalog.available(item(2), LOC)), (10, 7)
        )
        self.assertEqual(result.shortfalls, {(item(2), LOC): 3})
        self.catalog.adjust_available(item(1), LOC, -2)  # a new sale ERPNext has not imported
        self.run_reconcile(previous_shortfalls=result.shortfalls)
        self.assertEqual(self.catalog.available(item(1), LOC), 8)
        self.assertEqual(self.catalog.available(item(2), LOC), 10)  # its 3 survived a round

    def test_progress_rises_through_the_read_and_the_correction_to_100(self):
        for i in range(1, 31):
            self.catalog.adjust_available(item(i), LOC, +1)  # 30 rows to correct
        for method, sync in (
            ("pages", SyncOptions(timeout=(2.0, 5.0))),
            ("bulk", SyncOptions(timeout=(2.0, 5.0), bulk_poll_interval=1.0)),
        ):
            with self.subTest(method=method):
                seen = []
                result = reconcile(
                    self.endpoint(),
                    self.rows,
                    options=ReconcileOptions(read_method=method, sync=sync),
                    clock=self.clock,
                    progress=lambda percent, stage, seen=seen: seen.append((percent, stage)),
                )
                self.assertEqual(result.read_method, method)
                percents = [p for p, _ in seen]
                self.assertEqual(percents, sorted(percents))
                self.assertEqual(seen[-1], (100, "done"))
                stages = [stage for _, stage in seen]
                self.assertEqual(list(dict.fromkeys(stages)), ["read", "correct", "done"])
                # The read moved the bar before the correction, whose batch moved it again.
                self.assertTrue(any(0 < p < 80 for p, s in seen if s == "read"), seen)
                self.assertEqual([p for p, s in seen if s == "correct"], [80, 99])
                self.assertEqual(result.corrected, 30)
                for i in range(1, 31):
                    self.catalog.adjust_available(item(i), LOC, +1)

    def test_report_only(self):
        self.catalog.adjust_available(item(1), LOC, +5)
        result = self.run_reconcile(correct=False)
        self.assertEqual((len(result.plan.drifted), result.corrected), (1, 0))
        self.assertEqual(self.catalog.available(item(1), LOC), 15)

    def test_bulk_read_gives_the_same_answer(self):
        self.catalog.adjust_available(item(3), LOC, +2)
        result = self.run_reconcile(
            read_method="bulk", sync=SyncOptions(timeout=(2.0, 5.0), bulk_poll_interval=1.0)
        )
        self.assertEqual((result.read_method, result.corrected), ("bulk", 1))

    def test_a_failed_bulk_read_falls_back_to_pages(self):
        self.emulator.bulk.fail_next("INTERNAL_SERVER_ERROR")
        result = self.run_reconcile(
            read_method="bulk", sync=SyncOptions(timeout=(2.0, 5.0), bulk_poll_interval=1.0)
        )
        self.assertEqual((result.read_method, result.plan.compared), ("pages", 50))

    def test_a_failed_download_or_a_lost_operation_falls_back_to_pages(self):
        # D15: the download's network errors escaped reconcile(); a lost operation took 30 minutes.
        bulk = self.emulator.bulk
        for fault in (
            lambda: bulk.fail_download("refused"),
            lambda: bulk.fail_download("cut_off"),
            lambda: bulk.fail_download("status", status=500),
            bulk.lose_next,
        ):
            fault()
            self.catalog.adjust_available(item(4), LOC, +1)
            started = self.clock.now()
            result = self.run_reconcile(
                read_method="bulk", sync=SyncOptions(timeout=(2.0, 5.0), bulk_poll_interval=1.0)
            )
            self.assertLess(self.clock.now() - started, 60)
            self.assertEqual((result.read_method, result.plan.compared, result.corrected), ("pages", 50, 1))
            self.assertFalse(result.aborted)


class SalesDuringTheCorrection:
    """Shop activity: Shopify sells `units` of `item` just before the request `at` (counted
    from 1) and every request of `again` after it: sales between the read and the correction."""

    def __init__(self, catalog, item_id, at, units=1, again=()):
        self.catalog, self.item_id, self.at, self.units, self.again = catalog, item_id, at, units, set(again)
        self.requests = 0

    def play_until(self, _now):
        self.requests += 1
        if self.requests == self.at or self.requests in self.again:
            self.catalog.adjust_available(self.item_id, LOC, -self.units)


class CorrectionConflictTest(EmulatedShopTest):
    items = 3

    def setUp(self):
        super().setUp()
        self.rows = self.warm_rows(quantity=lambda i, j: 10)
        self.sync(self.rows)

    def reconcile_with_a_sale(self, policy, at=2, again=()):
        self.catalog.adjust_available(item(1), LOC, +2)  # an admin edit: Shopify 12, ERPNext 10
        # Request 1 is the level read, 2 the correction: the sale lands between them.
        self.emulator.activity = SalesDuringTheCorrection(self.catalog, item(1), at, again=again)
        return reconcile(
            self.endpoint(),
            self.rows,
            options=ReconcileOptions(
                read_method="pages", sync=SyncOptions(timeout=(2.0, 5.0), conflict_policy=policy)
            ),
            clock=self.clock,
        )

    def test_a_sale_between_the_read_and_the_correction_is_kept(self):
        # D14: read 12, sold 1 (11), the correction of 12 -> 10 is stale. The unit sold is not
        # in ERPNext's 10: keep-shopify-sales sets 9 (settle() for a delta row set 10).
        result = self.reconcile_with_a_sale("keep-shopify-sales")
        self.assertEqual(self.catalog.available(item(1), LOC), 9)
        [conflict] = result.correction.conflict_rows
        self.assertEqual(
            (conflict.erpnext, conflict.confirmed, conflict.shopify, conflict.sent, conflict.outcome),
            (10, 12, 11, 9, "resolved"),
        )
        self.assertEqual((result.corrected, result.remaining, result.correction.held), (1, 0, 0))
        self.assertEqual(result.correction.status.value, "Success")
        self.assertEqual({c.inventory_item_id: c.quantity for c in result.confirmed}[item(1)], 9)

    def test_erpnext_wins_and_hold_do_what_they_say(self):
        result = self.reconcile_with_a_sale("erpnext-wins")
        self.assertEqual(self.catalog.available(item(1), LOC), 10)
        self.assertEqual(result.correction.conflict_rows[0].outcome, "resolved")

    def test_hold_leaves_shopify_as_it_is(self):
        result = self.reconcile_with_a_sale("hold")
        self.assertEqual(self.catalog.available(item(1), LOC), 11)
        self.assertEqual((result.corrected, result.correction.held), (0, 1))
        self.assertEqual(result.correction.status.value, "Partial")

    def test_a_row_that_keeps_selling_is_repeated_twice_then_left_unsettled(self):
        # Sold again before each resend (requests 2, then 4, 6, 8: each resend follows a read).
        result = self.reconcile_with_a_sale("keep-shopify-sales", again=(4, 6, 8))
        [conflict] = result.correction.conflict_rows
        self.assertEqual((conflict.outcome, conflict.attempts), ("unsettled", 3))
        self.assertEqual((result.corrected, result.correction.held), (0, 1))
        self.assertEqual(self.catalog.available(item(1), LOC), 8)  # 12 less 4 sales, never overwritten


class TargetedReconcileTest(EmulatedShopTest):
    """read_method="levels" (a webhook's check): only the given rows' own levels are read, by id,
    and the reconciliation's rules apply to them as to a whole-location read."""

    items = 50

    def test_only_the_given_rows_are_read_and_an_admin_edit_among_them_is_corrected(self):
        rows = self.warm_rows(quantity=lambda i, j: 10)
        self.sync(rows)
        self.catalog.adjust_available(item(3), LOC, +5)  # admin typed 15
        self.catalog.adjust_available(item(40), LOC, +5)  # not among the rows checked
        checked = [row for row in rows if row.inventory_item_id in (item(2), item(3))]
        options = ReconcileOptions(read_method="levels", sync=SyncOptions(timeout=(2.0, 5.0)))
        result = reconcile(self.endpoint(), checked, options=options, clock=self.clock)
        self.assertEqual(result.read_method, "levels")
        self.assertEqual(result.read_calls, 1)  # one nodes() call, not the location's pages
        self.assertEqual((result.plan.compared, result.corrected), (len(checked), 1))
        self.assertEqual(self.catalog.available(item(3), LOC), 10)
        self.assertEqual(self.catalog.available(item(40), LOC), 15)  # left to the full read
