"""What to do when Shopify's figure moved since we set it (CHANGE_FROM_QUANTITY_STALE /
COMPARE_QUANTITY_STALE): the conflict policies. This module is their only home.

Public API (stable):

- `ConflictPolicy`: `ERPNEXT_WINS` ("erpnext-wins"), `KEEP_SHOPIFY_SALES`
  ("keep-shopify-sales"), `HOLD` ("hold"). `ConflictPolicy.parse(text)` accepts either form.
- `DEFAULT_POLICY`: keep-shopify-sales, chosen from the Black-Friday simulation
  (docs/benchmarks.md): it is the only policy that never oversells a Shopify sale ERPNext has
  not imported yet, and unlike hold it lands every row.
- `settle(policy, erpnext, confirmed, shopify) -> int | None`: pure; the quantity to resend
  (with `changeFromQuantity` = `shopify`), or None to hold the row as Shopify has it.
- `Conflict`: one conflict as reported (ERPNext's figure, the confirmed one, Shopify's, what
  was sent and how it ended: "resolved", "held", "unsettled" (still stale after the repeats),
  "failed" (the resend failed for another reason)).
- `MAX_REPEATS` = 2: a resend that meets a new conflict repeats at most twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

MAX_REPEATS = 2


class ConflictPolicy(str, Enum):
    ERPNEXT_WINS = "erpnext-wins"
    KEEP_SHOPIFY_SALES = "keep-shopify-sales"
    HOLD = "hold"

    @classmethod
    def parse(cls, value: str | ConflictPolicy) -> ConflictPolicy:
        if isinstance(value, ConflictPolicy):
            return value
        text = str(value).strip().lower().replace("_", "-").replace(" ", "-")
        aliases = {
            "erpnext-wins": cls.ERPNEXT_WINS,
            "keep-shopify-sales": cls.KEEP_SHOPIFY_SALES,
            "hold": cls.HOLD,
        }
        if text not in aliases:
            raise ValueError(f"unknown conflict policy {value!r}; use one of {', '.join(aliases)}")
        return aliases[text]


DEFAULT_POLICY = ConflictPolicy.KEEP_SHOPIFY_SALES


def settle(policy: ConflictPolicy, erpnext: int, confirmed: int | None, shopify: int) -> int | None:
    """Keep Shopify's sales: Shopify below the confirmed level by D units means D units sold
    there that ERPNext may not know yet; sending ERPNext's figure minus D keeps them sold.
    Shopify above the confirmed level (a restock, an admin edit) gives no such reason:
    ERPNext's figure stands."""
    if policy is ConflictPolicy.HOLD:
        return None
    if policy is ConflictPolicy.ERPNEXT_WINS or confirmed is None:
        return erpnext
    sold = confirmed - shopify
    if sold > 0:
        return max(0, erpnext - sold)
    return erpnext


@dataclass(frozen=True)
class Conflict:
    ref: str
    inventory_item_id: str
    location_id: str
    erpnext: int  # what ERPNext wanted Shopify to show (after the quantity rule)
    confirmed: int | None  # the changeFromQuantity we sent
    shopify: int | None  # what Shopify held when we read it (None: the read failed)
    sent: int | None = None  # the resend's quantity (None: held or not resent)
    outcome: str = "unsettled"  # resolved | held | unsettled | failed
    attempts: int = 0  # resends made
    message: str = ""
