"""Cached inventory item ids Shopify no longer knows (a product deleted, or deleted and
re-created with the same SKU): their rows are looked up again by SKU, once, and pushed with
the id found; the level confirmed for the old item is forgotten."""

from __future__ import annotations

from dataclasses import replace

from .checkpoints import take_checkpoint
from .client import RunAborted
from .delta import ConfirmedLevel
from .ids import to_gid
from .prepare import Preparer
from .push import ReadyRow, Refusal, batches
from .resolve import Unresolved
from .results import Resolution, RowFailure
from .sender import Sender
from .settle import NOT_STOCKED
from .tally import Tally, failure_location

STALE_ID_CODE = "INVALID_INVENTORY_ITEM"


def forget(tally: Tally, failure: RowFailure) -> None:
    """The confirmed level a refused row carried (its change_from: select_delta sets it on
    every row with one), for the caller to delete: its item is gone from Shopify or from the
    location."""
    if failure.row.change_from is None:
        return
    item = failure.inventory_item_id or to_gid("InventoryItem", failure.row.inventory_item_id)
    level = ConfirmedLevel(item, failure_location(failure), failure.row.change_from, failure.row.ref)
    tally.forget.append(level)
    tally.forget_new.append(level)


def items_gone(tally: Tally) -> None:
    """Rows Shopify refused because their item no longer exists, or (a zero row) is no longer
    stocked at the location. A zero row is then done: nothing is left to zero (dropped, never
    failed: resending it every run would fail quiet runs and pause the store). Another row
    keeps its failure (one with a SKU was looked up again, push_again). Either way the
    confirmed level it carried names nothing any more: to be forgotten."""
    kept = []
    for failure in tally.failures:
        if failure.row.zeroing and failure.code in (STALE_ID_CODE, NOT_STOCKED):
            tally.dropped += 1
            forget(tally, failure)
            continue
        if failure.code == STALE_ID_CODE:
            forget(tally, failure)
        kept.append(failure)
    tally.failures = kept


def stale_ids(tally: Tally) -> list[Refusal]:
    """Rows Shopify refused because their cached inventory item no longer exists (a product
    deleted and re-created with the same SKU): taken out of the failures to be looked up again."""
    return tally.take(lambda f: f.code == STALE_ID_CODE and bool(f.row.inventory_item_id and f.row.sku))


def push_again(preparer: Preparer, sender: Sender, tally: Tally) -> None:
    """Look the SKUs of refused cached ids up again, once, and push those rows with the ids
    found; the new ids go to the run's `resolved` (with `replaces`) for the caller to cache,
    and, with the old items' levels to forget, to a checkpoint before the rows leave again: a
    run killed after it never leaves the caller a level for an item no cached id names (N4)."""
    stale = stale_ids(tally) if not tally.stopped else []
    if not stale:
        return
    resolver = preparer.resolver
    try:
        resolver.resolve_skus([f.row.sku for f in stale], fresh=True)
    except RunAborted:
        tally.failures.extend(stale)  # the run stops; these rows keep the failure they had
        raise
    again: list[ReadyRow] = []
    for failure in stale:
        ready = _found_again(preparer, tally, failure)
        if ready is not None:
            again.append(ready)
    if sender.on_checkpoint is not None and (tally.new_resolved or tally.forget_new):
        sender.on_checkpoint(take_checkpoint(tally))
    queue = batches(again, resolver.client.endpoint.api_version)
    for number, batch in enumerate(queue):
        if not sender.send(batch):
            left = [r for later in queue[number:] for r in later]
            tally.unsent_ready(left, "NOT_SENT", "the run stopped before this row was sent again")
            break
    sender.flush()


def _found_again(preparer: Preparer, tally: Tally, failure: Refusal) -> ReadyRow | None:
    """What the SKU names now: not on Shopify (counted as not found), the same item or a failed
    lookup (the row keeps its failure), or a new item (to push; None when there is nothing to)."""
    found = preparer.resolver.by_sku.get(failure.row.sku)
    stale_id = to_gid("InventoryItem", failure.row.inventory_item_id)
    if isinstance(found, Unresolved) and not found.lookup_failed:
        # Deleted on Shopify and nothing else has its SKU: the row's item is not on Shopify
        # (counted like a SKU never found), and the level confirmed for the old item is void.
        tally.not_found(
            failure.row,
            found.code,
            f"{failure.code}: {failure.message} (looked up again by SKU: {found.message})",
        )
        forget(tally, failure)
        return None
    if not isinstance(found, Resolution) or found.inventory_item_id == stale_id:
        why = found.message if isinstance(found, Unresolved) else "the SKU still names this item"
        tally.failures.append(replace(failure, message=f"{failure.message} (looked up again by SKU: {why})"))
        return None
    forget(tally, failure)  # the old item's level; the new item's comes with the push
    tally.resolved[f"sku:{failure.row.sku}"] = replace(found, replaces=stale_id)
    tally.new_resolved.append(tally.resolved[f"sku:{failure.row.sku}"])
    return preparer.again(failure, found)
