"""Send batches of up to 250 quantities with inventorySetQuantities and map every
userError back to the row it names.

Shopify may reject a whole batch for one bad row (no inventoryAdjustmentGroup): the rows
it did not name are then sent once more on their own, so three bad rows never cost the
other 247.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from . import documents
from .client import CallFailed, RunAborted, ShopifyClient
from .limits import BATCH_SIZE
from .results import RowFailure, StockRow
from .retry import Action
from .versions import uses_idempotency

# Shopify's list of reasons; "correction" is the one for "the system of record says so".
REASON = "correction"
# The quantity ERPNext sets: "available" (default) or "on_hand" (Shopify then subtracts its
# own unfulfilled orders, `committed`, itself). See docs/benchmarks.md for when to pick which.
QUANTITY_NAME = "available"
QUANTITY_NAMES = ("available", "on_hand")
CONFLICT_CODES = frozenset({"CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE"})


@dataclass(frozen=True)
class ReadyRow:
    """A row that passed the quantity rule and has its inventory item."""

    row: StockRow
    inventory_item_id: str
    location_id: str
    quantity: int

    def failure(self, code: str, message: str) -> RowFailure:
        return RowFailure(
            self.row,
            code,
            message,
            quantity=self.quantity,
            inventory_item_id=self.inventory_item_id,
            conflict=code in CONFLICT_CODES,
        )


@dataclass
class BatchOutcome:
    pushed: int = 0
    failures: list[RowFailure] = field(default_factory=list)
    calls_ok: int = 0  # mutations Shopify accepted (the batch, or its resend); 0 = the batch failed
    landed: list[ReadyRow] = field(default_factory=list)  # rows Shopify accepted: their confirmed levels

    @property
    def ok(self) -> bool:
        return self.calls_ok > 0


def reference_document_uri(run_id: str) -> str:
    """Shown in Shopify's inventory history next to each change: which run made it."""
    return f"gid://nexwave-inventory-sync/SyncRun/{quote(run_id, safe='')}"


def batch_quantities(batch: Sequence[ReadyRow], api_version: str) -> list[dict]:
    if uses_idempotency(api_version):
        # changeFromQuantity must be present on every row, even as null (null: no check).
        return [
            {
                "inventoryItemId": r.inventory_item_id,
                "locationId": r.location_id,
                "quantity": r.quantity,
                "changeFromQuantity": r.row.change_from,
            }
            for r in batch
        ]
    rows = []
    for r in batch:
        row = {"inventoryItemId": r.inventory_item_id, "locationId": r.location_id, "quantity": r.quantity}
        if r.row.change_from is not None:
            row["compareQuantity"] = r.row.change_from
        rows.append(row)
    return rows


def idempotency_key(run_id: str, quantities: list[dict]) -> str:
    """Same run + same batch content -> same key, so a retry after a lost answer is applied
    once; a resend with different rows gets a key of its own."""
    digest = hashlib.sha256(
        json.dumps([run_id, quantities], sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    return f"nexwave-{digest[:48]}"


def mutation_variables(
    batch: Sequence[ReadyRow], api_version: str, run_id: str, name: str = QUANTITY_NAME
) -> dict:
    quantities = batch_quantities(batch, api_version)
    payload = {
        "reason": REASON,
        "name": name,
        "referenceDocumentUri": reference_document_uri(run_id),
        "quantities": quantities,
    }
    if uses_idempotency(api_version):
        return {"input": payload, "idempotencyKey": idempotency_key(run_id, quantities)}
    # Legacy shape: rows without compareQuantity must opt out of the check explicitly.
    payload["ignoreCompareQuantity"] = not any(r.row.change_from is not None for r in batch)
    return {"input": payload}


def map_user_errors(size: int, user_errors: Sequence[dict]) -> tuple[dict[int, dict], list[dict]]:
    """Split userErrors into {row index: error} (field ["input","quantities","<i>",...]) and
    the errors that name no row (input-level: reason, name, idempotency)."""
    by_row: dict[int, dict] = {}
    other: list[dict] = []
    for error in user_errors:
        path = error.get("field") or []
        if (
            len(path) >= 3
            and path[0] == "input"
            and path[1] == "quantities"
            and str(path[2]).isdigit()
            and int(path[2]) < size
        ):
            by_row.setdefault(int(path[2]), error)
        else:
            other.append(error)
    return by_row, other


def _describe(errors: Sequence[dict]) -> tuple[str, str]:
    first = errors[0]
    return str(first.get("code") or "USER_ERROR"), "; ".join(str(e.get("message")) for e in errors)


def send_batch(
    client: ShopifyClient,
    batch: Sequence[ReadyRow],
    run_id: str,
    *,
    resend: bool = True,
    name: str = QUANTITY_NAME,
) -> BatchOutcome:
    """Push one batch; raise RunAborted when the run must stop (auth, locked shop)."""
    outcome = BatchOutcome()
    api_version = client.endpoint.api_version
    try:
        data = client.execute(
            documents.set_quantities_document(api_version),
            mutation_variables(batch, api_version, run_id, name),
            operation="SetInventoryQuantities",
        )
    except CallFailed as failure:
        if failure.action is Action.ABORT_RUN:
            raise RunAborted(failure) from None
        code = failure.error.code or failure.error.kind.upper()
        outcome.failures = [r.failure(code, failure.error.message) for r in batch]
        return outcome

    payload = data.get("inventorySetQuantities") or {}
    user_errors = payload.get("userErrors") or []
    by_row, other = map_user_errors(len(batch), user_errors)
    applied = payload.get("inventoryAdjustmentGroup") is not None or not user_errors
    if applied:
        # Accepted (a null group with no errors means nothing needed changing).
        outcome.calls_ok = 1
        outcome.failures = [batch[i].failure(*_describe([e])) for i, e in sorted(by_row.items())]
        outcome.landed = [r for i, r in enumerate(batch) if i not in by_row]
        outcome.pushed = len(outcome.landed)
        return outcome

    # Rejected whole: nothing was applied.
    outcome.failures = [batch[i].failure(*_describe([e])) for i, e in sorted(by_row.items())]
    good = [r for i, r in enumerate(batch) if i not in by_row]
    if other or not by_row or not resend or not good:
        # An error that names no row rejects every row; say it on each.
        code, message = _describe(other or user_errors)
        outcome.failures += [r.failure(code, f"batch rejected: {message}") for r in good]
        return outcome
    retry = send_batch(client, good, run_id, resend=False, name=name)
    outcome.landed = retry.landed
    outcome.pushed = retry.pushed
    outcome.calls_ok = retry.calls_ok
    outcome.failures += retry.failures
    return outcome


def batches(rows: Sequence[ReadyRow], size: int = BATCH_SIZE) -> list[Sequence[ReadyRow]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]
