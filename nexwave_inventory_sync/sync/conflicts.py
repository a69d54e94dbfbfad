"""What to do when Shopify's figure moved since we set it (CHANGE_FROM_QUANTITY_STALE /
COMPARE_QUANTITY_STALE): the conflict policies. This module is their only home.

Public API (stable):

- `ConflictPolicy`: `ERPNEXT_WINS` ("erpnext-wins"), `KEEP_SHOPIFY_SALES`
  ("keep-shopify-sales"), `HOLD` ("hold"). `ConflictPolicy.parse(text)` accepts either form.
- `DEFAULT_POLICY`: keep-shopify-sales, chosen from the Black-Friday simulation
  (docs/benchmarks.md, section 7): in `available` mode it oversold 11 units where
  erpnext-wins oversold 102 and the snapshot push 116 (7,300 SKUs, 2 h, Shopify only), and
  unlike hold (1 unit, but 13,298 rows held and 2.5x the undersold unit-minutes) it lands
  every row.
- `settle(policy, erpnext, confirmed, shopify) -> int | None`: pure; the quantity to resend
  (with `changeFromQuantity` = `shopify`), or None to hold the row as Shopify has it.
- `still_held(held, confirmed, erpnext) -> int`: pure; of the units a confirmed level holds
  back for sales ERPNext had not imported, those still to keep at ERPNext's figure now.
- `settle_correction(policy, target, read, shopify) -> int | None`: the same for a
  reconciliation's correction, whose compare-and-set figure is the one just read, not a
  confirmed push.
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
    there since we set it. ERPNext's figure may already have fallen by F = confirmed -
    ERPNext since then: those can be the very same orders, imported meanwhile (the delta run
    only pushes this row because ERPNext's figure moved). So the sales ERPNext may not know
    yet are max(0, D - F), and ERPNext's figure minus those is sent (never below 0).

    The issue's first wording, "ERPNext's figure minus D", subtracts every imported order
    twice: the simulation measured ~10 % of rows left below both the truth and ERPNext's
    figure after each run, and twice the undersold unit-minutes (docs/benchmarks.md, 7).
    Shopify above the confirmed level (a restock, an admin edit) gives no reason to keep
    anything: ERPNext's figure stands."""
    if policy is ConflictPolicy.HOLD:
        return None
    if policy is ConflictPolicy.ERPNEXT_WINS or confirmed is None:
        return erpnext
    sold = confirmed - shopify
    if sold <= 0:
        return erpnext
    already_imported = max(0, confirmed - erpnext)
    return max(0, erpnext - max(0, sold - already_imported))


def still_held(held: int, confirmed: int, erpnext: int) -> int:
    """Of the `held` units a confirmed level kept off Shopify (Shopify sales ERPNext had not
    imported when it was set, so it answered to ERPNext's figure `confirmed + held`), those
    still to keep now that ERPNext's figure is `erpnext`. A fall of ERPNext's figure is read as
    those orders imported (settle()'s reading), so it releases as many units; a rise (a
    receipt) releases none. Pure; never below 0.

    Without it (N1, docs/reliability.md) the sales were kept for one run only: the next run,
    ERPNext unchanged, sent ERPNext's figure over the confirmed one and offered the sold units
    again until the order was imported. A hold that outlives its orders (an import hidden by a
    receipt in the same interval) keeps units off Shopify, never on: a reconciliation finds it
    as a shortfall and corrects it the second time it sees it."""
    return max(0, min(held, erpnext - confirmed))


def keeps_held(policy: ConflictPolicy) -> bool:
    """Whether stored held units stay held (delta.select_delta's keep_held): only the policy
    that held them keeps them; a store switched to erpnext-wins or hold gets ERPNext's figure."""
    return policy is ConflictPolicy.KEEP_SHOPIFY_SALES


def settle_correction(policy: ConflictPolicy, target: int, read: int, shopify: int) -> int | None:
    """A reconciliation correction met a conflict: Shopify moved between the read (`read`, the
    correction's compare-and-set figure) and the correction, and shows `shopify` now. `target`
    is what the correction set (ERPNext's figure, or Shopify's plus the shortfall seen before).

    Keep Shopify's sales: every unit below the figure just read was sold (or, in on_hand mode,
    shipped) since the read, so ERPNext cannot have imported it when it gave the figure the
    target came from: target - (read - shopify), never below 0. settle()'s "already imported"
    term does not apply: confirmed - ERPNext is here the drift being corrected, not orders
    ERPNext imported, and subtracting it would overwrite the sale. Shopify above the read (a
    restock, an admin edit) gives no reason to keep anything: the target stands. The other
    policies do what they do for a delta row: erpnext-wins sends the target, hold holds."""
    if policy is ConflictPolicy.HOLD:
        return None
    if policy is ConflictPolicy.ERPNEXT_WINS:
        return target
    sold_since_read = read - shopify
    return max(0, target - sold_since_read) if sold_since_read > 0 else target


def settle_subtracting_all_sales(erpnext: int, confirmed: int | None, shopify: int) -> int:
    """The issue's first wording of keep-shopify-sales (ERPNext's figure minus every unit
    Shopify sold since the confirmation), kept only so the simulation can show why it was
    not chosen."""
    sold = (confirmed - shopify) if confirmed is not None else 0
    return max(0, erpnext - sold) if sold > 0 else erpnext


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
