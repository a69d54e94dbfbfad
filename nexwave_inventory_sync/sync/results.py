"""Typed inputs and results of a sync run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # delta imports this module: the name is for annotations only
    from .delta import ConfirmedLevel


# slots: a run holds every row of a store (500,000 at 100,000 items x 5 locations); without a
# __dict__ per row that costs about half the memory.
@dataclass(frozen=True, slots=True)
class StockRow:
    """One (item, Shopify location) figure to push. Give whichever id you have: a cached
    inventory_item_id is used as is; a variant id or a SKU is resolved in bulk."""

    location_id: str
    quantity: (
        float | int | Decimal | str
    )  # the ERPNext figure; quantity.shopify_quantity turns it into Shopify's
    sku: str | None = None
    inventory_item_id: str | None = None
    variant_id: str | None = None
    tracked: bool | None = None  # known from a cache; False skips the row
    change_from: int | None = (
        None  # Shopify's expected current figure (compare-and-set); None skips the check
    )
    ref: str | None = None  # the caller's name for the row (an ERPNext item code), echoed in failures
    # Set by settle on a conflict resend, whose change_from is Shopify's figure just read: the
    # level confirmed before the run, which the row's in-flight mark must record as `previous`.
    base: int | None = None
    # Set by delta.select_delta on the rows that zero a confirmed level which left the stock
    # query: if Shopify no longer has the item there, there is nothing left to zero.
    zeroing: bool = False
    # The Shopify figure to set, when the engine already decided it (a reconciliation's
    # correction, a row holding sales back): the quantity rule is not applied again, so it is
    # never undone and redone (quantity.row_quantity). None: the rule applied to `quantity`.
    target: int | None = None
    # Units of ERPNext's figure kept off Shopify for Shopify sales ERPNext has not imported yet
    # (keep-shopify-sales, conflicts.still_held): the confirmed level records them, so the next
    # run keeps them back too instead of offering the sold units again (N1).
    held: int = 0

    @property
    def label(self) -> str:
        return self.ref or self.sku or self.inventory_item_id or self.variant_id or "?"


@dataclass(frozen=True)
class RowFailure:
    row: StockRow
    code: str
    message: str
    quantity: int | None = None  # what we tried to set, when we got that far
    inventory_item_id: str | None = None
    conflict: bool = False  # Shopify's figure changed under us (CHANGE_FROM_QUANTITY_STALE)


@dataclass(frozen=True)
class CommonestFailure:
    """What most failed rows share: the run's one-line cause when it has no abort of its own."""

    code: str
    count: int  # rows with that code
    example: str  # the first such row's message
    total: int  # failed rows in all
    other_codes: int  # how many other codes there were


def commonest_failure(failures: Iterable[RowFailure]) -> CommonestFailure | None:
    """The code most rows failed with (the first seen on a tie) and an example message; the
    engine's run summary and the app's log heading both word theirs from this."""
    failures = list(failures)
    if not failures:
        return None
    by_code = Counter(f.code for f in failures)
    code, count = by_code.most_common(1)[0]
    example = next(f.message for f in failures if f.code == code)
    return CommonestFailure(code, count, example, len(failures), len(by_code) - 1)


@dataclass(frozen=True)
class Resolution:
    """What id resolution learnt, for the caller to cache (ERPNext's Item Shopify Store)."""

    inventory_item_id: str
    tracked: bool
    variant_id: str | None = None
    sku: str | None = None
    # Set when a cached inventory item id was refused (INVALID_INVENTORY_ITEM: the product was
    # deleted and re-created) and this run found the new one by SKU: the stale id it replaces.
    replaces: str | None = None
    # A Shopify bundle (ProductVariant.requiresComponents): Shopify derives its stock from its
    # components and refuses a figure for it (NON_MUTABLE_INVENTORY_ITEM), so it resolves as
    # not tracked (never sent) and says why.
    requires_components: bool = False


@dataclass(frozen=True)
class Checkpoint:
    """What a run has confirmed so far, handed to a caller that saves as it goes: a worker
    killed mid-run then keeps the ids it learnt and a log of what landed."""

    resolved: tuple[Resolution, ...]  # learnt since the previous checkpoint
    batches_done: int
    batches_ok: int
    batches_failed: int
    pushed: int
    failed: int
    # Since the previous checkpoint: the levels Shopify accepted (delta.ConfirmedLevel), to be
    # saved with this checkpoint so a run killed after it keeps them; and the (item, location)
    # keys Shopify answered without applying (userErrors), whose in-flight marks can go.
    confirmed: tuple = ()
    released: tuple = ()
    # Since the previous checkpoint: confirmed levels to delete (delta.ConfirmedLevel), as in
    # RunResult.forget: a re-created product's old item, saved before its row is sent again
    # with the new id (in `resolved`), so a run killed after it leaves no level naming nothing.
    forget: tuple = ()


class RunStatus(str, Enum):
    SUCCESS = "Success"
    PARTIAL = "Partial"
    FAILED = "Failed"
    ABORTED = "Aborted"


@dataclass(frozen=True)
class RunResult:
    run_id: str
    api_version: str
    considered: int = 0
    pushed: int = 0
    unchanged_skipped: int = 0
    untracked: int = 0
    unresolved: int = 0
    failed: int = 0
    conflicts: int = 0
    batches_ok: int = 0
    batches_failed: int = 0
    api_calls: int = 0
    retries: int = 0
    throttled_answers: int = 0
    throttle_waits: int = 0
    seconds_waited: float = 0.0
    cost_requested: float = 0.0
    query_cost: float = 0.0  # actual points spent
    duration_s: float = 0.0
    calls_by_operation: Mapping[str, int] = field(default_factory=dict)
    retries_by_kind: Mapping[str, int] = field(default_factory=dict)
    failures: tuple[RowFailure, ...] = ()
    unresolved_rows: tuple[RowFailure, ...] = ()  # the first UNRESOLVED_DETAIL_LIMIT, with why
    resolved: tuple[Resolution, ...] = ()
    aborted: bool = False
    abort_kind: str | None = None
    abort_reason: str | None = None
    held: int = 0  # conflicted rows that did not land (policy hold, or still stale after repeats)
    activated: int = 0  # items connected to a location in this run (ITEM_NOT_STOCKED_AT_LOCATION)
    quantity_name: str = "available"
    # One per (item, location) Shopify accepted: the value it accepted (delta.ConfirmedLevel).
    confirmed: tuple = ()
    # Every conflict met, settled or not (conflicts.Conflict).
    conflict_rows: tuple = ()
    # Rows read but never confirmed because the run stopped (abort or deadline): counted, the
    # first UNRESOLVED_DETAIL_LIMIT kept with code NOT_SENT (never sent) or NOT_CONFIRMED (sent,
    # no answer before the stop: Shopify may or may not have applied it).
    not_sent: int = 0
    unsent_rows: tuple[RowFailure, ...] = ()
    deadline_reached: bool = False
    # Rows sent whose answer never came (the run aborted, or every retry of their call failed):
    # Shopify may or may not have applied them (in_flight.InFlightLevel). Their marks stay, so
    # the next run reads their figure before it pushes (in_flight.check_in_flight).
    in_doubt: tuple = ()
    # Zero rows whose item Shopify no longer has (deleted: INVALID_INVENTORY_ITEM) or no longer
    # stocks at the location (ITEM_NOT_STOCKED_AT_LOCATION): nothing is left to zero, so the row
    # is done, not failed.
    dropped: int = 0
    # Confirmed levels callers must delete from their store: the item of each is gone from
    # Shopify (or from the location), or was replaced by a re-created one (Resolution.replaces).
    forget: tuple[ConfirmedLevel, ...] = ()
    # One sentence a person can act on, whenever the run is not a Success: the abort's reason,
    # or what most rows failed with. (abort_reason stays for callers that read it.)
    error: str | None = None

    @property
    def any_batch_succeeded(self) -> bool:
        """The Frappe layer advances last_inventory_sync only when this is true."""
        return self.batches_ok > 0

    @property
    def status(self) -> RunStatus:
        """Success only when every row that should reach Shopify did. Rows untracked on Shopify
        are skipped by design and do not count against it; rows whose item is not on Shopify
        (SKU not found, ambiguous SKU) do: the run is then Partial."""
        if self.aborted:
            return RunStatus.ABORTED
        # Conflicts the policy settled landed: only held ones and failed rows make it partial.
        if self.failed == 0 and self.held == 0:
            if self.unresolved == 0 and self.not_sent == 0 and not self.deadline_reached:
                return RunStatus.SUCCESS
            return RunStatus.PARTIAL
        if self.deadline_reached:
            return RunStatus.PARTIAL
        return RunStatus.PARTIAL if self.pushed > 0 or self.batches_ok > 0 or self.held else RunStatus.FAILED

    @property
    def accounted(self) -> int:
        """Rows with a known fate; equals `considered` (every row read) in a correct run. A
        conflict settled by the policy is in `pushed`, a held one in `held`; a zero row whose item
        Shopify no longer has there in `dropped`."""
        return (
            self.pushed
            + self.failed
            + self.held
            + self.unresolved
            + self.untracked
            + self.unchanged_skipped
            + self.not_sent
            + self.dropped
        )
