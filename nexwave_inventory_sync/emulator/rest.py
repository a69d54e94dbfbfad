"""The two REST endpoints the old connector used (for the side-by-side benchmark only):
GET variants/{id}.json and POST inventory_levels/set.json, behind REST's own leaky bucket
(a request count, not points: 40 deep draining 2 per second on Standard)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable

from .answer import Answer
from .api import ShopData
from .catalog import gid

REST_BUCKETS = {"standard": (40, 2.0), "advanced": (80, 4.0), "plus": (400, 20.0)}
_VARIANT = re.compile(r"/variants/(\d+)$")


class RestApi:
    def __init__(self, shop: ShopData, plan: str, now: Callable[[], float]):
        self.shop = shop
        self.size, self.leak = REST_BUCKETS.get(plan, REST_BUCKETS["standard"])
        self._now = now
        self._used = 0.0
        self._at = now()
        self._lock = threading.Lock()

    def _admit(self) -> tuple[bool, int]:
        with self._lock:
            now = self._now()
            self._used = max(0.0, self._used - (now - self._at) * self.leak)
            self._at = now
            if self._used + 1 > self.size:
                return False, int(self._used)
            self._used += 1
            return True, int(self._used)

    def answer(self, method: str, path: str, authorized: bool, body: bytes) -> Answer:
        stats = self.shop.stats
        stats.count(rest_calls=1)
        if not authorized:
            return Answer(
                401,
                json.dumps(
                    {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
                ),
            )
        admitted, used = self._admit()
        limit = {"X-Shopify-Shop-Api-Call-Limit": f"{used}/{self.size}"}
        if not admitted:
            stats.count(rest_throttled=1)
            return Answer(
                429,
                json.dumps(
                    {
                        "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
                    }
                ),
                {**limit, "Retry-After": "1.0"},
            )
        catalog = self.shop.catalog
        variant_match = _VARIANT.search(path[: -len(".json")])
        if method == "GET" and variant_match:
            variant = catalog.variant(int(variant_match.group(1)))
            if variant is None:
                return Answer(404, json.dumps({"errors": "Not Found"}), limit)
            return Answer(
                200,
                json.dumps(
                    {
                        "variant": {
                            "id": variant.number,
                            "sku": variant.sku,
                            "inventory_item_id": variant.number,
                        }
                    }
                ),
                limit,
            )
        if method == "POST" and path.endswith("/inventory_levels/set.json"):
            try:
                payload = json.loads(body)
                item, location, available = (
                    int(payload["inventory_item_id"]),
                    int(payload["location_id"]),
                    int(payload["available"]),
                )
            except (ValueError, KeyError, TypeError):
                return Answer(
                    400,
                    json.dumps({"errors": "inventory_item_id, location_id and available are required"}),
                    limit,
                )
            with self.shop.lock:
                if catalog.variant(item) is None or not catalog.variant(item).tracked:
                    return Answer(
                        422,
                        json.dumps({"errors": ["Inventory item does not have inventory tracking enabled"]}),
                        limit,
                    )
                catalog.set_available(gid("InventoryItem", item), gid("Location", location), available)
            level = {"inventory_item_id": item, "location_id": location, "available": available}
            return Answer(200, json.dumps({"inventory_level": level}), limit)
        return Answer(404, json.dumps({"errors": "Not Found"}), limit)
