# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""The guard against zeroing the shop (issue 18 §5), on a real ERPNext against the emulator: an
emptied warehouse mapping, a share of items going to 0, a permission change on Bins and a
company whose warehouses are disabled; the held run's log, notification and release."""

from unittest.mock import patch

import frappe

from nexwave_inventory_sync.erpnext_side import zero_guard
from nexwave_inventory_sync.sync.api import StockRow
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import receive, warehouse
from nexwave_inventory_sync.testing.stores import LOC1, LOC2, TruthStoreMixin


def _row(ref, quantity, change_from):
    return StockRow(
        LOC1,
        quantity,
        ref=ref,
        inventory_item_id=f"gid://shopify/InventoryItem/{ref}",
        change_from=change_from,
    )


class TestZeroGuardRule(IntegrationTestCase):
    """The pure decision."""

    def test_counts_items_going_from_above_0_to_0_only(self):
        rows = [
            _row("A", 0, 5),  # above 0 → 0
            _row("B", 1.5, 5),  # buffer 2 makes it 0
            _row("C", 0, 0),  # already 0
            _row("D", 0, None),  # never confirmed
            _row("E", 7, 5),
        ]
        self.assertEqual(zero_guard.zeroing_items(rows, safety_buffer=2), {"A", "B"})

    def test_share_minimum_and_empty_read(self):
        zeroing = [_row(f"I{n}", 0, 3) for n in range(3)]
        # 3 of 10 is 30 % > 20 %: held, once 3 reaches the minimum
        self.assertEqual(zero_guard.check(zeroing, 10, False, 10, min_items=3), zero_guard.ZeroHold(3, 10))
        self.assertIsNone(zero_guard.check(zeroing, 10, False, 10, min_items=4))
        # 3 of the store's 20: 15 %, sent
        self.assertIsNone(zero_guard.check(zeroing, 3, False, 20, min_items=1))
        self.assertIsNone(zero_guard.check(zeroing, 10, False, 10, share_percent=0, min_items=1))
        # an empty full read is held whatever the minimum; a changed-items read may be empty
        self.assertTrue(zero_guard.check(zeroing, 0, True, 10, min_items=100).empty_read)
        self.assertIsNone(zero_guard.check(zeroing, 0, False, 10, min_items=100))
        # nothing above 0 to lose, or nothing to send: nothing to hold
        self.assertIsNone(zero_guard.check(zeroing, 0, True, 0))
        self.assertIsNone(zero_guard.check([], 0, True, 10))


class TestZeroGuard(TruthStoreMixin, IntegrationTestCase):
    warehouse_prefix = "Guard"

    def stocked_store(self, count=5, **options):
        codes = [self.variant(f"GUARD-{frappe.generate_hash(length=5)}-{n}") for n in range(count)]
        receive([(code, self.wh1 if n % 2 else self.wh3, n + 2) for n, code in enumerate(codes)])
        name = self.make_store(**options)
        first = self.sync(name)
        self.assertEqual((first.status, first.pushed), ("Success", count), first.error)
        return name, codes

    def shop_figures(self, codes):
        return {code: (self.shop.available(code, LOC1), self.shop.available(code, LOC2)) for code in codes}

    def notifications(self, user):
        return frappe.get_all(
            "Notification Log",
            filters={"for_user": user, "document_type": "Shopify Log"},
            pluck="document_name",
        )

    def test_an_emptied_warehouse_mapping_is_held_notified_once_and_released(self):
        user = "guard-notify@example.com"
        if not frappe.db.exists("User", user):
            frappe.get_doc(
                {"doctype": "User", "email": user, "first_name": "Guard", "send_welcome_email": 0}
            ).insert(ignore_permissions=True)
        name, codes = self.stocked_store(drift_notify_users=[{"user": user}])
        before = self.shop_figures(codes)
        store = frappe.get_doc("Shopify Store", name)
        empty = warehouse(f"Guard Empty {frappe.generate_hash(length=6)}")
        # The admin points the store at a new warehouse that holds nothing yet.
        store.locations = []
        store.append("locations", {"warehouse": empty, "shopify_location_id": LOC1})
        store.save()
        self.shop.emulator.stats.reset()
        log = self.sync(name)
        self.assertEqual(log.status, "Held")
        self.assertIn("held: ERPNext's read of the store's warehouses came back empty", log.error)
        self.assertEqual((log.pushed, log.zeroed, self.calls().get("inventorySetQuantities", 0)), (0, 0, 0))
        self.assertEqual(self.shop_figures(codes), before)
        self.assertEqual(frappe.db.get_value("Shopify Store", name, "last_run_status"), "Held")
        self.assertEqual(self.notifications(user), [log.name])
        # Held again on the next tick, without a second notification; the watermark stays cleared.
        again = self.sync(name)
        self.assertEqual(again.status, "Held")
        self.assertEqual(self.notifications(user), [log.name])
        self.assertIsNone(frappe.db.get_value("Shopify Store", name, "stock_read_at"))
        # The admin checked: released, the next run zeroes, and the release is used up.
        with patch(
            "nexwave_inventory_sync.nexwave_inventory_sync.doctype.shopify_store.shopify_store.enqueue_store_sync",
            return_value=True,
        ) as queued:
            answer = frappe.get_doc("Shopify Store", name).release_held_run()
        self.assertTrue(answer["queued"])
        self.assertEqual(queued.call_args.kwargs["scope"], "all")
        released = self.sync(name, scope="all")
        self.assertEqual((released.status, released.zeroed), ("Success", len(codes)), released.error)
        self.assertEqual(set(self.shop_figures(codes).values()), {(0, 0)})
        self.assertEqual(frappe.db.get_value("Shopify Store", name, "zero_guard_released"), 0)

    def test_a_share_of_items_going_to_0_is_held_below_the_share_it_is_sent(self):
        name, codes = self.stocked_store(count=5, zero_guard_min_items=1)
        before = self.shop_figures(codes)
        for code in codes[:2]:  # 2 of 5 items: 40 %
            frappe.db.set_value("Bin", {"item_code": code}, "actual_qty", 0)
        log = self.sync(name)
        self.assertEqual(log.status, "Held")
        self.assertIn("held: the read would zero 2 of 5 items", log.error)
        self.assertEqual(self.shop_figures(codes), before)
        frappe.db.set_value("Shopify Store", name, "zero_guard_percent", 50)
        sent = self.sync(name)
        self.assertEqual(sent.status, "Success", sent.error)
        for code in codes[:2]:
            self.assertIn(0, self.shop_figures([code])[code])
        self.assertEqual(self.shop_figures(codes[2:]), {c: before[c] for c in codes[2:]})

    def test_a_permission_change_that_hides_bins_does_not_change_the_read(self):
        """The read is one SQL query, not filtered by the running user's permissions: a user who
        may not read Bins (or the warehouses) runs the sync and the figures stay."""
        name, codes = self.stocked_store()
        before = self.shop_figures(codes)
        user = "guard-no-bins@example.com"
        if not frappe.db.exists("User", user):
            frappe.get_doc(
                {
                    "doctype": "User",
                    "email": user,
                    "first_name": "NoBins",
                    "send_welcome_email": 0,
                    "roles": [{"role": "Shopify Manager"}],
                }
            ).insert(ignore_permissions=True)
        self.assertFalse(frappe.has_permission("Bin", "read", user=user))
        frappe.db.set_value("Shopify Store", name, "stock_read_at", None)  # a full read
        frappe.set_user(user)
        try:
            log = self.sync(name, scope="all")
        finally:
            frappe.set_user("Administrator")
        self.assertEqual((log.status, log.zeroed), ("Success", 0), log.error)
        self.assertEqual(self.shop_figures(codes), before)

    def test_a_company_whose_warehouses_are_disabled_zeroes_nothing(self):
        """ERPNext has no switch to disable a Company; its warehouses are. Their Bins keep their
        stock and the read keeps counting it: nothing goes to 0."""
        name, codes = self.stocked_store()
        before = self.shop_figures(codes)
        for wh in (self.wh1, self.wh2, self.wh3):
            frappe.db.set_value("Warehouse", wh, "disabled", 1)
        log = self.sync(name, scope="all")
        self.assertEqual((log.status, log.zeroed), ("Success", 0), log.error)
        self.assertEqual(self.shop_figures(codes), before)
