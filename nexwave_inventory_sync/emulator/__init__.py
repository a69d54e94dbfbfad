"""A Shopify Admin GraphQL emulator for tests, demos and benchmarks: a real HTTP server on
127.0.0.1 that validates documents against the SDL the engine ships, prices them, throttles
on a leaky bucket, applies inventorySetQuantities with Shopify's rules and userErrors, and
injects faults on request. No frappe import."""

from .activity import Popularity, ShopActivity, ShopEvent
from .bucket import PLANS, LeakyBucket, Plan
from .catalog import Catalog, CatalogError
from .clock import FakeClock, OverlappingClock, SystemClock
from .faults import Fault
from .oauth import OAuthApp, query_hmac
from .server import Emulator
from .stats import EmulatorStats

__all__ = [
    "OAuthApp",
    "query_hmac",
    "PLANS",
    "Catalog",
    "CatalogError",
    "Emulator",
    "EmulatorStats",
    "FakeClock",
    "OverlappingClock",
    "Fault",
    "LeakyBucket",
    "Plan",
    "Popularity",
    "ShopActivity",
    "ShopEvent",
    "SystemClock",
]
