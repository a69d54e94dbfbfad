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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from . import documents
from .client import CallFailed, RunAborted, ShopifyClient
from .conflicts import MAX_REPEATS, Conflict, ConflictPolicy, settle
from .delta import LevelKey
from .ids import to_gid
from .levels import read_levels
from .limits import BATCH_SIZE
from .push import BatchOutcome, ReadyRow, batches
from .results import RowFailure
from .retry import Action
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


def _ready(failure: RowFailure) -> ReadyRow:
    # RowFailures of rows that reached a batch carry the item and the quantity sent.
    return ReadyRow(
        failure.row, failure.inventory_item_id, to_gid("Location", failure.row.location_id), failure.quantity
    )


def settle_conflicts(
    client: ShopifyClient,
    conflicted: Sequence[RowFailure],
    policy: ConflictPolicy,
    send: SendBatch,
    name: str,
) -> Settled:
    out = Settled()
    # key -> (row as first sent, the confirmed level we sent, resends made)
    first: dict[LevelKey, ReadyRow] = {}
    for failure in conflicted:
        ready = _ready(failure)
        first[(ready.inventory_item_id, ready.location_id)] = ready
    pending = dict(first)
    attempts: dict[LevelKey, int] = dict.fromkeys(first, 0)
    shopify_seen: dict[LevelKey, int | None] = {}

    def report(key: LevelKey, outcome: str, sent: int | None = None, message: str = "") -> None:
        ready = first[key]
        out.conflicts.append(
            Conflict(
                ref=ready.row.label,
                inventory_item_id=key[0],
                location_id=key[1],
                erpnext=ready.quantity,
                confirmed=ready.row.change_from,
                shopify=shopify_seen.get(key),
                sent=sent,
                outcome=outcome,
                attempts=attempts[key],
                message=message,
            )
        )

    while pending:
        try:
            current = read_levels(client, pending.keys(), name)
        except RunAborted:
            raise
        except Exception as failure:  # noqa: BLE001 - a read that fails fails these rows, never the run
            if isinstance(failure, CallFailed) and failure.action is Action.ABORT_RUN:
                raise RunAborted(failure) from None
            why = (
                failure.error.message
                if isinstance(failure, CallFailed)
                else f"{type(failure).__name__}: {failure}"
            )
            for key in pending:
                report(key, "failed", message=f"could not read Shopify's figure: {why}")
                out.failures.append(first[key].failure("CONFLICT_READ_FAILED", why))
            return out
        resend: list[ReadyRow] = []
        for key in pending:
            shopify = current.get(key)
            shopify_seen[key] = shopify
            original = first[key]
            if shopify is None:
                report(key, "failed", message="the item is no longer stocked at the location")
                out.failures.append(
                    original.failure(NOT_STOCKED, "the item is no longer stocked at the location")
                )
                continue
            if policy is ConflictPolicy.HOLD:
                report(key, "held", message="held for review: Shopify's figure was left as it is")
                continue
            if attempts[key] > MAX_REPEATS:
                report(key, "unsettled", message=f"still changing on Shopify after {MAX_REPEATS} repeats")
                continue
            target = settle(policy, original.quantity, original.row.change_from, shopify)
            if target == shopify:
                # Shopify already shows what the policy wants: nothing to write, and that
                # figure is now confirmed.
                out.landed.append(
                    replace(original, row=replace(original.row, change_from=shopify), quantity=shopify)
                )
                report(key, "resolved", sent=None, message="Shopify already showed the settled figure")
                continue
            attempts[key] += 1
            resend.append(replace(original, row=replace(original.row, change_from=shopify), quantity=target))
        pending = {}
        for batch in batches(resend, BATCH_SIZE):
            outcome = send(batch)
            out.landed.extend(outcome.landed)
            for ready in outcome.landed:
                report((ready.inventory_item_id, ready.location_id), "resolved", sent=ready.quantity)
            for failure in outcome.failures:
                key = (failure.inventory_item_id, _ready(failure).location_id)
                if failure.conflict and key in first:
                    pending[key] = first[key]
                else:
                    report(key, "failed", sent=failure.quantity, message=f"{failure.code}: {failure.message}")
                    out.failures.append(failure)
    return out


def activation_key(run_id: str, inventory_item_id: str, location_id: str) -> str:
    digest = hashlib.sha256(f"{run_id}|{inventory_item_id}|{location_id}".encode()).hexdigest()
    return f"nexwave-activate-{digest[:40]}"


def activate_and_resend(
    client: ShopifyClient,
    unstocked: Sequence[RowFailure],
    run_id: str,
    send: SendBatch,
) -> Settled:
    """Activate each item where it is missing: inventoryActivate (idempotent from 2026-04) for
    an item missing at one location, inventoryBulkToggleActivation (one call for all its
    locations; Shopify has no multi-item activation) for an item missing at several. Then
    one batched push of the activated rows."""
    out = Settled()
    by_item: dict[str, list[ReadyRow]] = {}
    for failure in unstocked:
        ready = _ready(failure)
        by_item.setdefault(ready.inventory_item_id, []).append(ready)
    ready_rows = []
    for item, rows in by_item.items():
        try:
            if len(rows) == 1:
                activated, message = _activate_one(client, rows[0], run_id)
            else:
                activated, message = _activate_many(client, item, rows)
        except CallFailed as error:
            if error.action is Action.ABORT_RUN:
                raise RunAborted(error) from None
            out.failures += [
                r.failure(NOT_STOCKED, f"activation failed: {error.error.message}") for r in rows
            ]
            continue
        for ready in rows:
            if ready.location_id in activated:
                out.activated += 1
                # Freshly stocked: there is no earlier figure to compare with.
                ready_rows.append(replace(ready, row=replace(ready.row, change_from=None)))
            else:
                reason = message or "Shopify did not activate the item there"
                out.failures.append(ready.failure(NOT_STOCKED, f"activation refused: {reason}"))
    for batch in batches(ready_rows, BATCH_SIZE):
        outcome = send(batch)
        out.landed.extend(outcome.landed)
        out.failures.extend(outcome.failures)
    return out


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
