"""Webhooks from the emulated shop: `inventory_levels/update` for every level that moved (an
order, an admin edit, our own push: Shopify echoes the app's writes too), signed as Shopify
signs them, and sent to a configured URL, with the faults real delivery has.

The sender compares the catalog with its last look (poll(), or a thread every `interval`
seconds): no hook in the catalog, so whatever changes a level is seen. Faults:
- duplicate: each delivery is sent twice with the same X-Shopify-Event-Id;
- delay_s: each is held that long (Shopify delivers up to a day late);
- reorder: the deliveries of one look go out newest first;
- corrupt: the signature does not match the body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .catalog import Catalog, gid

TOPIC = "inventory_levels/update"


@dataclass(frozen=True)
class WebhookFaults:
    duplicate: bool = False
    delay_s: float = 0.0
    reorder: bool = False
    corrupt: bool = False


@dataclass(frozen=True)
class Delivery:
    topic: str
    body: bytes
    headers: dict[str, str]
    send_at: float = 0.0  # monotonic seconds


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _post(url: str, delivery: Delivery) -> int:
    request = urllib.request.Request(url, data=delivery.body, headers=delivery.headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (a configured URL)
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@dataclass
class WebhookSender:
    catalog: Catalog
    url: str
    secret: str
    shop_domain: str = "emulated-shop.myshopify.com"
    faults: WebhookFaults = field(default_factory=WebhookFaults)
    # (url, delivery) -> HTTP status; tests pass a collector instead of a server.
    transport: Callable[[str, Delivery], int] = _post
    sent: list[tuple[Delivery, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._last: dict[tuple[int, int], int] = self._levels()
        self._held: list[Delivery] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _levels(self) -> dict[tuple[int, int], int]:
        catalog = self.catalog
        with catalog.lock:
            return {
                (catalog.item_number(row), catalog.location_number(loc)): level
                for loc in range(catalog.location_count())
                # Every row, deleted variants left out (the emulator's own package: its arrays).
                for row in range(len(catalog._alive))
                if catalog._alive[row] and (level := catalog.level(row, loc)) is not None
            }

    def delivery(
        self, inventory_item: int, location: int, available: int, now: datetime | None = None
    ) -> Delivery:
        now = now or datetime.now(timezone.utc)
        stamp = now.isoformat(timespec="milliseconds")
        body = json.dumps(
            {
                "inventory_item_id": inventory_item,
                "location_id": location,
                "available": available,
                "updated_at": stamp,
                "admin_graphql_api_id": gid("InventoryLevel", location)
                + f"?inventory_item_id={inventory_item}",
            }
        ).encode()
        sign = signature(body, self.secret)
        if self.faults.corrupt:
            sign = signature(body + b" ", self.secret)
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": TOPIC,
            "X-Shopify-Shop-Domain": self.shop_domain,
            "X-Shopify-Hmac-Sha256": sign,
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": stamp,
            "X-Shopify-API-Version": "2026-07",
        }
        return Delivery(TOPIC, body, headers, time.monotonic() + self.faults.delay_s)

    def poll(self) -> int:
        """One look at the catalog; sends what moved (and what is due of what was held).
        Returns the number of deliveries sent."""
        with self._lock:
            levels = self._levels()
            moved = [(key, level) for key, level in levels.items() if self._last.get(key) != level]
            self._last = levels
            fresh = [self.delivery(item, location, level) for (item, location), level in moved]
            if self.faults.reorder:
                fresh.reverse()
            for delivery in fresh:
                self._held.extend([delivery, delivery] if self.faults.duplicate else [delivery])
            now = time.monotonic()
            due = [d for d in self._held if d.send_at <= now]
            self._held = [d for d in self._held if d.send_at > now]
        for delivery in due:
            self.sent.append((delivery, self.transport(self.url, delivery)))
        return len(due)

    def start(self, interval: float = 0.5) -> WebhookSender:
        def loop() -> None:
            while not self._stop.wait(interval):
                self.poll()

        self._thread = threading.Thread(target=loop, name="emulator-webhooks", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
