"""Shopify's facts as the emulator states them: limits, scopes, the version header, the API
versions and the redirect signature. Read from Shopify's documents, never imported from the
client the emulator checks (sync/): if the client gets one of these wrong, the emulator must
not agree with it. tests/test_emulator_facts.py checks the two sides against each other.

Each fact is marked in SOURCES: "documented" with the shopify.dev page that says it, or
"guess" with what the guess rests on."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

# -- per-call limits ---------------------------------------------------------------------
# "Input arguments that accept an array have a maximum size of 250": the quantities of one
# inventorySetQuantities call and the ids of one nodes(ids:) alike.
MAX_INPUT_ARRAY = 250
MAX_QUANTITIES_PER_SET = MAX_INPUT_ARRAY
MAX_NODE_IDS = MAX_INPUT_ARRAY
# A connection returns at most 250 nodes a page (first/last above 250 is an error).
MAX_PAGE_SIZE = 250
# A single query whose requested cost is above 1,000 points is refused on every plan.
MAX_QUERY_COST = 1000

# -- access scopes -----------------------------------------------------------------------
# What the emulated token is granted by default: the scope each field the push uses names
# on its reference page (inventorySetQuantities write_inventory, inventoryItem
# read_inventory, productVariants read_products, locations read_locations).
DEFAULT_GRANTED_SCOPES = ("read_inventory", "write_inventory", "read_products", "read_locations")

# -- versions ----------------------------------------------------------------------------
# Every answer names the version that served it; a request for a version no longer
# supported is served by the oldest supported one ("falls forward").
VERSION_HEADER = "X-Shopify-API-Version"
# Stable releases are quarterly, named YYYY-01/04/07/10.
RELEASE_NAME = re.compile(r"^20\d\d-(01|04|07|10)$")
# The newest stable release on 2026-12-03 (2027-01 is released on January 1).
NEWEST_STABLE_VERSION = "2026-10"
# The oldest version this emulator has an SDL for; a request for an older release falls
# forward to it.
OLDEST_SERVED_VERSION = "2025-01"
# From 2026-04, @idempotent(key:) is required on inventorySetQuantities and
# inventoryActivate, and changeFromQuantity replaces compareQuantity/ignoreCompareQuantity.
IDEMPOTENT_SINCE = "2026-04"

SOURCES: dict[str, tuple[str, str]] = {
    "MAX_INPUT_ARRAY": ("documented", "https://shopify.dev/docs/api/usage/limits (Input limits)"),
    "MAX_QUANTITIES_PER_SET": (
        "documented",
        "https://shopify.dev/changelog/graphql-input-objects-limited-to-250-items",
    ),
    "MAX_NODE_IDS": (
        "documented",
        "https://shopify.dev/changelog/graphql-input-objects-limited-to-250-items (its example is nodes(ids:))",
    ),
    "MAX_PAGE_SIZE": ("documented", "https://shopify.dev/docs/api/usage/pagination-graphql"),
    "MAX_QUERY_COST": (
        "documented",
        "https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits (single query max cost)",
    ),
    "DEFAULT_GRANTED_SCOPES": (
        "guess",
        "write_inventory is documented on https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities;"
        " the three read scopes are the ones the app asks merchants for, not re-read from each query's page",
    ),
    "VERSION_HEADER": (
        "documented",
        "https://shopify.dev/docs/api/usage/versioning (X-Shopify-Api-Version; header names are case-insensitive)",
    ),
    "RELEASE_NAME": ("documented", "https://shopify.dev/docs/api/usage/versioning (release schedule)"),
    "NEWEST_STABLE_VERSION": (
        "documented",
        "https://shopify.dev/docs/api/usage/versioning (release schedule)",
    ),
    "OLDEST_SERVED_VERSION": (
        "guess",
        "the oldest shape this emulator has an SDL for; Shopify's real oldest supported version moves every quarter",
    ),
    "IDEMPOTENT_SINCE": (
        "documented",
        "https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities (required from 2026-04)",
    ),
    "redirect_hmac": (
        "documented",
        "https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant/manually (verify the hmac)",
    ),
    "is_release_name": ("documented", "https://shopify.dev/docs/api/usage/versioning (release schedule)"),
    "uses_idempotency": (
        "documented",
        "https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities (required from 2026-04)",
    ),
    "served_version": (
        "documented",
        "https://shopify.dev/docs/api/usage/versioning (falls forward); a well-formed name never released is a guess: 404",
    ),
}


def is_release_name(version: str) -> bool:
    return isinstance(version, str) and RELEASE_NAME.match(version) is not None


def served_version(requested: str) -> str | None:
    """The version that answers a request for `requested`, or None (the path is a 404): a
    release name from the oldest served on answers as itself, an older one falls forward."""
    if not is_release_name(requested):
        return None
    return max(requested, OLDEST_SERVED_VERSION)


def uses_idempotency(version: str) -> bool:
    """True when the served version takes @idempotent and changeFromQuantity (2026-04 on)."""
    return version >= IDEMPOTENT_SINCE


def redirect_hmac(params: Mapping[str, str], secret: str) -> str:
    """The `hmac` Shopify puts on the redirect back from its authorize page: hex HMAC-SHA256,
    keyed with the client secret, of every other parameter as `k=v`, sorted, joined by `&`.
    `%`, `&` and a key's `=` are escaped, as Shopify's own libraries do, so a value cannot
    forge a delimiter."""

    def pair(key: str, value: str) -> str:
        key = key.replace("%", "%25").replace("=", "%3D")
        return f"{key}={value.replace('%', '%25')}".replace("&", "%26")

    message = "&".join(sorted(pair(k, str(v)) for k, v in params.items() if k not in ("hmac", "signature")))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
