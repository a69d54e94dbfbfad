"""Rows sent whose answer was never seen: the crash rule.

A batch leaves; the process is killed (SIGKILL, a job timeout, Ctrl-C at the wrong moment) or
the run aborts before Shopify's answer is folded in. Shopify may or may not have applied it.
The stored confirmed level is then either the figure before the batch or the figure the batch
set, and a delta run that guessed wrong would skip a row that needs sending (its ERPNext
figure went back to the stale level) or settle a phantom conflict (our own write read as a
sale).

So a caller marks each row as in flight before its batch leaves (`SyncOptions.on_sending`),
clears the mark when a checkpoint confirms the row or Shopify refused it, and before the next
run's delta reads Shopify's figure of every row still marked (`check_in_flight`) and takes the
level that figure proves (`level_after`). Public API (stable; the app and the CLI call it):

- `InFlightLevel(inventory_item_id, location_id, sent, previous, ref)`: a row that left.
- `level_after(mark, shopify) -> int | None`: pure; the level to take as confirmed.
- `check_in_flight(endpoint, marks, ...) -> InFlightCheck`: one read (250 items a call).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .client import CallFailed, CallStats, ShopifyClient
from .clock import Clock
from .delta import ConfirmedLevel, LevelKey, level_key
from .endpoint import ShopifyEndpoint
from .levels import read_levels
from .retry import RetryPolicy

IN_FLIGHT_SOURCE = "in-flight"


@dataclass(frozen=True)
class InFlightLevel:
    inventory_item_id: str
    location_id: str
    sent: int  # the figure the batch set
    previous: int | None  # the confirmed level it was sent against (None: never confirmed)
    ref: str | None = None  # the caller's name for the row (ERPNext item code, SKU)
    # The sales each candidate level holds back (ConfirmedLevel.held): the row's as sent, and
    # the confirmed level's it was sent against.
    held: int = 0
    previous_held: int = 0

    @property
    def key(self) -> LevelKey:
        return level_key(self.inventory_item_id, self.location_id)


def level_after(mark: InFlightLevel, shopify: int | None) -> int | None:
    """Pure. Shopify shows the figure we sent: it landed. It shows the level before: it did
    not. Anything else means Shopify's figure moved too (a sale, an edit) and we cannot tell
    from which base: take the higher candidate, which reads every unit below it as a Shopify
    sale, so the next run's conflict policy can only keep more units back, never oversell.
    None: nothing to keep. Shopify has no level there any more (item deleted, or not stocked),
    or the row was never confirmed and Shopify shows another figure than the one sent: the batch
    may never have left (killed between marking and sending), and taking the figure sent would
    hide the row from every later delta; it is pushed again as a row never confirmed."""
    if shopify is None:
        return None
    if mark.previous is None:
        return shopify if shopify == mark.sent else None
    if shopify in (mark.sent, mark.previous):
        return shopify
    return max(mark.sent, mark.previous)


def _held_at(mark: InFlightLevel, shopify: int | None) -> int:
    """The sales the proven level holds back: those of the candidate Shopify shows (the more of
    the two when both are the same figure). When Shopify shows neither, none: the next run's
    compare-and-set meets Shopify's figure and the policy keeps its sales again."""
    candidates = [
        held
        for figure, held in ((mark.sent, mark.held), (mark.previous, mark.previous_held))
        if figure == shopify
    ]
    return max(candidates, default=0)


@dataclass(frozen=True)
class InFlightCheck:
    confirmed: tuple[ConfirmedLevel, ...]  # the level each mark proved (source "in-flight")
    gone: tuple[InFlightLevel, ...]  # nothing proved to keep (level_after: None): forget mark and level
    unread: tuple[InFlightLevel, ...]  # the read failed: keep the marks, exclude nothing
    api_calls: int = 0
    error: str | None = None  # why the read failed, for the log

    @property
    def settled(self) -> tuple[LevelKey, ...]:
        return tuple(level.key for level in self.confirmed) + tuple(mark.key for mark in self.gone)


def check_in_flight(
    endpoint: ShopifyEndpoint,
    marks: Sequence[InFlightLevel],
    *,
    quantity_name: str = "available",
    policy: RetryPolicy | None = None,
    clock: Clock | None = None,
    timeout: tuple[float, float] = (5.0, 60.0),
) -> InFlightCheck:
    """Read Shopify's figure of every marked row and settle each mark. Never raises for what
    Shopify or the network does: a failed read leaves the marks for the next run (`unread`)."""
    if not marks:
        return InFlightCheck((), (), ())
    stats = CallStats()
    try:
        with ShopifyClient(
            endpoint, policy=policy or RetryPolicy(), clock=clock, timeout=timeout, stats=stats
        ) as client:
            current = read_levels(client, [mark.key for mark in marks], quantity_name)
    except CallFailed as failure:  # RunAborted too
        return InFlightCheck((), (), tuple(marks), stats.api_calls, str(failure.error))
    return settle_marks(marks, current, stats.api_calls)


def settle_marks(
    marks: Iterable[InFlightLevel], current: dict[LevelKey, int | None], api_calls: int = 0
) -> InFlightCheck:
    """Pure: the check's result from Shopify's figures (None or missing: no level there)."""
    confirmed, gone = [], []
    for mark in marks:
        level = level_after(mark, current.get(mark.key))
        if level is None:
            gone.append(mark)
        else:
            confirmed.append(
                ConfirmedLevel(
                    mark.key[0],
                    mark.key[1],
                    level,
                    mark.ref,
                    IN_FLIGHT_SOURCE,
                    _held_at(mark, current.get(mark.key)),
                )
            )
    return InFlightCheck(tuple(confirmed), tuple(gone), (), api_calls)
