"""Send batches of up to 250 quantities with inventorySetQuantities and map every
userError back to the row it names.

Shopify may reject a whole batch for one bad row (no inventoryAdjustmentGroup): the rows
it did not name are then sent again on their own (at most MAX_RESENDS times), so three bad
rows never cost the other 247. Only rows Shopify names are failed with its code (a stale one
is a conflict); a row it did not name in a refusal is never a conflict.

Before 2026-04 the compare-and-set check is switched off per batch (ignoreCompareQuantity),
not per row: a batch is then either all compare-and-set or all plain (`batch_kind`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from . import documents
from .client import CallFailed, RunAborted, ShopifyClient
from .errors import IdempotencyInProgress
from .limits import BATCH_SIZE
from .results import RowFailure, StockRow
from .versions import uses_idempotency

# Shopify's list of reasons; "correction" is the one for "the system of record says so".
REASON = "correction"
# The quantity ERPNext sets: "available" (default) or "on_hand" (Shopify then subtracts its
# own unfulfilled orders, `committed`, itself). See docs/benchmarks.md for when to pick which.
QUANTITY_NAME = "available"
QUANTITY_NAMES = ("available", "on_hand")
CONFLICT_CODES = frozenset({"CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE"})
# Documented in InventorySetQuantitiesUserErrorCode: "This request is currently in progress,
# please try again." Not a rejection: the first attempt with this key may yet land.
IN_PROGRESS_CODE = "IDEMPOTENCY_CONCURRENT_REQUEST"
# Our code for a row Shopify did not name in a batch it refused whole, after the resends: not
# applied, nothing wrong with the row itself (and not a conflict: its figure may not have moved).
BATCH_REJECTED = "BATCH_REJECTED"
# Resends of the rows a refusal did not name: the second catches a row that went stale between
# the first call and its resend (a busy shop), so innocent rows still land in the same run.
MAX_RESENDS = 2


@dataclass(frozen=True)
class ReadyRow:
    """A row that passed the quantity rule and has its inventory item."""

    row: StockRow
    inventory_item_id: str
    location_id: str
    quantity: int

    def failure(self, code: str, message: str) -> Refusal:
        return Refusal(
            self.row,
            code,
            message,
            quantity=self.quantity,
            inventory_item_id=self.inventory_item_id,
            conflict=code in CONFLICT_CODES,
            ready=self,
        )


@dataclass(frozen=True, kw_only=True)
class Refusal(RowFailure):
    """A row that reached a batch and failed there, with the ReadyRow it was sent as: the
    work a later step takes as it is (a conflict to settle, an item to connect where it is
    not stocked, a cached id to look up again), never rebuilt from the failure's fields."""

    ready: ReadyRow


@dataclass
class BatchOutcome:
    pushed: int = 0
    failures: list[RowFailure] = field(default_factory=list)
    calls_ok: int = 0  # mutations Shopify accepted (the batch, or its resend); 0 = the batch failed
    landed: list[ReadyRow] = field(default_factory=list)  # rows Shopify accepted: their confirmed levels
    # Rows sent whose answer never came (every retry failed, or an answer of no known shape):
    # Shopify may have applied them. Every other failure is Shopify's own refusal.
    in_doubt: list[ReadyRow] = field(default_factory=list)

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
    # Legacy shape: rows without compareQuantity must opt out of the check explicitly, and the
    # opt-out is per batch: a row without compareQuantity in a checked batch is refused
    # COMPARE_QUANTITY_REQUIRED, a compared row in an unchecked batch loses its check.
    kinds = {batch_kind(r, api_version) for r in batch}
    if len(kinds) > 1:
        raise ValueError("a batch before 2026-04 must be all compare-and-set or all plain (batch_kind)")
    payload["ignoreCompareQuantity"] = kinds != {COMPARED}
    return {"input": payload}


COMPARED = "compared"
PLAIN = "plain"


def batch_kind(ready: ReadyRow, api_version: str) -> str:
    """Which rows may share a batch. From 2026-04 every row carries its own changeFromQuantity
    (null: no check), so all may; before, compared rows and plain rows go in batches of their
    own (see mutation_variables)."""
    if uses_idempotency(api_version) or ready.row.change_from is None:
        return PLAIN
    return COMPARED


def _user_errors(payload: object) -> list[dict]:
    """The payload's userErrors, each a dict; anything else in their place becomes a generic
    error that names no row (so an odd answer rejects the batch instead of crashing)."""
    errors = payload.get("userErrors") if isinstance(payload, dict) else None
    if not errors:
        return []
    if not isinstance(errors, list):
        errors = [errors]
    return [
        e if isinstance(e, dict) else {"code": "USER_ERROR", "message": str(e), "field": None} for e in errors
    ]


def in_progress_error(data: dict) -> IdempotencyInProgress | None:
    """The retryable error hiding in a payload whose key is still being processed, or None."""
    for error in _user_errors(data.get("inventorySetQuantities")):
        if error.get("code") == IN_PROGRESS_CODE:
            return IdempotencyInProgress(
                "Shopify is still processing an earlier attempt of this batch (same idempotency key): "
                + str(error.get("message")),
                code=IN_PROGRESS_CODE,
            )
    return None


def map_user_errors(size: int, user_errors: Sequence[dict]) -> tuple[dict[int, dict], list[dict]]:
    """Split userErrors into {row index: error} (field ["input","quantities","<i>",...]) and
    the errors that name no row (input-level: reason, name, idempotency)."""
    by_row: dict[int, dict] = {}
    other: list[dict] = []
    for error in user_errors:
        path = error.get("field") or []
        if not isinstance(path, list):
            path = [path]
        if (
            len(path) >= 3
            and path[0] == "input"
            and path[1] == "quantities"
            and str(path[2]).isascii()
            and str(path[2]).isdigit()
            and int(path[2]) < size
        ):
            by_row.setdefault(int(path[2]), error)
        else:
            other.append(error)
    return by_row, other


def _describe(errors: Sequence[dict]) -> tuple[str, str]:
    first = errors[0]
    return str(first.get("code") or "USER_ERROR"), "; ".join(str(e.get("message")) for e in errors)[:500]


def send_batch(
    client: ShopifyClient,
    batch: Sequence[ReadyRow],
    run_id: str,
    *,
    resends: int = MAX_RESENDS,
    name: str = QUANTITY_NAME,
) -> BatchOutcome:
    """Push one batch; raise RunAborted when the run must stop (auth, locked shop). `resends`:
    how many more times the rows a refusal did not name may be sent."""
    api_version = client.endpoint.api_version
    try:
        data = client.execute(
            documents.set_quantities_document(api_version),
            mutation_variables(batch, api_version, run_id, name),
            operation="SetInventoryQuantities",
            answer_error=in_progress_error if uses_idempotency(api_version) else None,
        )
    except RunAborted as abort:
        raise abort.with_rows(batch) from None
    except CallFailed as failure:
        return _unanswered(batch, failure)

    payload = data.get("inventorySetQuantities")
    if not isinstance(payload, dict):
        message = f"Shopify answered without an inventorySetQuantities payload: {payload!r:.100}"
        return BatchOutcome(
            failures=[r.failure("BAD_RESPONSE", message) for r in batch], in_doubt=list(batch)
        )
    user_errors = _user_errors(payload)
    by_row, other = map_user_errors(len(batch), user_errors)
    # Only the rows Shopify named failed for a reason of their own (a stale figure: a conflict).
    named = [batch[i].failure(*_describe([e])) for i, e in sorted(by_row.items())]
    good = [r for i, r in enumerate(batch) if i not in by_row]
    if payload.get("inventoryAdjustmentGroup") is not None or not user_errors:
        # Accepted (a null group with no errors means nothing needed changing).
        return BatchOutcome(pushed=len(good), failures=named, calls_ok=1, landed=good)
    outcome = BatchOutcome(failures=named)  # rejected whole: nothing was applied
    not_resent = _not_resent(good, user_errors, other, bool(by_row), resends)
    if not_resent is not None:
        outcome.failures += not_resent
        return outcome
    try:
        retry = send_batch(client, good, run_id, resends=resends - 1, name=name)
    except RunAborted as abort:
        # The stop names the resend's rows only: the rows refused before must stay counted.
        raise abort.with_rows(batch) from None
    return BatchOutcome(
        retry.pushed, outcome.failures + retry.failures, retry.calls_ok, retry.landed, retry.in_doubt
    )


def _not_resent(
    good: Sequence[ReadyRow],
    user_errors: Sequence[dict],
    other: Sequence[dict],
    named_any: bool,
    resends: int,
) -> list[RowFailure] | None:
    """In a batch Shopify rejected whole, the failures of the rows it did not name when they are
    not sent again (an error naming no row rejects them all; no resend is left); None when they
    are resent."""
    if other or not named_any:
        # An error that names no row rejects every row; say it on each.
        code, message = _describe(other or user_errors)
        if code in CONFLICT_CODES:  # an odd answer: no row was named stale
            code = BATCH_REJECTED
        return [r.failure(code, f"batch rejected: {message}") for r in good]
    if not good:
        return []
    if resends <= 0:
        # Refused again for other rows (one went stale between the calls): these were not
        # applied, but Shopify found nothing wrong with them; the next run sends them again.
        code, message = _describe(user_errors)
        why = f"batch rejected for other rows after {MAX_RESENDS} resends ({code}: {message})"
        return [r.failure(BATCH_REJECTED, why) for r in good]
    return None


def _unanswered(batch: Sequence[ReadyRow], failure: CallFailed) -> BatchOutcome:
    """A batch whose call failed after its retries: every row failed with the call's reason,
    and in doubt (Shopify may have applied it)."""
    code = failure.error.code or failure.error.kind.upper()
    message = str(failure.error)  # with the HTTP status and request id, for Shopify support
    if code == IN_PROGRESS_CODE:
        message += " (still in progress after every retry: it may have landed; the next run settles it)"
    return BatchOutcome(failures=[r.failure(code, message) for r in batch], in_doubt=list(batch))


def batches(rows: Sequence[ReadyRow], api_version: str, size: int = BATCH_SIZE) -> list[Sequence[ReadyRow]]:
    """Rows in batches of at most `size`, each of one batch_kind, in their order otherwise."""
    by_kind: dict[str, list[ReadyRow]] = {}
    for ready in rows:
        by_kind.setdefault(batch_kind(ready, api_version), []).append(ready)
    return [kind[i : i + size] for kind in by_kind.values() for i in range(0, len(kind), size)]
