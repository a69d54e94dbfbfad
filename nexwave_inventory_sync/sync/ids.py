"""Shopify global ids. Users and CSVs write bare numbers; the API wants gids."""

from __future__ import annotations

import re

from .errors import EngineError, ErrorKind

_GID = re.compile(r"^gid://shopify/([A-Za-z]+)/(\d+)$")


class IdError(EngineError, ValueError):
    kind = ErrorKind.INVALID_ID


def to_gid(kind: str, value: str | int) -> str:
    """'123' or 123 or 'gid://shopify/Location/123' -> 'gid://shopify/Location/123'."""
    text = str(value).strip()
    if text.isdigit():
        return f"gid://shopify/{kind}/{text}"
    match = _GID.match(text)
    if not match or match.group(1) != kind:
        raise IdError(f"{value!r} is not a {kind} id (a number or gid://shopify/{kind}/<number>)")
    return text
