"""The old connector's inventory push, emulated: per item one REST variant lookup, one
inventory_levels/set call and a 1 s sleep (PR #40's rate limiting), retrying a 429 once
after Retry-After. Sleeps go through a clock, so a 2-hour run can be measured in seconds:
its wall time is the HTTP time measured plus the seconds it would have slept."""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests


@dataclass
class OldPathResult:
    items: int = 0
    calls: int = 0
    rate_limited: int = 0
    failed: int = 0
    http_seconds: float = 0.0
    slept_seconds: float = 0.0

    @property
    def wall_s(self) -> float:
        return self.http_seconds + self.slept_seconds


def push_old_way(
    base_url: str,
    api_version: str,
    token: str,
    rows: list[tuple[int, int, int]],
    clock,
    sleep_between: float = 1.0,
) -> OldPathResult:
    """rows: (variant number, location number, quantity)."""
    result = OldPathResult()
    session = requests.Session()
    session.headers["X-Shopify-Access-Token"] = token
    base = f"{base_url}/admin/api/{api_version}"
    start_virtual = clock.now()
    start = time.perf_counter()

    def call(method: str, url: str, **kwargs) -> requests.Response | None:
        for attempt in range(2):
            result.calls += 1
            response = session.request(method, url, timeout=30, **kwargs)
            if response.status_code != 429:
                return response
            result.rate_limited += 1
            if attempt == 0:
                clock.sleep(float(response.headers.get("Retry-After", "1")))
        return None

    for variant, location, quantity in rows:
        result.items += 1
        found = call("GET", f"{base}/variants/{variant}.json")
        if found is None or found.status_code != 200:
            result.failed += 1
        else:
            item = found.json()["variant"]["inventory_item_id"]
            done = call(
                "POST",
                f"{base}/inventory_levels/set.json",
                json={"location_id": location, "inventory_item_id": item, "available": quantity},
            )
            if done is None or done.status_code != 200:
                result.failed += 1
        clock.sleep(sleep_between)
    session.close()
    result.slept_seconds = clock.now() - start_virtual
    result.http_seconds = time.perf_counter() - start
    return result
