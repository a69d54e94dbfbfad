"""The push path's defects found by the December 2026 review (issue 15, D1 D10 D11 D12 D13 D16):
whatever happens to a run, the next settled run leaves Shopify at the figure ERPNext and the
conflict policy call for, and every row is in exactly one count. Driven through the emulator
over HTTP; each test failed before its fix."""

from __future__ import annotations

import unittest

from graphql import parse
from graphql.execution.values import get_variable_values

from nexwave_inventory_sync.emulator import Fault
from nexwave_inventory_sync.sync import documents, push
from nexwave_inventory_sync.sync.conflicts import ConflictPolicy
from nexwave_inventory_sync.sync.delta import ConfirmedLevel, select_delta
from nexwave_inventory_sync.sync.results import RunStatus, StockRow
from nexwave_inventory_sync.sync.retry import NO_WAIT

from .emulated_shop import EmulatedShopTest
from .test_schema_official import OFFICIAL, load_official

ITEM = "gid://shopify/InventoryItem/{}"
LOC = "gid://shopify/Location/1"
LEGACY = "2025-01"  # the compareQuantity shape (before 2026-04)


def level(i: int, quantity: int, ref: str | None = None) -> ConfirmedLevel:
    return ConfirmedLevel(ITEM.format(i), LOC, quantity, ref or f"ITEM-{i}")


def row(i: int, quantity: int, **kw) -> StockRow:
    kw.setdefault("ref", f"ITEM-{i}")
    return StockRow(location_id=LOC, quantity=quantity, inventory_item_id=ITEM.format(i), **kw)


class _Case(EmulatedShopTest):
    items = 10

    def delta(self, rows, confirmed, **options):
        options.setdefault("policy", NO_WAIT)
        result = self.sync(list(select_delta(rows, confirmed).to_push), **options)
        self.assertEqual(result.accounted, result.considered, "every row in exactly one count")
        return result

    def shop(self, confirmed, **moved):
        """Shopify shows each confirmed level, except ITEM-i at moved[f"i{i}"]."""
        for c in confirmed:
            self.catalog.set_available(c.inventory_item_id, LOC, c.quantity)
        for name, quantity in moved.items():
            self.catalog.set_available(ITEM.format(int(name[1:])), LOC, quantity)
        return confirmed

    def set_requests(self):
        return [r for r in self.emulator.stats.requests if r["operation"] == "SetInventoryQuantities"]


class RecreatedItemTest(_Case):
    """D1: a product deleted and re-created on Shopify with the same SKU."""

    def test_the_new_item_gets_erpnexts_figure_without_the_old_items_confirmed_level(self):
        for version in ("2026-10", LEGACY):
            with self.subTest(version=version):
                self.setUp()
                confirmed = self.shop([level(1, 5), level(2, 4)])
                self.catalog.remove_variant("gid://shopify/ProductVariant/1")
                new = self.catalog.add_variant("SKU-000001", quantity=0)["inventory_item_id"]
                stock = [row(1, 6, sku="SKU-000001"), row(2, 5, sku="SKU-000002")]
                result = self.delta(
                    stock,
                    confirmed,
                    api_version=version,
                    conflict_policy="keep-shopify-sales",
                )
                # Before: changeFromQuantity 5 (the old item's) met the new item's 0, a "sale"
                # of 5 was kept and Shopify got 1.
                self.assertEqual(self.catalog.available(new, LOC), 6)
                self.assertEqual((result.conflicts, result.conflict_rows), (0, ()))
                self.assertEqual(result.status, RunStatus.SUCCESS)
                self.assertIn(
                    (new, LOC, 6),
                    [(c.inventory_item_id, c.location_id, c.quantity) for c in result.confirmed],
                )
                # The old item's level names nothing now: the caller deletes it.
                self.assertEqual(
                    [(f.inventory_item_id, f.quantity) for f in result.forget], [(ITEM.format(1), 5)]
                )


class AbortAfterBatchesTest(_Case):
    """D10: a stop (locked shop, revoked token) while settling conflicts or activating items."""

    items = 400

    def test_a_stop_while_reading_conflicts_keeps_the_conflicted_rows_counted_and_listed(self):
        confirmed = self.shop([level(i, 10) for i in range(1, 5)], i1=9, i2=9)  # two conflicts
        self.emulator.faults.script(Fault.status(423), operation="InventoryLevelsAt")
        result = self.delta([row(i, 8) for i in range(1, 5)], confirmed, concurrency=1)
        self.assertEqual(result.status, RunStatus.ABORTED)
        self.assertEqual(result.pushed, 2)
        listed = {f.row.ref for f in (*result.failures, *result.unsent_rows)}
        self.assertEqual(listed, {"ITEM-1", "ITEM-2"})
        self.assertIn("Locked", result.abort_reason)

    def test_resends_that_landed_before_the_stop_are_confirmed(self):
        # 300 conflicts: the resend goes in two batches; the first lands, the second meets 423.
        confirmed = [level(i, 10) for i in range(1, 301)]
        for i in range(1, 301):
            self.catalog.set_available(ITEM.format(i), LOC, 9)
        self.emulator.faults.script(None, None, None, Fault.status(423), operation="SetInventoryQuantities")
        result = self.delta(
            [row(i, 7) for i in range(1, 301)], confirmed, conflict_policy="erpnext-wins", concurrency=1
        )
        self.assertEqual(result.status, RunStatus.ABORTED)
        self.assertEqual(result.pushed, 250)
        self.assertEqual(len(result.confirmed), 250)
        self.assertTrue(all(self.catalog.available(c.inventory_item_id, LOC) == 7 for c in result.confirmed))
        self.assertEqual(result.not_sent, 50)
        self.assertEqual({f.code for f in result.unsent_rows}, {"NOT_CONFIRMED"})

    def test_a_stop_after_activating_keeps_the_activated_push_and_the_conflicts(self):
        self.catalog.unstock(ITEM.format(3), LOC)
        confirmed = self.shop([level(1, 10), level(2, 10)], i1=9)  # a conflict
        rows = [row(1, 6), row(2, 6), row(3, 6)]
        self.emulator.faults.script(Fault.status(401), operation="InventoryLevelsAt")
        result = self.delta(rows, confirmed, activate_unstocked=True, concurrency=1)
        self.assertEqual(result.status, RunStatus.ABORTED)
        self.assertEqual(self.catalog.available(ITEM.format(3), LOC), 6)
        self.assertEqual(
            sorted((c.inventory_item_id, c.quantity) for c in result.confirmed),
            [(ITEM.format(2), 6), (ITEM.format(3), 6)],
        )
        self.assertEqual((result.pushed, result.activated), (2, 1))
        self.assertEqual([f.row.ref for f in result.failures], ["ITEM-1"])

    def test_a_stop_on_the_good_rows_resend_keeps_the_refused_rows_counted(self):
        confirmed = self.shop([level(i, 10) for i in range(1, 5)])
        self.catalog.unstock(ITEM.format(2), LOC)  # refuses the batch; the others are resent
        self.emulator.faults.script(None, Fault.status(423), operation="SetInventoryQuantities")
        result = self.delta([row(i, 8) for i in range(1, 5)], confirmed, concurrency=1)
        self.assertEqual(result.status, RunStatus.ABORTED)
        self.assertEqual(
            sorted(f.row.ref for f in result.unsent_rows), ["ITEM-1", "ITEM-2", "ITEM-3", "ITEM-4"]
        )

    def test_a_stop_while_activating_keeps_the_unstocked_rows(self):
        self.catalog.unstock(ITEM.format(3), LOC)
        self.emulator.faults.script(Fault.status(423), operation="ActivateInventory")
        result = self.delta([row(2, 6), row(3, 6)], [], activate_unstocked=True, concurrency=1)
        self.assertEqual(result.status, RunStatus.ABORTED)
        self.assertEqual(
            [(f.row.ref, f.code) for f in result.failures], [("ITEM-3", "ITEM_NOT_STOCKED_AT_LOCATION")]
        )
        self.assertEqual(result.pushed, 1)


class GoneItemTest(_Case):
    """D11: a confirmed level whose item Shopify no longer has (there)."""

    def assertDropped(self, result, i: int, quantity: int):
        self.assertEqual((result.status, result.failed, result.held), (RunStatus.SUCCESS, 0, 0), result.error)
        self.assertEqual(result.dropped, 1)
        self.assertEqual(
            [(f.inventory_item_id, f.location_id, f.quantity) for f in result.forget],
            [(ITEM.format(i), LOC, quantity)],
        )

    def test_a_zero_row_of_an_item_no_longer_stocked_there_is_dropped_not_failed(self):
        confirmed = self.shop([level(1, 5), level(2, 5)])
        self.catalog.unstock(ITEM.format(1), LOC)
        # ITEM-1 left the stock query (disabled in ERPNext); ITEM-2 unchanged: a quiet tick.
        for activate in (False, True):
            with self.subTest(activate_unstocked=activate):
                result = self.delta([row(2, 5)], confirmed, activate_unstocked=activate)
                self.assertDropped(result, 1, 5)
                self.assertEqual(result.activated, 0)  # nothing to zero: not connected just for a 0
                self.assertIsNone(self.catalog.available(ITEM.format(1), LOC))
        selection = select_delta([row(2, 5)], confirmed)
        self.assertEqual([r.zeroing for r in (*selection.rows, *selection.zero_rows)], [True])

    def test_a_zero_row_of_a_deleted_item_is_dropped_not_failed(self):
        confirmed = self.shop([level(1, 5), level(2, 5), level(3, 5)])
        self.catalog.remove_variant("gid://shopify/ProductVariant/1")
        result = self.delta([row(2, 5), row(3, 4)], confirmed)
        self.assertDropped(result, 1, 5)
        self.assertEqual(result.pushed, 1)

    def test_a_zero_row_that_meets_a_conflict_and_is_then_gone_is_dropped(self):
        confirmed = self.shop([level(1, 5)], i1=3)  # moved: a conflict
        original = self.emulator._play_activity
        calls = []

        def unstock_after_the_first_call():
            original()
            calls.append(1)
            if len(calls) == 2:  # before the conflict's read
                self.catalog.unstock(ITEM.format(1), LOC)

        self.emulator._play_activity = unstock_after_the_first_call
        result = self.delta([], confirmed, conflict_policy="erpnext-wins")
        self.assertDropped(result, 1, 5)


class LegacyMixedBatchTest(_Case):
    """D12: before 2026-04 ignoreCompareQuantity is one switch for the whole batch."""

    items = 600

    def test_never_confirmed_rows_land_beside_compared_rows(self):
        confirmed = self.shop([level(i, 5) for i in range(1, 301)])
        # 300 confirmed items moved, 300 new ones never confirmed, interleaved.
        stock = [row(i, 4) for i in range(1, 301)] + [row(i, 9) for i in range(301, 601)]
        stock = [r for pair in zip(stock[:300], stock[300:], strict=True) for r in pair]
        result = self.delta(stock, confirmed, api_version=LEGACY, concurrency=1)
        self.assertEqual((result.pushed, result.failed, result.conflicts), (600, 0, 0), result.failures[:1])
        self.assertShopifyEquals(stock)
        sent = self.set_requests()
        self.assertEqual(sorted(len(r["variables"]["input"]["quantities"]) for r in sent), [50, 50, 250, 250])
        for request in sent:
            payload = request["variables"]["input"]
            compared = ["compareQuantity" in q for q in payload["quantities"]]
            # A checked batch compares every row; an unchecked one holds no compared row.
            self.assertEqual(set(compared), {not payload["ignoreCompareQuantity"]})

    @unittest.skipUnless(OFFICIAL.is_dir(), f"Shopify's schema files are not at {OFFICIAL}")
    def test_the_batches_sent_fit_the_official_2025_01_schema(self):
        schema = load_official("admin_schema_2025-01.json.gz")
        operation = parse(documents.set_quantities_document(LEGACY)).definitions[0]
        confirmed = self.shop([level(i, 5) for i in range(1, 4)])
        stock = [row(1, 4), row(7, 9), row(2, 3), row(8, 1)]
        result = self.delta(stock, confirmed, api_version=LEGACY)
        self.assertEqual((result.pushed, result.failed), (5, 0), result.failures[:1])  # + ITEM-3 zeroed
        sent = self.set_requests()
        self.assertEqual(len(sent), 2)
        for request in sent:
            coerced = get_variable_values(schema, operation.variable_definitions, request["variables"])
            self.assertIsInstance(coerced, dict, coerced)
            payload = coerced["input"]
            has_compare = {q.get("compareQuantity") is not None for q in payload["quantities"]}
            self.assertEqual(has_compare, {not payload["ignoreCompareQuantity"]})

    def test_a_mixed_legacy_batch_is_never_built(self):
        plain = push.ReadyRow(row(1, 4), ITEM.format(1), LOC, 4)
        compared = push.ReadyRow(row(2, 4, change_from=5), ITEM.format(2), LOC, 4)
        with self.assertRaises(ValueError):
            push.mutation_variables([plain, compared], LEGACY, "run-1")
        self.assertEqual(
            [[r.inventory_item_id for r in b] for b in push.batches([plain, compared, plain], LEGACY)],
            [[ITEM.format(1), ITEM.format(1)], [ITEM.format(2)]],
        )
        self.assertEqual(len(push.batches([plain, compared], "2026-10")), 1)  # changeFromQuantity per row


class _SellBefore:
    """Shop activity: a sale of one unit of `items[n]` just before the (n+2)-th request."""

    def __init__(self, catalog, items):
        self.catalog, self.items, self.requests = catalog, items, 0

    def play_until(self, _now):
        self.requests += 1
        item = self.items.get(self.requests)
        if item is not None:
            self.catalog.sell(ITEM.format(item), LOC, 1)


class RejectedResendTest(_Case):
    """D13: a good-rows resend that meets a new conflict."""

    def stock(self):
        confirmed = self.shop([level(i, 10) for i in range(1, 7)])
        self.catalog.sell(ITEM.format(1), LOC, 1)  # a real conflict before the run
        return [row(i, 8) for i in range(1, 7)], confirmed

    def test_only_rows_shopify_named_are_conflicts_and_the_others_land(self):
        for policy in ConflictPolicy:
            with self.subTest(policy=policy.value):
                self.setUp()
                stock, confirmed = self.stock()
                self.emulator.activity = _SellBefore(self.catalog, {2: 2})  # between call and resend
                result = self.delta(stock, confirmed, conflict_policy=policy, concurrency=1)
                self.assertEqual(sorted(c.ref for c in result.conflict_rows), ["ITEM-1", "ITEM-2"])
                self.assertEqual(result.held, 2 if policy is ConflictPolicy.HOLD else 0)
                self.assertShopifyEquals(stock[2:])  # never moved on Shopify: landed
                self.assertEqual(result.failed, 0)

    def test_unnamed_rows_of_a_refused_last_resend_fail_as_batch_rejected_never_as_conflicts(self):
        stock, confirmed = self.stock()
        # A new sale before each resend: the batch and both its resends are refused.
        self.emulator.activity = _SellBefore(self.catalog, {2: 2, 3: 3})
        result = self.delta(stock, confirmed, conflict_policy="hold", concurrency=1)
        self.assertEqual(sorted(c.ref for c in result.conflict_rows), ["ITEM-1", "ITEM-2", "ITEM-3"])
        self.assertEqual(result.held, 3)
        rejected = [f for f in result.failures if f.code == push.BATCH_REJECTED]
        self.assertEqual(sorted(f.row.ref for f in rejected), ["ITEM-4", "ITEM-5", "ITEM-6"])
        self.assertTrue(all(not f.conflict and "batch rejected" in f.message for f in rejected))
        self.assertEqual(result.failed, 3)
        self.assertEqual(result.status, RunStatus.PARTIAL)
        for i in (4, 5, 6):
            self.assertEqual(self.catalog.available(ITEM.format(i), LOC), 10)  # untouched, not "held"


class AlreadyThereTest(_Case):
    """D16: Shopify already shows the figure ERPNext calls for."""

    def test_a_row_shopify_already_shows_is_confirmed_under_every_policy(self):
        for policy in ConflictPolicy:
            with self.subTest(policy=policy.value):
                self.setUp()
                # Confirmed 10; ERPNext now 7; Shopify shows 7 (an earlier write whose answer
                # was lost, an interrupted run, or a person who fixed it in admin).
                confirmed = self.shop([level(1, 10)], i1=7)
                result = self.delta([row(1, 7)], confirmed, conflict_policy=policy)
                self.assertEqual(result.status, RunStatus.SUCCESS)
                self.assertEqual((result.held, result.conflicts, result.pushed), (0, 0, 1))
                self.assertEqual(
                    [(c.inventory_item_id, c.quantity) for c in result.confirmed], [(ITEM.format(1), 7)]
                )

    def test_hold_settles_after_a_lost_answer_instead_of_holding_forever(self):
        stored = self.shop([level(1, 10)])
        # The write lands, its answer is lost, the retries meet 503: not confirmed.
        self.emulator.faults.script(
            Fault.drop_after_apply(), Fault.status(503), Fault.status(503), Fault.status(503)
        )
        first = self.delta([row(1, 7)], stored, conflict_policy="hold")
        self.assertEqual((first.confirmed, self.catalog.available(ITEM.format(1), LOC)), ((), 7))
        second = self.delta([row(1, 7)], stored, conflict_policy="hold")
        self.assertEqual(second.status, RunStatus.SUCCESS)
        self.assertEqual([c.quantity for c in second.confirmed], [7])
        self.assertEqual(select_delta([row(1, 7)], second.confirmed).to_push, ())  # settled

    def test_legacy_our_own_retried_write_is_not_a_conflict(self):
        # No idempotency before 2026-04: the retry after a lost answer is refused
        # COMPARE_QUANTITY_STALE, because our first attempt moved the figure.
        for policy in ConflictPolicy:
            with self.subTest(policy=policy.value):
                self.setUp()
                confirmed = self.shop([level(1, 10)])
                self.emulator.faults.script(Fault.drop_after_apply(), operation="SetInventoryQuantities")
                result = self.delta([row(1, 7)], confirmed, api_version="2025-10", conflict_policy=policy)
                self.assertEqual(result.status, RunStatus.SUCCESS)
                self.assertEqual((result.conflicts, result.held, result.conflict_rows), (0, 0, ()))
                self.assertEqual([c.quantity for c in result.confirmed], [7])
                self.assertEqual(self.catalog.available(ITEM.format(1), LOC), 7)
