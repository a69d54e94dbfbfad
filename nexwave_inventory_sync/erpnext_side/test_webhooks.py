# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""Webhooks on a real ERPNext: a delivery is verified, deduplicated, ordered and told from our
own echo before it marks anything; a flood makes one check; an admin edit in the emulated shop
is corrected by the check (or recorded, when the store does not correct drift)."""

import json
import time
import uuid
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

import frappe
from frappe.utils import now_datetime

from nexwave_inventory_sync.emulator.webhooks import WebhookSender
from nexwave_inventory_sync.erpnext_side import (
    webhook_delivery,
    webhook_queue,
    webhook_rechecks,
    webhook_subscriptions,
    webhooks,
)
from nexwave_inventory_sync.erpnext_side.constants import WEBHOOK_BASE_URL_KEY
from nexwave_inventory_sync.erpnext_side.store_sync import run_store_sync
from nexwave_inventory_sync.sync.api import SHORTFALL_MIN_AGE_S, sign
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import (
    EmulatedShop,
    clear_site_config,
    item,
    receive,
    set_site_config,
    store,
    warehouse,
)

SECRET = "shpss_webhook_test_secret"
ENQUEUE_CHECK = webhook_queue.enqueue_check  # the real one (WebhookMixin patches it)
LOC1 = "gid://shopify/Location/1"


class WebhookMixin:
    domain = "hooks-shop.myshopify.com"
    auto_correct = 1
    shop_items = 0  # other variants at the location, beside the store's item
    store_settings: dict = {}

    def setUp(self):
        super().setUp()
        self.wh = warehouse(f"Hooks {frappe.generate_hash(length=6)}")
        self.shop = EmulatedShop(self.domain, items=self.shop_items, locations=1)
        self.shop.__enter__()
        self.addCleanup(self.shop.__exit__, None, None, None)
        self.code = item(f"HOOK-{frappe.generate_hash(length=6)}")
        self.shop.catalog.add_variant(self.code)
        self.name = store(
            self.domain,
            [(self.wh, "1")],
            webhook_secret=SECRET,
            auto_correct=self.auto_correct,
            **self.store_settings,
        )
        webhook_queue.PENDING.forget(self.name)
        self.addCleanup(webhook_queue.PENDING.forget, self.name)
        receive([(self.code, self.wh, 8)])
        run_store_sync(self.name, trigger="Manual", force=True)
        self.inventory_item = next(
            v["inventory_item_id"] for v in self.shop.catalog.variants if v["sku"] == self.code
        )
        self.checks = []
        # Where the receiver and the sweep look it up.
        patcher = patch.object(
            webhook_queue,
            "enqueue_check",
            side_effect=lambda name, token, deadline=None, **kw: self.checks.append(name),
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    def deliver(self, available, *, at=None, event_id=None, secret=SECRET, shop=None, topic=None, extra=b""):
        at = at or datetime.now(timezone.utc)
        raw = (
            json.dumps(
                {
                    "inventory_item_id": int(self.inventory_item.rsplit("/", 1)[1]),
                    "location_id": 1,
                    "available": available,
                    "updated_at": at.isoformat(),
                }
            ).encode()
            + extra
        )
        headers = {
            "X-Shopify-Topic": topic or "inventory_levels/update",
            "X-Shopify-Shop-Domain": shop or self.domain,
            "X-Shopify-Hmac-Sha256": sign(raw, secret),
            "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
            "X-Shopify-Triggered-At": at.isoformat(),
        }
        return webhook_delivery.handle_delivery(headers, raw, datetime.now(timezone.utc))


class TestWebhookReceiver(WebhookMixin, IntegrationTestCase):
    def test_a_bad_signature_an_unknown_shop_and_a_huge_body_are_refused(self):
        self.assertEqual(self.deliver(3, secret="not the secret").status, 401)
        self.assertEqual(self.deliver(3, shop="stranger.myshopify.com").status, 401)
        self.assertEqual(self.deliver(3, extra=b" " * 70_000).status, 413)
        self.assertEqual(webhook_queue.PENDING.size(self.name), 0)

    def test_a_repeat_of_one_event_is_acted_on_once(self):
        event = str(uuid.uuid4())
        self.assertEqual(self.deliver(3, event_id=event).outcome, "accepted")
        self.assertEqual(self.deliver(3, event_id=event).outcome, "duplicate")
        self.assertEqual(self.checks, [self.name])

    def test_an_older_delivery_of_a_level_after_a_newer_one_is_ignored(self):
        now = datetime.now(timezone.utc)
        self.assertEqual(self.deliver(3, at=now).outcome, "accepted")
        self.assertEqual(self.deliver(4, at=now - timedelta(minutes=5)).outcome, "out of order")

    def test_a_stale_delivery_is_ignored(self):
        old = datetime.now(timezone.utc) - timedelta(hours=30)
        self.assertEqual(self.deliver(3, at=old).outcome, "stale")
        self.assertEqual(webhook_queue.PENDING.size(self.name), 0)

    def test_the_echo_of_our_own_write_is_ignored(self):
        self.assertEqual(self.shop.available(self.code, LOC1), 8)
        self.assertEqual(self.deliver(8).outcome, "echo")
        self.assertEqual(self.checks, [])

    def test_a_flood_makes_one_check(self):
        now = datetime.now(timezone.utc)
        outcomes = {self.deliver(n, at=now + timedelta(milliseconds=n)).outcome for n in range(200)}
        self.assertEqual(outcomes, {"accepted", "echo"})  # 8 is the echo
        self.assertEqual(self.checks, [self.name])
        self.assertEqual(webhook_queue.PENDING.size(self.name), 1)  # one level, marked once

    def test_the_secret_falls_back_to_the_client_secret(self):
        doc = frappe.get_doc("Shopify Store", self.name)
        if not doc.meta.has_field("client_secret"):
            self.skipTest("this branch has no Client Secret field yet")
        doc.webhook_secret = None
        doc.client_secret = "shpss_client"
        doc.save(ignore_permissions=True)
        self.assertEqual(
            webhook_delivery.webhook_secret(frappe.get_doc("Shopify Store", self.name)), "shpss_client"
        )


class TestAdminEditCorrected(WebhookMixin, IntegrationTestCase):
    domain = "hooks-correct.myshopify.com"

    def sender(self):
        now = lambda: datetime.now(timezone.utc)  # noqa: E731
        return WebhookSender(
            self.shop.catalog,
            "in-process",
            SECRET,
            shop_domain=self.domain,
            transport=lambda url, d: webhook_delivery.handle_delivery(d.headers, d.body, now()).status,
        )

    def test_an_admin_edit_is_read_and_put_right(self):
        sender = self.sender()
        # Raised in Shopify admin (a shortfall would wait for a second look: it may be an order
        # ERPNext has not imported yet, the reconciliation's rule).
        self.shop.catalog.set_available(self.inventory_item, LOC1, 12)
        self.assertEqual(sender.poll(), 1)
        self.assertEqual([status for _d, status in sender.sent], [200])
        record = webhooks.run_webhook_check(self.name, coalesce_s=0)
        self.assertEqual(self.shop.available(self.code, LOC1), 8)
        doc = frappe.get_doc("Shopify Reconciliation", record)
        self.assertEqual((doc.trigger, doc.rows_drifted, doc.corrected), ("Webhook", 1, 1))
        # Our correction comes back as a webhook too: the echo, ignored.
        sender.poll()
        self.assertEqual(self.checks, [self.name])


class TestCheckReadsTheMarkedLevels(WebhookMixin, IntegrationTestCase):
    domain = "hooks-targeted.myshopify.com"
    shop_items = 600

    def test_a_check_reads_the_marked_level_not_every_level_of_the_location(self):
        self.shop.catalog.set_available(self.inventory_item, LOC1, 12)
        self.assertEqual(self.deliver(12).outcome, "accepted")
        stats = self.shop.emulator.stats
        stats.reset()
        record = webhooks.run_webhook_check(self.name, coalesce_s=0)
        self.assertEqual(self.shop.available(self.code, LOC1), 8)
        self.assertEqual(frappe.db.get_value("Shopify Reconciliation", record, "corrected"), 1)
        # One read of one level, not the location's 600 levels page by page.
        self.assertNotIn("LocationLevelsPage", stats.calls_by_operation)
        self.assertEqual(stats.calls_by_operation["InventoryLevelsAt"], 1)


class TestFreshSaleLeftAlone(WebhookMixin, IntegrationTestCase):
    domain = "hooks-fresh-sale.myshopify.com"

    def look_again(self, available, seconds_later):
        at = datetime.now(timezone.utc) + timedelta(seconds=seconds_later)
        self.assertEqual(self.deliver(available, at=at).outcome, "accepted")
        webhooks.run_webhook_check(self.name, coalesce_s=0)

    def test_a_check_seconds_after_another_does_not_correct_a_sale_not_imported_yet(self):
        # A sale in the shop ERPNext has not imported yet (8 -> 5), seen by two checks 15 s apart
        # (each sale on the level sends a webhook): the second sighting is not an old shortfall.
        self.shop.catalog.set_available(self.inventory_item, LOC1, 5)
        self.look_again(5, 0)
        self.look_again(5, 1)
        self.assertEqual(self.shop.available(self.code, LOC1), 5)
        # Still there once an import would have come (the hourly reconciliation's case): corrected.
        frappe.db.sql(
            "UPDATE `tabShopify Confirmed Level` SET shortfall_since = %s WHERE shopify_store = %s",
            (now_datetime() - timedelta(hours=1), self.name),
        )
        self.look_again(5, 2)
        self.assertEqual(self.shop.available(self.code, LOC1), 8)


class TestCheckWaitsOnlyWhatIsLeft(WebhookMixin, IntegrationTestCase):
    domain = "hooks-wait.myshopify.com"

    def test_a_check_that_waited_in_the_queue_does_not_sleep_in_the_worker(self):
        with patch.object(webhook_queue.frappe, "enqueue") as enqueue:
            ENQUEUE_CHECK(self.name, "token")
        queued = enqueue.call_args.kwargs
        self.assertAlmostEqual(queued["marked_at"], time.time(), delta=30)
        self.shop.catalog.set_available(self.inventory_item, LOC1, 12)
        self.assertEqual(self.deliver(12).outcome, "accepted")
        # The store's last check 20 s before the mark; the job started 10 s after it (queued
        # behind other stores' jobs): both windows (5 s, 15 s) have passed, no sleep.
        frappe.cache.set(webhook_queue.cache_key("checked", self.name), queued["marked_at"] - 20, ex=60)
        with patch.object(webhook_queue.time, "sleep") as sleep:
            record = webhooks.run_webhook_check(queued["store_name"], marked_at=queued["marked_at"] - 10)
        self.assertEqual([c.args[0] for c in sleep.call_args_list if c.args and c.args[0] > 0.5], [])
        self.assertEqual(frappe.db.get_value("Shopify Reconciliation", record, "corrected"), 1)
        self.assertEqual(self.shop.available(self.code, LOC1), 8)
        # A check just ran: the next one, 1 s after its mark, waits the rest of the 15 s only.
        with patch.object(webhook_queue.time, "sleep") as sleep:
            webhooks.run_webhook_check(self.name, marked_at=time.time() - 1)
        self.assertGreater(sleep.call_args_list[0].args[0], webhook_queue.CHECK_MIN_INTERVAL_S - 3)
        self.assertLessEqual(sleep.call_args_list[0].args[0], webhook_queue.CHECK_MIN_INTERVAL_S)

    def test_the_wait_is_what_is_left_of_either_window(self):
        wait = webhook_queue.check_wait
        self.assertEqual(wait(100.0, None, 101.0), 4.0)  # 1 s after the mark: 4 s of 5 left
        self.assertEqual(wait(100.0, None, 130.0), 0.0)  # queued 30 s: nothing left
        self.assertEqual(wait(100.0, 95.0, 101.0), 9.0)  # the last check 6 s ago: 9 s of 15
        self.assertEqual(wait(0.0, 50.0, 101.0), 0.0)  # a swept job, the last check long ago
        self.assertEqual(wait(None, None, 101.0), 5.0)  # a job queued by an older version
        self.assertEqual(wait(100.0, 100.0, 100.0, coalesce_s=0), 0.0)  # tests: no waits


class TestShortfallLookedAtAgain(WebhookMixin, IntegrationTestCase):
    domain = "hooks-shortfall-again.myshopify.com"
    # The second look is on_hand mode's (webhook_rechecks); po_no marks this store's orders.
    store_settings = {"quantity_name": "on_hand", "order_marker_field": "po_no"}

    def sweep_at(self, epoch: float) -> list[str]:
        """The per-minute sweep as it runs at `epoch`."""
        with patch.object(webhooks.time, "time", return_value=epoch):
            return webhooks.sweep()

    def test_an_edit_down_left_by_a_check_is_put_right_once_the_rule_s_age_has_passed(self):
        # Lowered in Shopify admin: a shortfall first seen, maybe an order not imported yet.
        self.shop.catalog.set_available(self.inventory_item, LOC1, 5)
        self.assertEqual(self.deliver(5).outcome, "accepted")
        webhooks.run_webhook_check(self.name, coalesce_s=0)
        self.assertEqual(self.shop.available(self.code, LOC1), 5)
        # No webhook comes again for a level nobody touches; the sweep's minutes before the
        # rule's age bring nothing.
        self.assertNotIn(self.name, self.sweep_at(time.time() + 60))
        self.assertEqual(webhook_queue.PENDING.size(self.name), 0)
        # Once the shortfall is 15 minutes old, the sweep marks the level for a check, which
        # counts it as seen before and corrects it.
        later = time.time() + SHORTFALL_MIN_AGE_S + 60
        frappe.db.sql(
            "UPDATE `tabShopify Confirmed Level` SET shortfall_since = %s WHERE shopify_store = %s",
            (now_datetime() - timedelta(seconds=SHORTFALL_MIN_AGE_S + 60), self.name),
        )
        self.assertIn(self.name, self.sweep_at(later))
        self.assertEqual(self.checks.count(self.name), 2)  # the delivery's, the sweep's
        record = webhooks.run_webhook_check(self.name, coalesce_s=0)
        self.assertEqual(self.shop.available(self.code, LOC1), 8)
        self.assertEqual(frappe.db.get_value("Shopify Reconciliation", record, "corrected"), 1)
        self.assertNotIn(self.name, self.sweep_at(later + 3600))  # looked at again once

    def test_in_available_mode_a_shortfall_is_left_to_the_reconciliation(self):
        # Every Shopify order is such a shortfall until ERPNext imports it; looking again after
        # 15 minutes overwrote the orders imported later (docs/benchmarks.md §7, g'.).
        frappe.db.set_value("Shopify Store", self.name, "quantity_name", "available")
        self.shop.catalog.set_available(self.inventory_item, LOC1, 5)
        self.assertEqual(self.deliver(5).outcome, "accepted")
        webhooks.run_webhook_check(self.name, coalesce_s=0)
        frappe.db.sql(
            "UPDATE `tabShopify Confirmed Level` SET shortfall_since = %s WHERE shopify_store = %s",
            (now_datetime() - timedelta(seconds=SHORTFALL_MIN_AGE_S + 60), self.name),
        )
        self.assertNotIn(self.name, self.sweep_at(time.time() + SHORTFALL_MIN_AGE_S + 60))
        self.assertEqual(self.shop.available(self.code, LOC1), 5)

    def test_a_second_look_is_due_when_the_first_sighting_is_old_enough(self):
        now = now_datetime()
        age = timedelta(seconds=SHORTFALL_MIN_AGE_S)
        self.assertEqual(
            webhook_rechecks.recheck_due("wait", now - timedelta(minutes=5), now),
            now + age - timedelta(minutes=5),
        )
        self.assertEqual(webhook_rechecks.recheck_due("wait", None, now), now + age)
        self.assertEqual(webhook_rechecks.recheck_due("partial", now - timedelta(minutes=5), now), now + age)


class TestAdminEditRecorded(WebhookMixin, IntegrationTestCase):
    domain = "hooks-record.myshopify.com"
    auto_correct = 0

    def test_without_correction_the_drift_is_recorded_and_left(self):
        self.shop.catalog.set_available(self.inventory_item, LOC1, 12)
        self.assertEqual(self.deliver(12).outcome, "accepted")
        record = webhooks.run_webhook_check(self.name, coalesce_s=0)
        self.assertEqual(self.shop.available(self.code, LOC1), 12)
        doc = frappe.get_doc("Shopify Reconciliation", record)
        self.assertEqual((doc.rows_drifted, doc.corrected), (1, 0))
        # The level read is the confirmed one now: the same figure again is no news.
        self.assertEqual(self.deliver(12).outcome, "echo")


class TestSubscriptions(WebhookMixin, IntegrationTestCase):
    domain = "hooks-subscribe.myshopify.com"

    def test_with_a_public_address_each_topic_is_subscribed(self):
        set_site_config(WEBHOOK_BASE_URL_KEY, "https://erp.example.com")
        self.addCleanup(clear_site_config, WEBHOOK_BASE_URL_KEY)
        status = webhook_subscriptions.subscribe_store(frappe.get_doc("Shopify Store", self.name))
        uri = "https://erp.example.com" + webhook_subscriptions.RECEIVE_PATH
        self.assertTrue(webhook_subscriptions.subscribed_at(status, uri), status)
        self.assertEqual(
            sorted(u for _id, _topic, u in self.shop.emulator.executor.webhook_subscriptions), [uri] * 4
        )
        self.assertEqual(frappe.db.get_value("Shopify Store", self.name, "webhook_status"), status)

    def test_without_one_the_store_says_reconciliation_finds_drift(self):
        clear_site_config(WEBHOOK_BASE_URL_KEY)
        status = webhook_subscriptions.subscribe_store(frappe.get_doc("Shopify Store", self.name))
        self.assertIn("scheduled reconciliation only", status)
        self.assertEqual(self.shop.emulator.executor.webhook_subscriptions, [])
