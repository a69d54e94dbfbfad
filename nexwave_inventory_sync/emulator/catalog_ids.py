"""How the emulated shop names things: Shopify gids outside, integers inside, and the
sentinel of a level where an item is not stocked."""

from __future__ import annotations

import re
from typing import Any

NOT_STOCKED = -(2**63)

_GID = re.compile(r"^gid://shopify/([A-Za-z]+)/(\d+)(?:\?.*)?$")


class CatalogError(ValueError):
    """A catalog set-up the emulated shop cannot hold (a bad id, an unknown location)."""


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: Any) -> tuple[str, int] | None:
    """('ProductVariant', 12) from 'gid://shopify/ProductVariant/12'; None if not a gid."""
    if not isinstance(value, str):
        return None
    match = _GID.match(value)
    return (match.group(1), int(match.group(2))) if match else None


def number_of(value: Any, kind: str) -> int | None:
    """The integer id from a gid of `kind`, a bare number or an int (test set-up is lenient)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    parsed = parse_gid(value)
    if parsed is None or parsed[0] != kind:
        return None
    return parsed[1]
