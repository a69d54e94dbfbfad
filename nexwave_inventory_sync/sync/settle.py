"""After a run's batches: settle compare-and-set conflicts by the store's policy, and connect
items to the locations Shopify says they are not stocked at (when the store allows it).

Called by run.sync_inventory; not a public entry point of its own. The rules it applies live
in conflicts.py (the policies) and push.py (the batch); this module only sequences the calls:
one read of the conflicting rows' current quantities (<= 250 items per call), a resend with
the fresh `changeFromQuantity`, and at most `conflicts.MAX_REPEATS` repeats for rows that meet
a new conflict.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from . import documents
from .client import CallFailed, RunAborted, ShopifyClient
from .conflicts import MAX_REPEATS, Conflict, ConflictPolicy, settle
from .delta import LevelKey
from .levels import read_levels
from .push import BatchOutcome, ReadyRow, Refusal, batches
from .results import RowFailure, StockRow
from .versions import uses_idempotency

NOT_STOCKED = "ITEM_NOT_STOCKED_AT_LOCATION"
ACTIVATE_OPTION = "connect items to mapped locations"

SendBatch = Callable[[Sequence[ReadyRow]], BatchOutcome]


@dataclass
class Settled:
    conflicts: list[Conflict] = field(default_factory=list)
    landed: list[ReadyRow] = field(default_factory=list)
    failures: list[RowFailure] = field(default_factory=list)
    activated: int = 0
    # Rows Shopify already showed at ERPNext's figure: confirmed (in `landed`) without a write,
    # and not conflicts, since nothing disagrees.
    agreed: int = 0
    # The run stopped part-way (locked shop, revoked token, deadline). Everything above is what
    # happened before; rows sent without an answer are in `unconfirmed`, rows the stop kept
    # from being sent in `not_sent`, rows not yet settled back in `failures` as they were.
    abort: RunAborted | None = None
    unconfirmed: list[ReadyRow] = field(default_factory=list)
    not_sent: list[ReadyRow] = field(default_factory=list)


def _key(ready: ReadyRow) -> LevelKey:
    return ready.inventory_item_id, ready.location_id


def _resend_row(row: StockRow, shopify: int) -> StockRow:
    """Compared with Shopify's figure just read; its in-flight mark keeps the level confirmed
    before the run (`base`), so a resend cut short leaves the sales it kept counted."""
    return replace(row, change_from=shopify, base=row.base if row.base is not None else row.change_from)


def _holding(original: ReadyRow, quantity: int, shopify: int) -> StockRow:
    """The row resent (or confirmed as Shopify shows it) at `quantity` instead of the figure first
    sent: the units between are Shopify sales kept back, added to those the row already held,
    so its confirmed level keeps them back on the next runs too (conflicts.still_held)."""
    row = _resend_row(original.row, shopify)
    return replace(row, target=quantity, held=row.held + max(0, original.quantity - quantity))


def _stop_note(abort: RunAborted) -> str:
    return f" (the run stopped before it was settled: {abort.error.message})"


def settle_conflicts(
    client: ShopifyClient,
    conflicted: Sequence[Refusal],
    policy: ConflictPolicy,
    send: SendBatch,
    name: str,
) -> Settled:
    """Read the conflicting rows' figures, settle each by the policy, resend, and repeat for
    rows that meet a new conflict. Never raises RunAborted: a stop part-way comes back in
    Settled.abort, every row accounted for."""
    rounds = _ConflictRounds(conflicted, policy)
    pending = dict(rounds.first)
    try:
        while pending:
            try:
                current = read_levels(client, pending.keys(), name)
            except RunAborted:
                raise
            except CallFailed as failure:  # a read that fails fails these rows, never the run
                rounds.read_failed(pending, failure.error.message)
                return rounds.out
            resend = rounds.decide(pending, current)
            pending = {}
            for batch in batches(resend, client.endpoint.api_version):
                pending.update(rounds.fold(send(batch)))
    except RunAborted as abort:
        rounds.stopped(abort)
    return rounds.out


class _ConflictRounds:
    """The state of one settling: each conflicting row as first sent, its attempts and the
    figure Shopify last showed, and the Settled it reports into."""

    def __init__(self, conflicted: Sequence[Refusal], policy: ConflictPolicy):
        self.policy = policy
        self.out = Settled()
        # the row as first sent, with the confirmed level sent; and how Shopify refused it
        self.first: dict[LevelKey, ReadyRow] = {_key(f.ready): f.ready for f in conflicted}
        self.refused: dict[LevelKey, Refusal] = {_key(f.ready): f for f in conflicted}
        self.unsettled = set(self.first)  # rows whose fate is not known yet
        self.attempts: dict[LevelKey, int] = dict.fromkeys(self.first, 0)
        self.shopify_seen: dict[LevelKey, int | None] = {}

    def report(self, key: LevelKey, outcome: str, sent: int | None = None, message: str = "") -> None:
        self.unsettled.discard(key)
        ready = self.first[key]
        self.out.conflicts.append(
            Conflict(
                ref=ready.row.label,
                inventory_item_id=key[0],
                location_id=key[1],
                erpnext=ready.quantity,
                confirmed=ready.row.change_from,
                shopify=self.shopify_seen.get(key),
                sent=sent,
                outcome=outcome,
                attempts=self.attempts[key],
                message=message,
            )
        )

    def read_failed(self, pending: Mapping[LevelKey, ReadyRow], why: str) -> None:
        for key in pending:
            self.report(key, "failed", message=f"could not read Shopify's figure: {why}")
            self.out.failures.append(self.first[key].failure("CONFLICT_READ_FAILED", why))

    def decide(
        self, pending: Mapping[LevelKey, ReadyRow], current: Mapping[LevelKey, int | None]
    ) -> list[ReadyRow]:
        """Each pending row against Shopify's figure now: settled without a write, or the
        row to resend with the policy's figure."""
        out, resend = self.out, []
        for key in pending:
            shopify = current.get(key)
            self.shopify_seen[key] = shopify
            original = self.first[key]
            if shopify is None:
                self.report(key, "failed", message="the item is no longer stocked at the location")
                out.failures.append(
                    original.failure(NOT_STOCKED, "the item is no longer stocked at the location")
                )
            elif shopify == original.quantity:
                # Shopify already shows ERPNext's figure (our own write whose answer was
                # lost, or the same change made there): under every policy there is nothing
                # to write or hold, and no conflict; the figure is now confirmed.
                out.landed.append(replace(original, row=replace(original.row, change_from=shopify)))
                out.agreed += 1
                self.unsettled.discard(key)
            elif self.policy is ConflictPolicy.HOLD:
                self.report(key, "held", message="held for review: Shopify's figure was left as it is")
            elif self.attempts[key] > MAX_REPEATS:
                self.report(
                    key, "unsettled", message=f"still changing on Shopify after {MAX_REPEATS} repeats"
                )
            elif (
                target := settle(self.policy, original.quantity, original.row.change_from, shopify)
            ) == shopify:
                # Shopify already shows what the policy wants: nothing to write, and that
                # figure is now confirmed.
                out.landed.append(
                    replace(original, row=_holding(original, shopify, shopify), quantity=shopify)
                )
                self.report(key, "resolved", sent=None, message="Shopify already showed the settled figure")
            else:
                self.attempts[key] += 1
                resend.append(replace(original, row=_holding(original, target, shopify), quantity=target))
        return resend

    def fold(self, outcome: BatchOutcome) -> dict[LevelKey, ReadyRow]:
        """A resend's outcome; returns the rows that met a new conflict (read again)."""
        again: dict[LevelKey, ReadyRow] = {}
        self.out.landed.extend(outcome.landed)
        for ready in outcome.landed:
            self.report(_key(ready), "resolved", sent=ready.quantity)
        for failure in outcome.failures:
            key = _key(failure.ready)
            if failure.conflict and key in self.first:
                again[key] = self.first[key]
            else:
                self.report(
                    key, "failed", sent=failure.quantity, message=f"{failure.code}: {failure.message}"
                )
                self.out.failures.append(failure)
        return again

    def stopped(self, abort: RunAborted) -> None:
        """A stop part-way: a row resent without an answer is unconfirmed; a row not yet
        settled keeps the refusal it had, with the stop's reason."""
        self.out.abort = abort
        in_flight = {_key(ready): ready for ready in abort.rows}
        for key in [k for k in self.first if k in self.unsettled]:
            if key in in_flight:
                self.out.unconfirmed.append(in_flight[key])
                self.report(
                    key,
                    "failed",
                    sent=in_flight[key].quantity,
                    message="resent, but the run stopped before Shopify confirmed it",
                )
            else:
                failure = self.refused[key]
                self.out.failures.append(replace(failure, message=failure.message + _stop_note(abort)))
                self.unsettled.discard(key)


def activation_key(run_id: str, inventory_item_id: str, location_id: str) -> str:
    digest = hashlib.sha256(f"{run_id}|{inventory_item_id}|{location_id}".encode()).hexdigest()
    return f"nexwave-activate-{digest[:40]}"


def activate_and_resend(
    client: ShopifyClient,
    unstocked: Sequence[Refusal],
    run_id: str,
    send: SendBatch,
) -> Settled:
    """Activate each item where it is missing: inventoryActivate (idempotent from 2026-04) for
    an item missing at one location, inventoryBulkToggleActivation (one call for all its
    locations; Shopify has no multi-item activation) for an item missing at several. Then
    one batched push of the activated rows. Never raises RunAborted: a stop part-way comes
    back in Settled.abort, every row accounted for."""
    out = Settled()
    by_item: dict[str, list[Refusal]] = {}
    for failure in unstocked:
        by_item.setdefault(failure.inventory_item_id, []).append(failure)
    ready_rows: list[ReadyRow] = []
    items = list(by_item.items())
    try:
        while items:
            item, failures = items[0]
            stocked, refused = _activate_item(client, item, [f.ready for f in failures], run_id)
            del items[0]  # only now: a stop inside leaves this item's refusals standing (below)
            out.activated += len(stocked)
            ready_rows += stocked
            out.failures += refused
        queue = batches(ready_rows, client.endpoint.api_version)
        ready_rows = []  # from here on, the rows of the batches not yet answered
        for number, batch in enumerate(queue):
            ready_rows = [r for later in queue[number:] for r in later]
            outcome = send(batch)
            out.landed.extend(outcome.landed)
            out.failures.extend(outcome.failures)
        ready_rows = []
    except RunAborted as abort:
        out.abort = abort
        # Not activated yet: the refusal stands. Activated, not pushed: not sent.
        out.failures += [
            replace(f, message=f.message + _stop_note(abort)) for _, failures in items for f in failures
        ]
        in_flight = {_key(ready) for ready in abort.rows}
        out.unconfirmed += [r for r in ready_rows if _key(r) in in_flight]
        out.not_sent += [r for r in ready_rows if _key(r) not in in_flight]
    return out


def _activate_item(
    client: ShopifyClient, item: str, rows: list[ReadyRow], run_id: str
) -> tuple[list[ReadyRow], list[RowFailure]]:
    """One item activated where it is missing: (the rows to push, the failures of the rows it
    was not activated for). A RunAborted goes up."""
    try:
        if len(rows) == 1:
            activated, message = _activate_one(client, rows[0], run_id)
        else:
            activated, message = _activate_many(client, item, rows)
    except RunAborted:
        raise
    except CallFailed as error:
        return [], [r.failure(NOT_STOCKED, f"activation failed: {error.error.message}") for r in rows]
    reason = message or "Shopify did not activate the item there"
    return (
        # Freshly stocked: there is no earlier figure to compare with.
        [replace(r, row=replace(r.row, change_from=None)) for r in rows if r.location_id in activated],
        [
            r.failure(NOT_STOCKED, f"activation refused: {reason}")
            for r in rows
            if r.location_id not in activated
        ],
    )


def _payload(data: dict, field: str) -> dict:
    payload = data.get(field) if isinstance(data, dict) else None
    return payload if isinstance(payload, dict) else {}


def _activate_one(client: ShopifyClient, ready: ReadyRow, run_id: str) -> tuple[set[str], str]:
    api_version = client.endpoint.api_version
    variables = {"inventoryItemId": ready.inventory_item_id, "locationId": ready.location_id}
    if uses_idempotency(api_version):
        # Required from 2026-04; derived from the run so a retried call is applied once.
        variables["idempotencyKey"] = activation_key(run_id, ready.inventory_item_id, ready.location_id)
    data = client.execute(
        documents.activate_document(api_version), variables, operation="ActivateInventory", expected_cost=10
    )
    payload = _payload(data, "inventoryActivate")
    errors = [e for e in payload.get("userErrors") or [] if isinstance(e, dict)]
    if errors or not payload.get("inventoryLevel"):
        return set(), "; ".join(str(e.get("message")) for e in errors)
    return {ready.location_id}, ""


def _activate_many(client: ShopifyClient, item: str, rows: Sequence[ReadyRow]) -> tuple[set[str], str]:
    data = client.execute(
        documents.BULK_TOGGLE_ACTIVATION,
        {"inventoryItemId": item, "updates": [{"locationId": r.location_id, "activate": True} for r in rows]},
        operation="ActivateAtLocations",
        expected_cost=10,
    )
    payload = _payload(data, "inventoryBulkToggleActivation")
    errors = [e for e in payload.get("userErrors") or [] if isinstance(e, dict)]
    levels = payload.get("inventoryLevels") if isinstance(payload.get("inventoryLevels"), list) else []
    activated = {
        level["location"]["id"]
        for level in levels
        if isinstance(level, dict) and isinstance(level.get("location"), dict)
    }
    return activated, "; ".join(str(e.get("message")) for e in errors)
