"""What an admin checks before the first sync: Test Connection (the shop, its plan, the token's
granted scopes and the API version Shopify really served) and Fetch Locations (every location,
so warehouses are mapped by picking a name instead of typing ids). One call each on a small
shop; pure checks at the core (missing_scopes), the calls at the edge."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .client import CallFailed, ShopifyClient
from .clock import Clock
from .endpoint import ShopifyEndpoint
from .limits import MAX_PAGE_SIZE
from .retry import RetryPolicy
from .versions import uses_idempotency

# What the inventory push needs (README, "Configure a store"): read and set levels, find
# variants by SKU, list locations.
REQUIRED_SCOPES = ("read_inventory", "write_inventory", "read_products", "read_locations")
# Shopify answers every Admin API call with the version that served it; a request for a
# version it no longer supports is served by the oldest supported one instead, with that
# version here (shopify.dev/docs/api/usage/versioning, "fall forward").
VERSION_HEADER = "X-Shopify-API-Version"
# An interactive button: a short read timeout, and the caller decides on retries.
DEFAULT_TIMEOUT = (5.0, 20.0)

# shop and currentAppInstallation need no scope, so this answers even for a token that lacks
# every scope the push needs, and names what is missing. ShopPlan.publicDisplayName arrived
# in 2025-07 (displayName deprecated since); our 2026-04+ shape asks for it.
SHOP_INFO = """
query ShopInfo {
  shop {
    name
    myshopifyDomain
    plan { publicDisplayName partnerDevelopment shopifyPlus }
  }
  currentAppInstallation { accessScopes { handle } }
}
"""

SHOP_INFO_LEGACY = """
query ShopInfo {
  shop {
    name
    myshopifyDomain
    plan { displayName partnerDevelopment shopifyPlus }
  }
  currentAppInstallation { accessScopes { handle } }
}
"""

# includeInactive: the admin should see a deactivated location marked, not missing.
SHOP_LOCATIONS = """
query ShopLocations($first: Int!, $after: String) {
  locations(first: $first, after: $after, includeInactive: true) {
    nodes { id name isActive fulfillsOnlineOrders }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def documents(api_version: str) -> dict[str, str]:
    """Name -> document text for the version: what the schema tests validate."""
    shop = SHOP_INFO if uses_idempotency(api_version) else SHOP_INFO_LEGACY
    return {"ShopInfo": shop, "ShopLocations": SHOP_LOCATIONS}


# A check that fails raises the client's CallFailed (RunAborted included): its `message` says
# why in words an admin can act on (with the HTTP status and request id), its `kind` what kind
# of failure it was. ShopInfoError is the name the app catches it by.
ShopInfoError = CallFailed


@dataclass(frozen=True)
class ConnectionReport:
    shop_name: str
    shop_domain: str
    plan: str
    shopify_plus: bool
    partner_development: bool
    granted_scopes: tuple[str, ...]
    missing_scopes: tuple[str, ...]
    requested_version: str
    served_version: str | None  # None when the answer carried no version header

    @property
    def version_differs(self) -> bool:
        return self.served_version is not None and self.served_version != self.requested_version

    @property
    def ok(self) -> bool:
        return not self.missing_scopes and not self.version_differs

    def problems(self) -> list[str]:
        found = [f"the token lacks the scope {scope}" for scope in self.missing_scopes]
        if self.version_differs:
            found.append(
                f"Shopify served API version {self.served_version} instead of {self.requested_version}: "
                f"{self.requested_version} is no longer supported; choose {self.served_version} or newer"
            )
        return found


@dataclass(frozen=True)
class ShopLocation:
    id: str
    name: str
    active: bool
    fulfills_online_orders: bool


def missing_scopes(granted: Iterable[str], required: Iterable[str] = REQUIRED_SCOPES) -> tuple[str, ...]:
    """The required scopes the grant lacks. A write scope grants its read scope too (Shopify:
    revoking write_X also removes read_X "when the read scope was only granted through the
    write scope"), so write_inventory alone satisfies read_inventory."""
    have = {g.strip() for g in granted}
    implied = {"read_" + g[len("write_") :] for g in have if g.startswith("write_")}
    return tuple(scope for scope in required if scope not in have | implied)


def _client(
    endpoint: ShopifyEndpoint, clock: Clock | None, policy: RetryPolicy | None, timeout
) -> ShopifyClient:
    return ShopifyClient(endpoint, clock=clock, policy=policy, timeout=timeout)


def check_connection(
    endpoint: ShopifyEndpoint,
    *,
    clock: Clock | None = None,
    policy: RetryPolicy | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> ConnectionReport:
    """One call: the shop, its plan, the token's scopes, and the version that answered."""
    document = documents(endpoint.api_version)["ShopInfo"]
    with _client(endpoint, clock, policy, timeout) as client:
        data = client.execute(document, None, operation="ShopInfo")
        served = client.last_response_headers.get(VERSION_HEADER)
    shop = data.get("shop") or {}
    plan = shop.get("plan") or {}
    scopes = tuple(
        s["handle"] for s in (data.get("currentAppInstallation") or {}).get("accessScopes") or () if s
    )
    return ConnectionReport(
        shop_name=shop.get("name") or "",
        shop_domain=shop.get("myshopifyDomain") or endpoint.shop_domain,
        plan=plan.get("publicDisplayName") or plan.get("displayName") or "",
        shopify_plus=bool(plan.get("shopifyPlus")),
        partner_development=bool(plan.get("partnerDevelopment")),
        granted_scopes=scopes,
        missing_scopes=missing_scopes(scopes),
        requested_version=endpoint.api_version,
        served_version=served or None,
    )


def fetch_locations(
    endpoint: ShopifyEndpoint,
    *,
    clock: Clock | None = None,
    policy: RetryPolicy | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> tuple[ShopLocation, ...]:
    """Every location of the shop, inactive ones included, 250 a page (one call for almost
    every shop: Shopify caps a shop's locations far below that on most plans)."""
    found: list[ShopLocation] = []
    after = None
    with _client(endpoint, clock, policy, timeout) as client:
        while True:
            data = client.execute(
                SHOP_LOCATIONS, {"first": MAX_PAGE_SIZE, "after": after}, operation="ShopLocations"
            )
            page = data.get("locations") or {}
            for node in page.get("nodes") or ():
                found.append(
                    ShopLocation(
                        id=node["id"],
                        name=node.get("name") or node["id"],
                        active=bool(node.get("isActive")),
                        fulfills_online_orders=bool(node.get("fulfillsOnlineOrders")),
                    )
                )
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return tuple(found)
            after = info["endCursor"]
