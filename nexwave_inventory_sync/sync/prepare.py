"""Rows in, ReadyRows out: look the missing inventory item ids up in bulk (one bulk
operation, a catalog scan or SKU searches: resolve.py picks), apply the quantity rule, and
drop duplicates and unchanged rows, counting every row dropped and why."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from .bulk import BulkReadFailed, bulk_levels
from .client import RunAborted
from .ids import IdError, to_gid
from .options import SyncOptions
from .push import ReadyRow, Refusal
from .quantity import QuantityError, row_quantity
from .resolve import Resolver, Unresolved
from .results import Resolution, StockRow
from .tally import Tally


class Preparer:
    """Turns input rows into ReadyRows, counting every row it drops and why."""

    def __init__(self, resolver: Resolver, tally: Tally, options: SyncOptions):
        self.resolver = resolver
        self.tally = tally
        self.options = options
        self._seen: set[int] = set()

    def resolve(self, rows: Iterable[StockRow]) -> None:
        variant_ids, skus = [], []
        for row in rows:
            if row.inventory_item_id or row.tracked is False:
                continue
            if row.variant_id:
                try:
                    variant_ids.append(to_gid("ProductVariant", row.variant_id))
                except IdError:
                    continue  # reported per row in prepare()
            elif row.sku:
                skus.append(row.sku)
        if variant_ids:
            self.resolver.resolve_variants(variant_ids)
        if skus:
            self.resolver.resolve_skus(skus)

    def prepare(self, rows: Iterable[StockRow]) -> list[ReadyRow]:
        ready = []
        for row in rows:
            prepared = self._prepare(row)
            if prepared is not None:
                ready.append(prepared)
        return ready

    def again(self, refused: Refusal, resolution: Resolution) -> ReadyRow | None:
        """The row as sent to a cached id Shopify refused, sent to the id found for its SKU
        now; None (counted) when there is nothing to send."""
        sent = refused.ready
        if not resolution.tracked:
            self.tally.untracked += 1
            return None
        key = hash((resolution.inventory_item_id, sent.location_id))
        if key in self._seen:
            self.tally.fail(
                sent.row,
                "DUPLICATE_ROW",
                f"{sent.row.label} appears twice for {sent.location_id}",
                quantity=sent.quantity,
                inventory_item_id=resolution.inventory_item_id,
            )
            return None
        self._seen.add(key)
        # The confirmed level it carried was the old item's: the new one has none yet, so it
        # gets ERPNext's figure without compare-and-set (a stale change_from would meet a
        # phantom conflict and the policy would subtract sales that never happened).
        row = replace(sent.row, change_from=None)
        return replace(sent, row=row, inventory_item_id=resolution.inventory_item_id)

    def _prepare(self, row: StockRow) -> ReadyRow | None:
        tally = self.tally
        tally.considered += 1
        if row.tracked is False:
            tally.untracked += 1
            return None
        try:
            quantity = row_quantity(row, self.options.safety_buffer)
        except QuantityError as exc:
            tally.fail(row, exc.code, str(exc))
            return None
        try:
            location_id = to_gid("Location", row.location_id)
        except IdError as exc:
            tally.fail(row, "INVALID_LOCATION_ID", str(exc), quantity=quantity)
            return None
        item = self.inventory_item(row)
        if item is None:
            return None
        if isinstance(item, Resolution):
            if not item.tracked:
                tally.untracked += 1
                return None
            item_id = item.inventory_item_id
        else:
            item_id = item
        key = hash((item_id, location_id))
        if key in self._seen:
            # Shopify rejects a batch naming one pair twice; the first figure stands.
            tally.fail(
                row,
                "DUPLICATE_ROW",
                f"{row.label} appears twice for {location_id}",
                quantity=quantity,
                inventory_item_id=item_id,
            )
            return None
        self._seen.add(key)
        known = self.options.known_quantities
        if known is not None and known.get((item_id, location_id)) == quantity:
            tally.unchanged_skipped += 1
            return None
        return ReadyRow(row, item_id, location_id, quantity)

    def inventory_item(self, row: StockRow) -> str | Resolution | None:
        """The cached id as given, or what resolution found; None (counted) when neither."""
        tally = self.tally
        if row.inventory_item_id:
            try:
                return to_gid("InventoryItem", row.inventory_item_id)
            except IdError as exc:
                tally.fail(row, "INVALID_INVENTORY_ITEM_ID", str(exc))
                return None
        if row.variant_id:
            try:
                key = to_gid("ProductVariant", row.variant_id)
            except IdError as exc:
                tally.fail(row, "INVALID_VARIANT_ID", str(exc))
                return None
            found = self.resolver.by_variant.get(key)
        elif row.sku:
            key = f"sku:{row.sku}"
            found = self.resolver.by_sku.get(row.sku)
        else:
            tally.not_found(row, "NO_IDENTIFIER", "the row has no inventory item id, variant id or SKU")
            return None
        if found is None:
            tally.not_found(row, "NOT_RESOLVED", "not resolved")
            return None
        if isinstance(found, Unresolved):
            if found.lookup_failed:
                tally.fail(row, found.code, found.message)
            else:
                tally.not_found(row, found.code, found.message)
            return None
        if key not in tally.resolved:
            tally.new_resolved.append(found)
        tally.resolved[key] = found
        return found


def bulk_resolve(resolver: Resolver, rows: Iterable[StockRow], options: SyncOptions) -> None:
    """A cold run over a large catalog: one bulk operation lists every variant with its
    inventory item instead of hundreds of scan pages. Falls back to the resolver's own
    strategy when bulk is off, the catalog is small or the operation fails."""
    if options.bulk_resolve_from is None:
        return
    skus = {row.sku for row in rows if row.sku and not row.inventory_item_id and not row.variant_id}
    skus -= set(resolver.by_sku)
    if len(skus) < options.bulk_resolve_from:
        return
    try:
        read = bulk_levels(
            resolver.client, (), http_get=options.http_get, poll_interval=options.bulk_poll_interval
        )
    except BulkReadFailed:
        return  # the scan / search strategies still work, only slower
    resolver.learn(read.resolutions, skus)


def resolve_first(
    preparer: Preparer,
    rows: Iterable[StockRow],
    read_stock: Callable[[], Iterable[StockRow]] | None,
    options: SyncOptions,
) -> Iterable[StockRow]:
    """The rows to push, with what can be resolved before the first chunk resolved; a stop
    during it is the tally's abort. With `read_stock` (a cold run) the ids are resolved first
    and the stock read after, so the figures pushed are as fresh as the push, not as old as
    the resolution. All rows at hand: a bulk operation may replace the scan."""
    tally = preparer.tally
    if read_stock is not None:
        identifiers = list(rows)
        try:
            bulk_resolve(preparer.resolver, identifiers, options)
            preparer.resolve(identifiers)
        except RunAborted as abort:
            tally.abort = abort
        return read_stock() if tally.abort is None else []
    if isinstance(rows, Sequence):
        try:
            bulk_resolve(preparer.resolver, rows, options)
        except RunAborted as abort:
            tally.abort = abort
    return rows
