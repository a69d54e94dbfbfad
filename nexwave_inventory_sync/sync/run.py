"""A whole sync run: rows in, RunResult out.

Rows are read in chunks, so a 500,000-row push holds one chunk, the run's id caches and at
most `concurrency` batches in memory, never the catalog twice. Per chunk: resolve missing
ids in bulk, apply the quantity rule, drop duplicates and unchanged rows, and send full
batches of 250 as they fill.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import math
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field, replace

from .client import CallStats, RunAborted, ShopifyClient
from .clock import Clock, SystemClock
from .endpoint import ShopifyEndpoint
from .ids import IdError, to_gid
from .limits import BATCH_SIZE
from .push import BatchOutcome, ReadyRow, send_batch
from .quantity import QuantityError, check_safety_buffer, shopify_quantity
from .resolve import Resolver, Unresolved
from .results import Checkpoint, Resolution, RowFailure, RunResult, StockRow
from .retry import RetryPolicy
from .throttle import BucketModel

ProgressCallback = Callable[[int, "int | None"], None]
CheckpointCallback = Callable[[Checkpoint], None]

CHUNK_ROWS = 5000
# The log keeps every failed row, but an unmapped catalog can leave 100,000 rows without
# a Shopify variant: those are counted, and the first few kept as examples.
UNRESOLVED_DETAIL_LIMIT = 200


@dataclass(frozen=True)
class SyncOptions:
    run_id: str | None = None
    safety_buffer: float = 0
    # (inventory_item_id, location_id) -> the figure last pushed; equal rows are skipped.
    known_quantities: Mapping[tuple[str, str], int] | None = None
    # Batches in flight at once; the shared bucket model still paces every call. 4 measured
    # best at 300 ms per call (docs/benchmarks.md: 9.4 s at 1, 2.6 s at 4 for 7,300 rows).
    concurrency: int = 4
    chunk_rows: int = CHUNK_ROWS
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: tuple[float, float] = (5.0, 60.0)
    # Called on the calling thread after each batch and after each chunk's resolution.
    on_checkpoint: CheckpointCallback | None = None
    # Seconds the whole run may take (None: no limit). No retry or throttle pause starts that
    # would end past it; the run then ends Partial, the rows not sent listed.
    deadline_s: float | None = None

    def __post_init__(self) -> None:
        check_safety_buffer(self.safety_buffer)
        if self.deadline_s is not None and self.deadline_s <= 0:
            raise ValueError(f"deadline_s must be positive seconds, not {self.deadline_s!r}")


@dataclass
class _Tally:
    considered: int = 0
    pushed: int = 0
    unchanged_skipped: int = 0
    untracked: int = 0
    unresolved: int = 0
    batches_ok: int = 0
    batches_failed: int = 0
    batches_done: int = 0
    failures: list[RowFailure] = field(default_factory=list)
    unresolved_rows: list[RowFailure] = field(default_factory=list)
    resolved: dict[str, Resolution] = field(default_factory=dict)
    new_resolved: list[Resolution] = field(default_factory=list)  # not yet in a checkpoint
    abort: RunAborted | None = None
    not_sent: int = 0
    unsent_rows: list[RowFailure] = field(default_factory=list)

    def fail(self, row: StockRow, code: str, message: str, **kw) -> None:
        self.failures.append(RowFailure(row, code, message, **kw))

    def unsent(self, row: StockRow, code: str, message: str, **kw) -> None:
        self.not_sent += 1
        if len(self.unsent_rows) < UNRESOLVED_DETAIL_LIMIT:
            self.unsent_rows.append(RowFailure(row, code, message, **kw))

    @property
    def stopped(self) -> bool:
        return self.abort is not None

    def not_found(self, row: StockRow, code: str, message: str) -> None:
        self.unresolved += 1
        if len(self.unresolved_rows) < UNRESOLVED_DETAIL_LIMIT:
            self.unresolved_rows.append(RowFailure(row, code, message))

    def add(self, outcome: BatchOutcome) -> None:
        self.batches_done += 1
        self.pushed += outcome.pushed
        self.failures.extend(outcome.failures)
        if outcome.ok:
            self.batches_ok += 1
        else:
            self.batches_failed += 1

    def checkpoint(self) -> Checkpoint:
        learnt, self.new_resolved = tuple(self.new_resolved), []
        return Checkpoint(
            resolved=learnt,
            batches_done=self.batches_done,
            batches_ok=self.batches_ok,
            batches_failed=self.batches_failed,
            pushed=self.pushed,
            failed=sum(1 for f in self.failures if not f.conflict),
        )


def _chunks(rows: Iterable[StockRow], size: int) -> Iterator[list[StockRow]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class _Preparer:
    """Turns input rows into ReadyRows, counting every row it drops and why."""

    def __init__(self, resolver: Resolver, tally: _Tally, options: SyncOptions):
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

    def again(self, failure: RowFailure, resolution: Resolution) -> ReadyRow | None:
        """A row whose cached id Shopify refused, with the id found for its SKU now; None
        (counted) when there is nothing to send."""
        row = failure.row
        if not resolution.tracked:
            self.tally.untracked += 1
            return None
        key = hash((resolution.inventory_item_id, failure_location(failure)))
        if key in self._seen:
            self.tally.fail(
                row,
                "DUPLICATE_ROW",
                f"{row.label} appears twice for {failure_location(failure)}",
                quantity=failure.quantity,
                inventory_item_id=resolution.inventory_item_id,
            )
            return None
        self._seen.add(key)
        return ReadyRow(row, resolution.inventory_item_id, failure_location(failure), failure.quantity)

    def _prepare(self, row: StockRow) -> ReadyRow | None:
        tally = self.tally
        tally.considered += 1
        if row.tracked is False:
            tally.untracked += 1
            return None
        try:
            quantity = shopify_quantity(row.quantity, self.options.safety_buffer)
        except QuantityError as exc:
            tally.fail(row, exc.code, str(exc))
            return None
        try:
            location_id = to_gid("Location", row.location_id)
        except IdError as exc:
            tally.fail(row, "INVALID_LOCATION_ID", str(exc), quantity=quantity)
            return None
        item = self._inventory_item(row)
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

    def _inventory_item(self, row: StockRow) -> str | Resolution | None:
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


class _Sender:
    """Sends batches inline (concurrency 1) or keeps up to k in flight on k sessions. Results
    are always folded in on the calling thread, so the progress callback may touch frappe."""

    def __init__(
        self,
        clients: list[ShopifyClient],
        run_id: str,
        tally: _Tally,
        progress: ProgressCallback | None,
        total: int | None,
        on_checkpoint: CheckpointCallback | None = None,
    ):
        self.clients = clients
        self.on_checkpoint = on_checkpoint
        self.run_id = run_id
        self.tally = tally
        self.progress = progress
        self.total = total
        self._pool = cf.ThreadPoolExecutor(len(clients)) if len(clients) > 1 else None
        self._idle = list(clients)
        self._in_flight: dict[cf.Future, ShopifyClient] = {}

    def send(self, batch: Sequence[ReadyRow]) -> bool:
        """Send (or queue) one batch; False, with the batch counted as not sent, once the
        run has stopped."""
        if self.tally.stopped:
            return False
        if self._pool is None:
            self._fold(lambda: _send_safely(self.clients[0], batch, self.run_id))
            return True
        # The first batch goes alone: a bad token or a locked shop then costs one call, not k.
        while not self._idle or (self._in_flight and self.tally.batches_done == 0):
            self._wait(cf.FIRST_COMPLETED)
            if self.tally.stopped:
                return False
        client = self._idle.pop()
        self._in_flight[self._pool.submit(_send_safely, client, batch, self.run_id)] = client
        return True

    def flush(self) -> None:
        """Wait for every batch in flight and fold it in."""
        while self._in_flight:
            self._wait(cf.ALL_COMPLETED)

    def close(self) -> None:
        self.flush()
        if self._pool is not None:
            self._pool.shutdown()

    def _wait(self, how: str) -> None:
        done, _ = cf.wait(list(self._in_flight), return_when=how)
        for future in done:
            self._idle.append(self._in_flight.pop(future))
            self._fold(future.result)

    def _fold(self, outcome_of: Callable[[], BatchOutcome]) -> None:
        try:
            outcome = outcome_of()
        except RunAborted as abort:
            if self.tally.abort is None:
                self.tally.abort = abort
            for ready in abort.rows:
                self.tally.unsent(
                    ready.row,
                    "NOT_CONFIRMED",
                    f"sent, but the run stopped before Shopify confirmed it: {abort.failure.error.message}",
                    quantity=ready.quantity,
                    inventory_item_id=ready.inventory_item_id,
                )
            return
        self.tally.add(outcome)
        if self.on_checkpoint is not None:
            self.on_checkpoint(self.tally.checkpoint())
        if self.progress is not None:
            self.progress(self.tally.batches_done, self.total)


def failure_location(failure: RowFailure) -> str:
    return to_gid("Location", failure.row.location_id)


def _send_safely(client: ShopifyClient, batch: Sequence[ReadyRow], run_id: str) -> BatchOutcome:
    """send_batch, with a last guard: an error no rule foresaw fails this batch with its
    type and text instead of escaping sync_inventory (which never raises for an answer)."""
    try:
        return send_batch(client, batch, run_id)
    except RunAborted:
        raise
    except Exception as exc:  # noqa: BLE001 - the guard is the point
        outcome = BatchOutcome()
        outcome.failures = [
            r.failure("UNEXPECTED_ERROR", f"{type(exc).__name__}: {exc}"[:300]) for r in batch
        ]
        return outcome


STALE_ID_CODE = "INVALID_INVENTORY_ITEM"


def _stale_id_failures(tally: _Tally) -> list[RowFailure]:
    """Rows Shopify refused because their cached inventory item no longer exists (a product
    deleted and re-created with the same SKU): taken out of the failures to be looked up again."""
    stale = [f for f in tally.failures if f.code == STALE_ID_CODE and f.row.inventory_item_id and f.row.sku]
    if stale:
        ids = {id(f) for f in stale}
        tally.failures = [f for f in tally.failures if id(f) not in ids]
    return stale


def _summary(tally: _Tally, deadline_reached: bool) -> str | None:
    """The run's top-level error in one sentence: the abort's reason, or what most failed rows
    share, so a person sees the cause without opening the rows."""
    if tally.abort is not None:
        error = tally.abort.failure.error
        prefix = "deadline reached" if deadline_reached else "run aborted"
        text = f"{prefix}: {error}"
        if tally.not_sent:
            text += f" ({tally.not_sent:,} rows not sent or not confirmed)"
        return text
    failures = [f for f in tally.failures if not f.conflict]
    if failures:
        by_code = Counter(f.code for f in failures)
        code, count = by_code.most_common(1)[0]
        example = next(f.message for f in failures if f.code == code)
        text = f"{len(failures):,} rows failed; {count:,} with {code}: {example}"
        if len(by_code) > 1:
            text += f" (and {len(by_code) - 1} other reason(s))"
        return text
    if tally.unresolved:
        return f"{tally.unresolved:,} rows name items that are not on Shopify (SKU not found or ambiguous)"
    if tally.failures:
        return f"{len(tally.failures):,} rows changed on Shopify since they were read (conflicts)"
    return None


def estimate_batches(rows: Iterable[StockRow], total_rows: int | None) -> int | None:
    count = len(rows) if isinstance(rows, Sized) else total_rows
    return math.ceil(count / BATCH_SIZE) if count is not None else None


def sync_inventory(
    endpoint: ShopifyEndpoint,
    rows: Iterable[StockRow],
    *,
    options: SyncOptions | None = None,
    clock: Clock | None = None,
    progress: ProgressCallback | None = None,
    total_rows: int | None = None,
) -> RunResult:
    """Push `rows` to the shop. Never raises for anything Shopify or the network does: an
    aborted run comes back with aborted=True and the reason; rows are streamed when `rows` is
    an iterator. Every row read ends in exactly one count (see RunResult.accounted)."""
    options = options or SyncOptions()
    clock = clock or SystemClock()
    run_id = options.run_id or uuid.uuid4().hex
    started = clock.now()
    deadline = started + options.deadline_s if options.deadline_s is not None else None
    tally = _Tally()
    stats = CallStats()
    bucket = BucketModel()

    def new_client() -> ShopifyClient:
        return ShopifyClient(
            endpoint,
            policy=options.policy,
            clock=clock,
            timeout=options.timeout,
            bucket=bucket,
            stats=stats,
            deadline=deadline,
        )

    workers = max(1, options.concurrency)
    clients = [new_client() for _ in range(workers)]
    # Resolution runs on the calling thread while batches are in flight on the senders'
    # threads: it gets a session of its own (a requests.Session is not for two threads).
    resolver_client = new_client()
    for client in (*clients, resolver_client):
        client.__enter__()
    pending: list[ReadyRow] = []
    unprepared: list[StockRow] = []  # a chunk read whose resolution was cut short by a stop
    iterator = iter(rows)
    try:
        resolver = Resolver(resolver_client)
        preparer = _Preparer(resolver, tally, options)
        sender = _Sender(
            clients, run_id, tally, progress, estimate_batches(rows, total_rows), options.on_checkpoint
        )
        try:
            if isinstance(rows, Sequence):
                # All rows are at hand: one resolution pass picks the cheapest strategy for
                # the whole run (filter by SKU, or scan the catalog once).
                preparer.resolve(rows)
            for chunk in _chunks(iterator, options.chunk_rows):
                unprepared = chunk
                if not isinstance(rows, Sequence):
                    preparer.resolve(chunk)
                pending.extend(preparer.prepare(chunk))
                unprepared = []
                if options.on_checkpoint is not None and tally.new_resolved:
                    # Saved before this chunk's batches go out: a run killed while sending
                    # keeps every id it learnt.
                    options.on_checkpoint(tally.checkpoint())
                while len(pending) >= BATCH_SIZE and sender.send(pending[:BATCH_SIZE]):
                    del pending[:BATCH_SIZE]
                if tally.stopped:
                    break
            if pending and sender.send(pending):
                pending = []
            sender.flush()
            stale = _stale_id_failures(tally) if not tally.stopped else []
            if stale:
                _push_again(stale, resolver, preparer, sender, tally)
        except RunAborted as abort:  # raised by resolution calls
            if tally.abort is None:
                tally.abort = abort
        finally:
            sender.close()
        if progress is not None and sender.total != tally.batches_done and not tally.stopped:
            # Skipped rows made the estimate too high: end the bar at 100 %, not short of it.
            progress(tally.batches_done, tally.batches_done)
    finally:
        for client in (*clients, resolver_client):
            client.__exit__(None, None, None)

    deadline_reached = tally.abort is not None and tally.abort.failure.error.kind == "deadline"
    if tally.stopped:
        _count_unsent(tally, pending, itertools.chain(unprepared, iterator))
    abort = tally.abort.failure.error if tally.abort and not deadline_reached else None
    return RunResult(
        run_id=run_id,
        api_version=endpoint.api_version,
        considered=tally.considered,
        pushed=tally.pushed,
        unchanged_skipped=tally.unchanged_skipped,
        untracked=tally.untracked,
        unresolved=tally.unresolved,
        failed=sum(1 for f in tally.failures if not f.conflict),
        conflicts=sum(1 for f in tally.failures if f.conflict),
        batches_ok=tally.batches_ok,
        batches_failed=tally.batches_failed,
        api_calls=stats.api_calls,
        retries=stats.retries,
        throttled_answers=stats.throttled_answers,
        throttle_waits=stats.throttle_waits,
        seconds_waited=round(stats.seconds_waited, 3),
        cost_requested=stats.cost_requested,
        query_cost=stats.cost_actual,
        duration_s=round(clock.now() - started, 3),
        calls_by_operation=dict(Counter(stats.calls_by_operation)),
        retries_by_kind=dict(Counter(stats.retries_by_kind)),
        failures=tuple(tally.failures),
        unresolved_rows=tuple(tally.unresolved_rows),
        resolved=tuple(tally.resolved.values()),
        aborted=abort is not None,
        abort_kind=abort.kind if abort else None,
        abort_reason=str(abort) if abort else None,
        not_sent=tally.not_sent,
        unsent_rows=tuple(tally.unsent_rows),
        deadline_reached=deadline_reached,
        error=_summary(tally, deadline_reached),
    )


def _push_again(
    stale: list[RowFailure], resolver: Resolver, preparer: _Preparer, sender: _Sender, tally: _Tally
) -> None:
    """Look the SKUs of refused cached ids up again, once, and push those rows with the ids
    found; the new ids go to the run's `resolved` (with `replaces`) for the caller to cache."""
    try:
        resolver.resolve_skus([f.row.sku for f in stale], fresh=True)
    except RunAborted:
        tally.failures.extend(stale)  # the run stops; these rows keep the failure they had
        raise
    again: list[ReadyRow] = []
    for failure in stale:
        found = resolver.by_sku.get(failure.row.sku)
        if not isinstance(found, Resolution) or found.inventory_item_id == to_gid(
            "InventoryItem", failure.row.inventory_item_id
        ):
            why = found.message if isinstance(found, Unresolved) else "the SKU still names this item"
            tally.failures.append(
                replace(failure, message=f"{failure.message} (looked up again by SKU: {why})")
            )
            continue
        stale_id = to_gid("InventoryItem", failure.row.inventory_item_id)
        tally.resolved[f"sku:{failure.row.sku}"] = replace(found, replaces=stale_id)
        ready = preparer.again(failure, found)
        if ready is not None:
            again.append(ready)
    for start in range(0, len(again), BATCH_SIZE):
        if not sender.send(again[start : start + BATCH_SIZE]):
            for ready in again[start:]:
                tally.unsent(
                    ready.row,
                    "NOT_SENT",
                    "the run stopped before this row was sent again",
                    quantity=ready.quantity,
                    inventory_item_id=ready.inventory_item_id,
                )
            break
    sender.flush()


def _count_unsent(tally: _Tally, pending: list[ReadyRow], rest: Iterable[StockRow]) -> None:
    """After a stop, every row read but not sent, and every row not yet read, is counted and
    (the first few) listed, so the log says exactly what did not reach Shopify."""
    error = tally.abort.failure.error if tally.abort else None
    reason = f"the run stopped before this row was sent: {error.message}" if error else "not sent"
    for ready in pending:
        tally.unsent(
            ready.row, "NOT_SENT", reason, quantity=ready.quantity, inventory_item_id=ready.inventory_item_id
        )
    for row in rest:
        tally.considered += 1
        tally.unsent(row, "NOT_SENT", reason)
