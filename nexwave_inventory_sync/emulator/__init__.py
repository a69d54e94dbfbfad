"""A Shopify Admin GraphQL emulator on loopback, for the tests, the demo and the benchmarks.

Real HTTP, documents validated against the same SDL the engine ships (per API version),
Shopify's cost model and leaky bucket, idempotency keys, per-row userErrors, and faults on
demand. No frappe import; no network beyond 127.0.0.1.
"""

from .catalog import Catalog
from .clock import FakeClock
from .cost import PLANS, Plan
from .faults import Fault
from .server import Emulator

__all__ = ["PLANS", "Catalog", "Emulator", "FakeClock", "Fault", "Plan"]
