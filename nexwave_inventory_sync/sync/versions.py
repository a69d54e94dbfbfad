"""Admin API versions this engine speaks, and which request shape each one needs."""

from __future__ import annotations

import re

from .errors import EngineError, ErrorKind

# Newest stable release at the time of writing; Shopify ships one every quarter.
DEFAULT_API_VERSION = "2026-10"
OLDEST_API_VERSION = "2025-01"
# From 2026-04 inventorySetQuantities requires @idempotent(key:) and changeFromQuantity
# on every row; compareQuantity / ignoreCompareQuantity are gone.
IDEMPOTENT_SINCE = "2026-04"

_VERSION = re.compile(r"^20\d\d-(01|04|07|10)$")


class UnsupportedApiVersion(EngineError, ValueError):
    kind = ErrorKind.UNSUPPORTED_VERSION


def check_api_version(version: str) -> str:
    """Return the version if this engine can speak it, else raise UnsupportedApiVersion."""
    if not isinstance(version, str) or not _VERSION.match(version):
        raise UnsupportedApiVersion(
            f"API version {version!r} is not a Shopify release name like {DEFAULT_API_VERSION!r}"
        )
    if version < OLDEST_API_VERSION:
        raise UnsupportedApiVersion(
            f"API version {version} is older than {OLDEST_API_VERSION}, which is the oldest supported"
        )
    return version


def supported_api_versions() -> tuple[str, ...]:
    """Every release this engine speaks, newest first: what the store form offers."""
    newest_year, newest_month = map(int, DEFAULT_API_VERSION.split("-"))
    year, month = map(int, OLDEST_API_VERSION.split("-"))
    found = []
    while (year, month) <= (newest_year, newest_month):
        found.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 10 else (year, month + 3)
    return tuple(reversed(found))


def uses_idempotency(version: str) -> bool:
    """True when the version takes @idempotent and changeFromQuantity (the 2026-04 shape)."""
    return check_api_version(version) >= IDEMPOTENT_SINCE
