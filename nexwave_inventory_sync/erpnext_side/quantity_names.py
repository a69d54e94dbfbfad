"""The two Shopify quantities a store can set, and which one a store sets: one home for the names.

`available` is what Shopify sells from; `on_hand` adds back what is committed to open orders
(stock_levels.py adds the store's own orders back to ERPNext's figure in that mode)."""

from __future__ import annotations

AVAILABLE = "available"
ON_HAND = "on_hand"


def quantity_name(store) -> str:
    """The quantity this store sets on Shopify (anything but on_hand reads as available)."""
    return ON_HAND if store.quantity_name == ON_HAND else AVAILABLE
