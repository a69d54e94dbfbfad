"""Shopify's inventory webhooks without Frappe: the signature, what a delivery says, its age,
the echo rule, and the emulator's sender with its faults."""

import json
from datetime import datetime, timedelta, timezone

from nexwave_inventory_sync.emulator import Catalog
from nexwave_inventory_sync.emulator.webhooks import WebhookFaults, WebhookSender
from nexwave_inventory_sync.sync import webhooks
from nexwave_inventory_sync.sync.retry import NO_WAIT
from nexwave_inventory_sync.tests.emulated_shop import TOKEN, EmulatedShopTest

SECRET = "shpss_test_secret"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


def body(**fields) -> bytes:
    return json.dumps({"inventory_item_id": 7, "location_id": 1, "available": 5, **fields}).encode()


def test_the_signature_is_checked_over_the_raw_body():
    raw = body()
    good = webhooks.sign(raw, SECRET)
    assert webhooks.verify(raw, SECRET, good)
    assert not webhooks.verify(raw + b" ", SECRET, good)  # the body re-serialised
    assert not webhooks.verify(raw, "another secret", good)
    assert not webhooks.verify(raw, SECRET, None)
    assert not webhooks.verify(raw, "", webhooks.sign(raw, ""))  # no secret: nothing verifies


def test_a_level_update_names_its_level_in_gids():
    change = webhooks.read_change(webhooks.LEVEL_UPDATE, body(updated_at="2026-12-03T07:00:00-05:00"))
    assert change.inventory_item_id == "gid://shopify/InventoryItem/7"
    assert change.location_id == "gid://shopify/Location/1"
    assert change.available == 5
    assert change.updated_at == NOW
    assert webhooks.split_member(change.member) == (change.inventory_item_id, change.location_id)


def test_item_topics_name_the_whole_item_and_junk_is_refused():
    change = webhooks.read_change(webhooks.ITEM_DELETE, json.dumps({"id": 9}).encode())
    assert (change.inventory_item_id, change.location_id) == ("gid://shopify/InventoryItem/9", "*")
    assert webhooks.read_change("orders/create", body()) is None
    assert webhooks.read_change(webhooks.LEVEL_UPDATE, b"not json") is None
    assert webhooks.read_change(webhooks.LEVEL_UPDATE, body(inventory_item_id="x")) is None
    assert webhooks.read_change(webhooks.LEVEL_UPDATE, body(available="5")) is None


def test_age_stale_future_and_fine():
    assert webhooks.check_age(NOW - timedelta(hours=27), None, NOW) == "stale"
    assert webhooks.check_age(None, NOW - timedelta(hours=27), NOW) == "stale"
    assert webhooks.check_age(NOW - timedelta(hours=23), None, NOW) is None  # a day late is normal
    assert webhooks.check_age(NOW + timedelta(hours=1), None, NOW) == "future"
    assert webhooks.check_age(None, None, NOW) is None


def test_the_echo_is_the_figure_shopify_confirmed_to_us():
    change = webhooks.read_change(webhooks.LEVEL_UPDATE, body(available=5))
    assert webhooks.is_echo(change, 5)
    assert not webhooks.is_echo(change, 6)
    assert not webhooks.is_echo(change, None)


def collect():
    got = []
    return got, lambda url, delivery: got.append(delivery) or 200


def test_the_emulator_signs_what_moved_and_nothing_else():
    catalog = Catalog.generate(items=3, locations=2, initial_quantity=10)
    got, transport = collect()
    sender = WebhookSender(catalog, "http://127.0.0.1:1/hook", SECRET, transport=transport)
    assert sender.poll() == 0
    catalog.set_available(2, "gid://shopify/Location/2", 4)
    assert sender.poll() == 1
    delivery = got[0]
    assert webhooks.verify(delivery.body, SECRET, delivery.headers["X-Shopify-Hmac-Sha256"])
    change = webhooks.read_change(delivery.headers["X-Shopify-Topic"], delivery.body)
    assert (change.inventory_item_id, change.location_id, change.available) == (
        "gid://shopify/InventoryItem/2",
        "gid://shopify/Location/2",
        4,
    )
    assert sender.poll() == 0


def test_the_emulator_duplicates_reorders_corrupts_and_delays():
    catalog = Catalog.generate(items=3, locations=1, initial_quantity=10)
    got, transport = collect()
    faults = WebhookFaults(duplicate=True, reorder=True, corrupt=True)
    sender = WebhookSender(catalog, "http://x/hook", SECRET, faults=faults, transport=transport)
    catalog.set_available(1, "gid://shopify/Location/1", 1)
    catalog.set_available(3, "gid://shopify/Location/1", 3)
    sender.poll()
    assert len(got) == 4
    assert got[0].headers["X-Shopify-Event-Id"] == got[1].headers["X-Shopify-Event-Id"]
    assert [json.loads(d.body)["inventory_item_id"] for d in got[::2]] == [3, 1]
    assert not any(webhooks.verify(d.body, SECRET, d.headers["X-Shopify-Hmac-Sha256"]) for d in got)
    late = WebhookSender(
        catalog, "http://x/hook", SECRET, faults=WebhookFaults(delay_s=60), transport=transport
    )
    catalog.set_available(2, "gid://shopify/Location/1", 2)
    assert late.poll() == 0  # held


class SubscribeTest(EmulatedShopTest):
    items = 1

    def test_each_topic_is_subscribed_once_and_a_repeat_is_fine(self):
        uri = "https://erp.example.com/api/method/receive"
        endpoint = self.endpoint("2026-10", TOKEN)
        first = webhooks.subscribe(endpoint, uri, clock=self.clock, policy=NO_WAIT)
        self.assertEqual([(s.topic, s.ok) for s in first], [(t, True) for t in webhooks.TOPICS])
        self.assertEqual(
            sorted(topic for _id, topic, _uri in self.emulator.executor.webhook_subscriptions),
            sorted(webhooks.TOPICS.values()),
        )
        again = webhooks.subscribe(endpoint, uri, clock=self.clock, policy=NO_WAIT)
        self.assertTrue(all(s.ok for s in again))  # "already been taken": done already
        self.assertEqual(len(self.emulator.executor.webhook_subscriptions), 4)

    def test_a_bad_address_and_an_old_version_are_reported(self):
        bad = webhooks.subscribe(self.endpoint("2026-10", TOKEN), "ftp://x", clock=self.clock, policy=NO_WAIT)
        self.assertEqual({(s.ok, s.message) for s in bad}, {(False, "Address is invalid")})
        old = webhooks.subscribe(
            self.endpoint("2025-01", TOKEN), "https://x", clock=self.clock, policy=NO_WAIT
        )
        self.assertFalse(any(s.ok for s in old))
