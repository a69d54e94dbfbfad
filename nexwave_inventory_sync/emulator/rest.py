"""The REST endpoints the per-item peers use, for the side-by-side benchmarks only:
GET variants/{id}.json and POST inventory_levels/set.json (the push), GET locations.json and
GET shop.json (the setup frappe/ecommerce_integrations' settings do through ShopifyAPI), behind
REST's own leaky bucket (a count of requests, not points: 40 deep leaking 2 per second on Standard)."""

from __future__ import annotations

import json
import re
import threading

from .catalog import Catalog, gid
from .clock import SystemClock
from .faults import status_body
from .stats import EmulatorStats

# (bucket size in requests, requests leaked per second) per plan.
REST_BUCKETS = {"standard": (40, 2.0), "advanced": (80, 4.0), "plus": (400, 20.0)}
REST_PATH = re.compile(r"^/admin/api/([^/]+)/(.+)\.json$")
_VARIANT = re.compile(r"^variants/(\d+)$")


class RestApi:
    def __init__(
        self,
        catalog: Catalog,
        stats: EmulatorStats,
        plan_name: str,
        clock=None,
        shop_domain: str = "emulated-shop.myshopify.com",
    ):
        self.catalog = catalog
        self.shop_domain = shop_domain
        self.plan_name = plan_name
        self.stats = stats
        self.size, self.leak = REST_BUCKETS.get(plan_name, REST_BUCKETS["standard"])
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._used = 0.0
        self._at = self._clock.now()

    def _admit(self) -> tuple[bool, int]:
        with self._lock:
            now = self._clock.now()
            self._used = max(0.0, self._used - (now - self._at) * self.leak)
            self._at = now
            if self._used + 1 > self.size:
                return False, int(self._used)
            self._used += 1
            return True, int(self._used)

    def answer(
        self, method: str, resource: str, authorized: bool, body: bytes | None
    ) -> tuple[int, str, dict[str, str]]:
        """(status, JSON body, headers) for one REST request on `resource` (path after the version)."""
        self.stats.add(rest_calls=1)
        if not authorized:
            return 401, status_body(401), {}
        admitted, used = self._admit()
        limit = {"X-Shopify-Shop-Api-Call-Limit": f"{used}/{self.size}"}
        if not admitted:
            self.stats.add(rest_throttled=1)
            return 429, status_body(429), {**limit, "Retry-After": "1.0"}
        if method == "GET" and resource == "locations":
            return 200, json.dumps({"locations": self._locations()}), limit
        if method == "GET" and resource == "shop":
            return 200, json.dumps({"shop": self._shop()}), limit
        variant = _VARIANT.match(resource)
        if method == "GET" and variant:
            status, answer = self._variant(int(variant.group(1)))
            return status, answer, limit
        if method == "POST" and resource == "inventory_levels/set":
            status, answer = self._set_level(body)
            return status, answer, limit
        return 404, status_body(404), limit

    def _variant(self, number: int) -> tuple[int, str]:
        found = self.catalog.variant(number)
        if found is None:
            return 404, status_body(404)
        item = int(found["inventory_item_id"].rsplit("/", 1)[1])
        return 200, json.dumps({"variant": {"id": number, "sku": found["sku"], "inventory_item_id": item}})

    def _set_level(self, body: bytes | None) -> tuple[int, str]:
        """POST inventory_levels/set: one level, by integer ids."""
        try:
            payload = json.loads(body or b"")
            item, location, available = (
                int(payload[k]) for k in ("inventory_item_id", "location_id", "available")
            )
        except (ValueError, KeyError, TypeError):
            return 400, json.dumps({"errors": "inventory_item_id, location_id and available are required"})
        with self.catalog.lock:
            row = self.catalog.item_row(item)
            if row is None:
                return 422, json.dumps({"errors": ["Inventory item does not exist"]})
            if not self.catalog.tracked(row):
                return 422, json.dumps(
                    {"errors": ["Inventory item does not have inventory tracking enabled"]}
                )
            if self.catalog.location_row(location) is None:
                return 422, json.dumps({"errors": ["Location does not exist"]})
            self.catalog.set_available(gid("InventoryItem", item), gid("Location", location), available)
        level = {"inventory_item_id": item, "location_id": location, "available": available}
        return 200, json.dumps({"inventory_level": level})

    def _locations(self) -> list[dict]:
        """Documented (REST Location, https://shopify.dev/docs/api/admin-rest/2024-01/resources/location):
        GET locations.json answers {"locations": [...]} with `id` (integer), `name`, `active`
        among other fields; ShopifyAPI's Location.find() reads that list, and
        ecommerce_integrations' settings read `id` and `name`. Guess: every location on one
        page, no Link header (the emulator's shops have a handful of locations, far below a page)."""
        with self.catalog.lock:
            return [
                {
                    "id": self.catalog.location_number(loc),
                    "name": self.catalog.location_name(loc),
                    "active": self.catalog.location_active(loc),
                    "admin_graphql_api_id": gid("Location", self.catalog.location_number(loc)),
                }
                for loc in range(self.catalog.location_count())
            ]

    def _shop(self) -> dict:
        """Documented (REST Shop, https://shopify.dev/docs/api/admin-rest/2024-01/resources/shop):
        GET shop.json answers {"shop": {...}} with `id`, `name`, `myshopify_domain`, `domain`,
        `plan_name` among others; ShopifyAPI's Shop.current() reads it. Guess: the id (1) and
        the name, taken from the domain."""
        return {
            "id": 1,
            "name": self.shop_domain.split(".", 1)[0],
            "domain": self.shop_domain,
            "myshopify_domain": self.shop_domain,
            "plan_name": self.plan_name,
        }
