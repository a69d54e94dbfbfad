"""What a read of Shopify's levels returns, whichever way it was read (levels.py by pages,
bulk.py by one bulk operation): its own module, so neither reader imports the other's."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .delta import LevelKey
from .results import Resolution

# Told how far a read has come: levels read by the pages, or objects a bulk operation wrote.
ReadProgress = Callable[[int], None]


@dataclass
class LevelRead:
    levels: dict[LevelKey, int] = field(default_factory=dict)
    skus: dict[str, str | None] = field(default_factory=dict)  # inventory item gid -> sku
    resolutions: list[Resolution] = field(default_factory=list)  # bulk reads only
    # inventory item gid -> whether Shopify tracks its stock (a reconciliation leaves the
    # untracked out of its comparison: a push skips them by design).
    tracked: dict[str, bool] = field(default_factory=dict)
    method: str = "pages"
    calls: int = 0


def named_quantity(quantities: Iterable[dict] | None, name: str) -> int | None:
    """The named figure, or None; an answer of the wrong shape counts as no figure (the
    fuzzed-answer rule: nothing Shopify sends may raise out of the engine)."""
    if not isinstance(quantities, list):
        return None
    for entry in quantities:
        if isinstance(entry, dict) and entry.get("name") == name:
            value = entry.get("quantity")
            return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None
