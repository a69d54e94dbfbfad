"""What became of a row that did not land, in words, for the Shopify Log's grid (its Outcome
column beside the reason): the admin reads what was done and what happens next without looking
the code up."""

from __future__ import annotations

from frappe import _

from ..sync.api import NOT_STOCKED

# Codes whose row comes back by itself, and how; any other code is read again next run.
_OUTCOMES = {
    "SKU_NOT_FOUND": "Left: not on Shopify; looked up again when the item changes, or daily",
    "NO_SKU": "Left: the item has no SKU; read again when the item changes",
    "SKU_ON_TWO_ITEMS": "Held back until each item has its own SKU",
    "AMBIGUOUS_SKU": "Left: two Shopify variants share this SKU; give each its own",
    "VARIANT_NOT_FOUND": "Left: Shopify has no such variant; correct the Variant ID on the item",
    "NOT_SENT": "Not sent (the run stopped): the next run sends it",
    "NOT_CONFIRMED": "Sent, not confirmed (the run stopped): the next run sends it again",
    NOT_STOCKED: "Left: not stocked at this location (see Connect Items to Mapped Locations)",
}
_DEFAULT = "Left: read and sent again on the next run"


def row_outcome(code: str | None) -> str:
    return _(_OUTCOMES.get(code or "", _DEFAULT))
