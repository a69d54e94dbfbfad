"""A whole sync run: rows in, RunResult out.

Rows are read in chunks, so a 500,000-row push holds one chunk, the run's id caches and at
most `concurrency` batches in memory, never the catalog twice. Per chunk: resolve missing
ids in bulk, apply the quantity rule, drop duplicates and unchanged rows, and send full
batches of 250 as they fill.

Public API (stable; the Frappe side and the CLI call it):

    sync_inventory(endpoint, rows, *, options=SyncOptions(...), clock=None, progress=None,
                   total_rows=None, read_stock=None) -> RunResult

- Pick the rows with `delta.select_delta(current_rows, confirmed_levels)` for a delta run:
  it sets `StockRow.change_from` (compare-and-set) on every row with a confirmed level.
- `SyncOptions.conflict_policy` (conflicts.ConflictPolicy, default keep-shopify-sales)
  settles CHANGE_FROM_QUANTITY_STALE / COMPARE_QUANTITY_STALE rows; every conflict is in
  `RunResult.conflict_rows` (conflicts.Conflict); held and unsettled rows count in
  `RunResult.held` and make the status Partial.
- `SyncOptions.quantity_name`: "available" (default) or "on_hand".
- `SyncOptions.activate_unstocked`: on ITEM_NOT_STOCKED_AT_LOCATION, activate the item at
  the location (inventoryActivate, idempotent) and push it again in the same run.
- `RunResult.confirmed`: a `delta.ConfirmedLevel` per row Shopify accepted (its value as
  accepted): store them, and pass them to select_delta next time.
- `RunResult.forget`: confirmed levels to delete from that store: their item is gone from
  Shopify (deleted, or replaced by a re-created product: `Resolution.replaces`) or, for a zero
  row, no longer stocked at the location. Such a zero row counts in `RunResult.dropped` (done:
  nothing is left to zero), never as failed. `forget` never holds a level in `confirmed`.
  A re-created product's new id (`Checkpoint.resolved`) and its old level (`Checkpoint.forget`)
  come in a checkpoint before its row is sent again: apply both with that checkpoint.
- A row Shopify already shows at ERPNext's figure is confirmed under every policy, without a
  conflict.
- `read_stock`: a cold run resolves ids first and only then reads the stock to push: pass
  the identifier rows (SKUs / variant ids; their quantity is ignored) as `rows` and a
  callable returning the stock rows as `read_stock`; it is called once resolution is done,
  and the ids just resolved are used without another lookup.

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

from .client import CallFailed, CallStats, RunAborted, ShopifyClient
from .clock import Clock, SystemClock
from .conflicts import DEFAULT_POLICY, Conflict, ConflictPolicy
from .delta import ConfirmedLevel, LevelKey
from .endpoint import ShopifyEndpoint
from .errors import Stopped
from .ids import IdError, to_gid
from .in_flight import InFlightLevel
from .levels import BULK_RESOLVE_THRESHOLD
from .limits import BATCH_SIZE
from .push import QUANTITY_NAME, QUANTITY_NAMES, BatchOutcome, ReadyRow, batch_kind, batches, send_batch
from .quantity import QuantityError, check_safety_buffer, shopify_quantity
from .resolve import Resolver, Unresolved
from .results import Checkpoint, Resolution, RowFailure, RunResult, StockRow, commonest_failure
from .retry import Action, RetryPolicy
from .settle import ACTIVATE_OPTION, NOT_STOCKED, Settled, activate_and_resend, settle_conflicts
from .throttle import BucketModel

ProgressCallback = Callable[[int, "int | None"], None]
CheckpointCallback = Callable[[Checkpoint], None]
SendingCallback = Callable[[tuple[InFlightLevel, ...]], None]

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
    # Called on the calling thread just before each batch leaves (resends included), with its
    # rows: a caller that saves as it goes marks them in flight (see in_flight.py).
    on_sending: SendingCallback | None = None
    # Seconds the whole run may take (None: no limit). No retry or throttle pause starts that
    # would end past it; the run then ends Partial, the rows not sent listed.
    deadline_s: float | None = None
    # Asked before each batch leaves: True stops the run there, as a deadline would (the
    # batches in flight are folded in, the rows not sent counted). Ctrl-C / SIGTERM in the CLI.
    should_stop: Callable[[], bool] | None = None
    conflict_policy: ConflictPolicy = DEFAULT_POLICY
    quantity_name: str = QUANTITY_NAME  # "available" or "on_hand"
    activate_unstocked: bool = False  # the store option "connect items to mapped locations"
    # SKUs to resolve from which one bulk operation replaces the catalog scan (a 100,000-
    # variant scan is 400 pages, ~200,000 points); None turns bulk resolution off.
    bulk_resolve_from: int | None = BULK_RESOLVE_THRESHOLD
    # Fetches the bulk operation's JSONL URL (tests inject one; default: requests, no token).
    http_get: Callable[[str], Iterable[bytes]] | None = None
    bulk_poll_interval: float = 2.0

    def __post_init__(self) -> None:
        check_safety_buffer(self.safety_buffer)
        if self.quantity_name not in QUANTITY_NAMES:
            raise ValueError(f"quantity_name must be one of {QUANTITY_NAMES}, not {self.quantity_name!r}")
        object.__setattr__(self, "conflict_policy", ConflictPolicy.parse(self.conflict_policy))
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
    landed: list[ReadyRow] = field(default_factory=list)
    # Since the last checkpoint: rows Shopify accepted, and keys it answered without applying.
    landed_new: list[ReadyRow] = field(default_factory=list)
    released_new: list[LevelKey] = field(default_factory=list)
    in_doubt: list[ReadyRow] = field(default_factory=list)  # sent, no answer seen
    dropped: int = 0
    forget: list[ConfirmedLevel] = field(default_factory=list)
    forget_new: list[ConfirmedLevel] = field(default_factory=list)  # not yet in a checkpoint

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
        self.landed.extend(outcome.landed)
        self.answered(outcome)
        if outcome.ok:
            self.batches_ok += 1
        else:
            self.batches_failed += 1

    def answered(self, outcome: BatchOutcome) -> None:
        """What one send settled: landed rows for the next checkpoint; refused rows' marks
        released; rows without an answer kept in doubt."""
        self.landed_new.extend(outcome.landed)
        doubtful = {_ready_key(r) for r in outcome.in_doubt}
        self.in_doubt.extend(outcome.in_doubt)
        for failure in outcome.failures:
            if failure.inventory_item_id:
                key = (failure.inventory_item_id, failure_location(failure))
                if key not in doubtful:
                    self.released_new.append(key)

    def checkpoint(self) -> Checkpoint:
        learnt, self.new_resolved = tuple(self.new_resolved), []
        landed, self.landed_new = self.landed_new, []
        released, self.released_new = tuple(self.released_new), []
        forget, self.forget_new = self.forget_new, []
        confirmed = tuple(_level(ready, "push") for ready in landed)
        return Checkpoint(
            confirmed=confirmed,
            released=released,
            resolved=learnt,
            forget=tuple(_void_levels(forget, confirmed)),
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


def _ready_key(ready: ReadyRow) -> LevelKey:
    return (ready.inventory_item_id, ready.location_id)


def _level(ready: ReadyRow, source: str) -> ConfirmedLevel:
    return ConfirmedLevel(ready.inventory_item_id, ready.location_id, ready.quantity, ready.row.label, source)


def in_flight_marks(batch: Iterable[ReadyRow]) -> tuple[InFlightLevel, ...]:
    # `previous` is the level confirmed before the run: a conflict resend's change_from is
    # Shopify's figure, and a read finding it would "prove" the sales it kept undone (N2).
    return tuple(
        InFlightLevel(
            r.inventory_item_id,
            r.location_id,
            r.quantity,
            r.row.base if r.row.base is not None else r.row.change_from,
            r.row.label,
        )
        for r in batch
    )


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
        # The confirmed level it carried was the old item's: the new one has none yet, so it
        # gets ERPNext's figure without compare-and-set (a stale change_from would meet a
        # phantom conflict and the policy would subtract sales that never happened).
        row = replace(row, change_from=None)
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
        name: str = QUANTITY_NAME,
        on_checkpoint: CheckpointCallback | None = None,
        on_sending: SendingCallback | None = None,
        should_stop: Callable[[], bool] | None = None,
    ):
        self.name = name
        self.should_stop = should_stop
        self.on_sending = on_sending
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
        if self.tally.stopped or self._stop_requested():
            return False
        if self._pool is None:
            self._mark(batch)
            self._fold(lambda: _send_safely(self.clients[0], batch, self.run_id, self.name))
            return True
        # The first batch goes alone: a bad token or a locked shop then costs one call, not k.
        while not self._idle or (self._in_flight and self.tally.batches_done == 0):
            self._wait(cf.FIRST_COMPLETED)
            if self.tally.stopped:
                return False
        if self._stop_requested():  # asked while this batch waited for a free session
            return False
        client = self._idle.pop()
        self._mark(batch)
        future = self._pool.submit(_send_safely, client, batch, self.run_id, self.name)
        self._in_flight[future] = client
        return True

    def _stop_requested(self) -> bool:
        if self.should_stop is None or not self.should_stop():
            return False
        self.tally.abort = RunAborted(
            CallFailed(Stopped("the run was asked to stop before this batch"), Action.ABORT_RUN)
        )
        return True

    def _mark(self, batch: Sequence[ReadyRow]) -> None:
        if self.on_sending is not None:
            self.on_sending(in_flight_marks(batch))

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
            self.tally.in_doubt.extend(abort.rows)
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


def _send_safely(
    client: ShopifyClient, batch: Sequence[ReadyRow], run_id: str, name: str = QUANTITY_NAME
) -> BatchOutcome:
    """send_batch, with a last guard: an error no rule foresaw fails this batch with its
    type and text instead of escaping sync_inventory (which never raises for an answer)."""
    try:
        return send_batch(client, batch, run_id, name=name)
    except RunAborted:
        raise
    except Exception as exc:  # noqa: BLE001 - the guard is the point
        outcome = BatchOutcome()
        outcome.failures = [
            r.failure("UNEXPECTED_ERROR", f"{type(exc).__name__}: {exc}"[:300]) for r in batch
        ]
        outcome.in_doubt = list(batch)  # it may have failed after the write left
        return outcome


STALE_ID_CODE = "INVALID_INVENTORY_ITEM"


def _forget(tally: _Tally, failure: RowFailure) -> None:
    """The confirmed level a refused row carried (its change_from: select_delta sets it on
    every row with one), for the caller to delete: its item is gone from Shopify or from the
    location."""
    if failure.row.change_from is None:
        return
    item = failure.inventory_item_id or to_gid("InventoryItem", failure.row.inventory_item_id)
    level = ConfirmedLevel(item, failure_location(failure), failure.row.change_from, failure.row.ref)
    tally.forget.append(level)
    tally.forget_new.append(level)


def _items_gone(tally: _Tally) -> None:
    """Rows Shopify refused because their item no longer exists, or (a zero row) is no longer
    stocked at the location. A zero row is then done: nothing is left to zero (dropped, never
    failed: resending it every run would fail quiet runs and pause the store). Another row
    keeps its failure (one with a SKU was looked up again, _push_again). Either way the
    confirmed level it carried names nothing any more: to be forgotten."""
    kept = []
    for failure in tally.failures:
        if failure.row.zeroing and failure.code in (STALE_ID_CODE, NOT_STOCKED):
            tally.dropped += 1
            _forget(tally, failure)
            continue
        if failure.code == STALE_ID_CODE:
            _forget(tally, failure)
        kept.append(failure)
    tally.failures = kept


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
        prefix = (
            "deadline reached"
            if deadline_reached
            else "stopped"
            if error.kind == "stopped"
            else "run aborted"
        )
        text = f"{prefix}: {error}"
        if tally.not_sent:
            text += f" ({tally.not_sent:,} rows not sent or not confirmed)"
        return text
    commonest = commonest_failure(f for f in tally.failures if not f.conflict)
    if commonest:
        text = (
            f"{commonest.total:,} rows failed; {commonest.count:,} with {commonest.code}: {commonest.example}"
        )
        if commonest.other_codes:
            text += f" (and {commonest.other_codes} other reason(s))"
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
    read_stock: Callable[[], Iterable[StockRow]] | None = None,
) -> RunResult:
    """Push `rows` to the shop. Never raises for anything Shopify or the network does: an
    aborted run comes back with aborted=True and the reason; rows are streamed when `rows` is
    an iterator. Every row read ends in exactly one count (see RunResult.accounted). With
    `read_stock`, `rows` only name the items to resolve; the stock pushed is read_stock()'s,
    read after resolution."""
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
    # Ready rows waiting for a full batch, by push.batch_kind (before 2026-04 compared and plain
    # rows cannot share a batch; from 2026-04 there is one kind).
    pending: dict[str, list[ReadyRow]] = {}
    unprepared: list[StockRow] = []  # a chunk read whose resolution was cut short by a stop
    post = _PostRun()
    try:
        resolver = Resolver(resolver_client)
        preparer = _Preparer(resolver, tally, options)
        if read_stock is not None:
            # Cold run: resolve first, read the stock after, so the figures pushed are as
            # fresh as the push, not as old as the resolution.
            identifiers = list(rows)
            try:
                _bulk_resolve(resolver, identifiers, options)
                preparer.resolve(identifiers)
            except RunAborted as abort:
                tally.abort = abort
            rows = read_stock() if tally.abort is None else []
        elif isinstance(rows, Sequence):
            try:
                _bulk_resolve(resolver, rows, options)
            except RunAborted as abort:
                tally.abort = abort
        iterator = iter(rows)
        sender = _Sender(
            clients,
            run_id,
            tally,
            progress,
            estimate_batches(rows, total_rows),
            options.quantity_name,
            options.on_checkpoint,
            options.on_sending,
            options.should_stop,
        )
        try:
            if isinstance(rows, Sequence) and not tally.stopped:
                # All rows are at hand: one resolution pass picks the cheapest strategy for
                # the whole run (filter by SKU, or scan the catalog once).
                preparer.resolve(rows)
            for chunk in _chunks(iterator, options.chunk_rows):
                unprepared = chunk
                if tally.stopped:  # stopped before the first batch (a bulk resolution abort)
                    break
                if not isinstance(rows, Sequence):
                    preparer.resolve(chunk)
                for ready in preparer.prepare(chunk):
                    pending.setdefault(batch_kind(ready, endpoint.api_version), []).append(ready)
                unprepared = []
                if options.on_checkpoint is not None and tally.new_resolved:
                    # Saved before this chunk's batches go out: a run killed while sending
                    # keeps every id it learnt.
                    options.on_checkpoint(tally.checkpoint())
                for queue in pending.values():
                    while len(queue) >= BATCH_SIZE and sender.send(queue[:BATCH_SIZE]):
                        del queue[:BATCH_SIZE]
                if tally.stopped:
                    break
            for kind, queue in pending.items():
                if queue and sender.send(queue):
                    pending[kind] = []
            sender.flush()
            stale = _stale_id_failures(tally) if not tally.stopped else []
            if stale:
                _push_again(stale, resolver, preparer, sender, tally)
            if not tally.stopped:
                # On the calling thread, every batch folded in: the resolver's session is free.
                post = _after_batches(resolver_client, tally, options, run_id)
        except RunAborted as abort:  # raised by resolution, conflict and activation calls
            if tally.abort is None:
                tally.abort = abort
            tally.in_doubt.extend(abort.rows)
        finally:
            sender.close()
        if progress is not None and sender.total != tally.batches_done and not tally.stopped:
            # Skipped rows made the estimate too high: end the bar at 100 %, not short of it.
            progress(tally.batches_done, tally.batches_done)
    finally:
        for client in (*clients, resolver_client):
            client.__exit__(None, None, None)

    _items_gone(tally)
    stop_kind = tally.abort.failure.error.kind if tally.abort is not None else None
    deadline_reached = stop_kind == "deadline"
    if tally.stopped:
        _count_unsent(
            tally, [r for queue in pending.values() for r in queue], itertools.chain(unprepared, iterator)
        )
    # A stop the caller asked for ends like a deadline: Partial, not an abort.
    abort = tally.abort.failure.error if tally.abort and stop_kind not in ("deadline", "stopped") else None
    held = sum(1 for c in post.conflicts if c.outcome in ("held", "unsettled")) + sum(
        1 for f in tally.failures if f.conflict
    )
    error = _summary(tally, deadline_reached)
    if error is None and held:
        error = (
            f"{held:,} rows changed on Shopify since their confirmed figure and did not land "
            f"(conflict policy {options.conflict_policy.value}); each is in the conflict rows"
        )
    confirmed = tuple(_confirmed(tally.landed, post))
    return RunResult(
        run_id=run_id,
        api_version=endpoint.api_version,
        considered=tally.considered,
        pushed=tally.pushed,
        unchanged_skipped=tally.unchanged_skipped,
        untracked=tally.untracked,
        unresolved=tally.unresolved,
        failed=sum(1 for f in tally.failures if not f.conflict),
        conflicts=len(post.conflicts) + sum(1 for f in tally.failures if f.conflict),
        held=held,
        activated=post.activated,
        quantity_name=options.quantity_name,
        confirmed=confirmed,
        in_doubt=in_flight_marks(tally.in_doubt),
        conflict_rows=tuple(post.conflicts),
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
        dropped=tally.dropped,
        forget=tuple(_void_levels(tally.forget, confirmed)),
        error=error,
    )


def _push_again(
    stale: list[RowFailure], resolver: Resolver, preparer: _Preparer, sender: _Sender, tally: _Tally
) -> None:
    """Look the SKUs of refused cached ids up again, once, and push those rows with the ids
    found; the new ids go to the run's `resolved` (with `replaces`) for the caller to cache,
    and, with the old items' levels to forget, to a checkpoint before the rows leave again: a
    run killed after it never leaves the caller a level for an item no cached id names (N4)."""
    try:
        resolver.resolve_skus([f.row.sku for f in stale], fresh=True)
    except RunAborted:
        tally.failures.extend(stale)  # the run stops; these rows keep the failure they had
        raise
    again: list[ReadyRow] = []
    for failure in stale:
        found = resolver.by_sku.get(failure.row.sku)
        stale_id = to_gid("InventoryItem", failure.row.inventory_item_id)
        if isinstance(found, Unresolved) and not found.lookup_failed:
            # Deleted on Shopify and nothing else has its SKU: the row's item is not on Shopify
            # (counted like a SKU never found), and the level confirmed for the old item is void.
            tally.not_found(
                failure.row,
                found.code,
                f"{failure.code}: {failure.message} (looked up again by SKU: {found.message})",
            )
            _forget(tally, failure)
            continue
        if not isinstance(found, Resolution) or found.inventory_item_id == stale_id:
            why = found.message if isinstance(found, Unresolved) else "the SKU still names this item"
            tally.failures.append(
                replace(failure, message=f"{failure.message} (looked up again by SKU: {why})")
            )
            continue
        _forget(tally, failure)  # the old item's level; the new item's comes with the push
        tally.resolved[f"sku:{failure.row.sku}"] = replace(found, replaces=stale_id)
        tally.new_resolved.append(tally.resolved[f"sku:{failure.row.sku}"])
        ready = preparer.again(failure, found)
        if ready is not None:
            again.append(ready)
    if sender.on_checkpoint is not None and (tally.new_resolved or tally.forget_new):
        sender.on_checkpoint(tally.checkpoint())
    queue = batches(again, resolver.client.endpoint.api_version)
    for number, batch in enumerate(queue):
        if not sender.send(batch):
            for ready in (r for later in queue[number:] for r in later):
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


@dataclass
class _PostRun:
    conflicts: list[Conflict] = field(default_factory=list)
    activated: int = 0
    landed: list[ReadyRow] = field(default_factory=list)


def _after_batches(client: ShopifyClient, tally: _Tally, options: SyncOptions, run_id: str) -> _PostRun:
    """Connect unstocked items (if allowed), then settle conflicts by the policy. Rows these
    steps land leave tally.failures; what they could not settle goes back in."""
    post = _PostRun()

    def sender(step: str) -> Callable[[Sequence[ReadyRow]], BatchOutcome]:
        # Each step sends under a run id of its own: a resend holding exactly the rows of a
        # refused batch (one unstocked row, activated) must not reuse that batch's idempotency
        # key, or Shopify replays the refusal; nor may a conflict's repeat that happens to hold
        # the same figures as the attempt before it. Shopify's history shows the step too.
        sends = itertools.count(1)

        def send(batch: Sequence[ReadyRow]) -> BatchOutcome:
            step_id = f"{run_id}.{step}-{next(sends)}"
            if options.on_sending is not None:
                options.on_sending(in_flight_marks(batch))
            outcome = _send_safely(client, batch, step_id, options.quantity_name)
            tally.pushed += outcome.pushed
            tally.in_doubt.extend(outcome.in_doubt)
            return outcome

        return send

    # A zero row not stocked there is not activated: there is nothing to zero (_items_gone).
    unstocked = [
        f
        for f in tally.failures
        if f.code == NOT_STOCKED and f.inventory_item_id and f.quantity is not None and not f.row.zeroing
    ]
    if unstocked and options.activate_unstocked:
        tally.failures = [f for f in tally.failures if f not in unstocked]
        done = activate_and_resend(client, unstocked, run_id, sender("activated"))
        post.activated = done.activated
        _fold_step(tally, post, done)
        _checkpoint_step(tally, options, done.landed, done.failures)
        if tally.stopped:
            return post  # the conflicts keep their failures (counted held)
    elif unstocked:
        hint = f"; turn on the store option '{ACTIVATE_OPTION}' to connect it and push it in the same run"
        tally.failures = [
            replace(f, message=f.message + hint) if f.code == NOT_STOCKED and not f.row.zeroing else f
            for f in tally.failures
        ]
    conflicted = [f for f in tally.failures if f.conflict and f.inventory_item_id and f.quantity is not None]
    if conflicted:
        tally.failures = [f for f in tally.failures if not f.conflict]
        done = settle_conflicts(
            client, conflicted, options.conflict_policy, sender("conflicts"), options.quantity_name
        )
        post.conflicts = done.conflicts
        # Shopify already showed the settled figure, or ERPNext's: landed without a write.
        tally.pushed += done.agreed
        tally.pushed += sum(1 for c in done.conflicts if c.outcome == "resolved" and c.sent is None)
        _fold_step(tally, post, done)
        _checkpoint_step(tally, options, done.landed, done.failures)
    return post


def _fold_step(tally: _Tally, post: _PostRun, done: Settled) -> None:
    """What an after-batches step did, into the run's counts; a stop part-way stops the run,
    its rows sent without an answer NOT_CONFIRMED, the ones it kept from being sent NOT_SENT."""
    post.landed += done.landed
    tally.failures += done.failures
    if done.abort is None:
        return
    if tally.abort is None:
        tally.abort = done.abort
    tally.in_doubt.extend(done.unconfirmed)
    reason = done.abort.failure.error.message
    for code, rows, message in (
        (
            "NOT_CONFIRMED",
            done.unconfirmed,
            f"sent, but the run stopped before Shopify confirmed it: {reason}",
        ),
        ("NOT_SENT", done.not_sent, f"the run stopped before this row was sent: {reason}"),
    ):
        for ready in rows:
            tally.unsent(
                ready.row, code, message, quantity=ready.quantity, inventory_item_id=ready.inventory_item_id
            )


def _checkpoint_step(
    tally: _Tally, options: SyncOptions, landed: Sequence[ReadyRow], failures: Sequence[RowFailure]
) -> None:
    """After a step of _after_batches: what it landed is saved like a batch's (the resends were
    marked in flight as they left); what Shopify refused is released."""
    if options.on_checkpoint is None:
        return
    doubtful = {_ready_key(r) for r in tally.in_doubt}
    tally.landed_new.extend(landed)
    tally.released_new.extend(
        key
        for f in failures
        if f.inventory_item_id and (key := (f.inventory_item_id, failure_location(f))) not in doubtful
    )
    options.on_checkpoint(tally.checkpoint())


def _confirmed(landed: Iterable[ReadyRow], post: _PostRun) -> Iterator[ConfirmedLevel]:
    """One confirmed level per (item, location), the last value Shopify accepted."""
    levels: dict[tuple[str, str], ConfirmedLevel] = {}
    for source, rows in (("push", landed), ("conflict", post.landed)):
        for ready in rows:
            levels[_ready_key(ready)] = _level(ready, source)
    yield from levels.values()


def _void_levels(
    forget: Iterable[ConfirmedLevel], confirmed: Iterable[ConfirmedLevel]
) -> Iterator[ConfirmedLevel]:
    """Each level to forget once, never one this run confirmed."""
    keep = {level.key for level in confirmed}
    for level in forget:
        if level.key not in keep:
            keep.add(level.key)
            yield level


def _bulk_resolve(resolver: Resolver, rows: Iterable[StockRow], options: SyncOptions) -> None:
    """A cold run over a large catalog: one bulk operation lists every variant with its
    inventory item instead of hundreds of scan pages. Falls back to the resolver's own
    strategy when bulk is off, the catalog is small or the operation fails."""
    if options.bulk_resolve_from is None:
        return
    skus = {row.sku for row in rows if row.sku and not row.inventory_item_id and not row.variant_id}
    skus -= set(resolver.by_sku)
    if len(skus) < options.bulk_resolve_from:
        return
    from .bulk import bulk_levels

    try:
        read = bulk_levels(
            resolver.client, (), http_get=options.http_get, poll_interval=options.bulk_poll_interval
        )
    except RunAborted:
        raise
    except Exception:  # noqa: BLE001 - BulkReadFailed, or an answer of the wrong shape
        return  # the scan / search strategies still work, only slower
    resolver.learn(read.resolutions, skus)


@dataclass(frozen=True)
class ResolvedRows:
    rows: tuple[StockRow, ...]  # each with its inventory_item_id (and tracked) filled in
    resolved: tuple[Resolution, ...]  # what was learnt, to cache
    unresolved: tuple[RowFailure, ...]  # rows left out, with why
    api_calls: int = 0
    aborted: bool = False
    abort_reason: str | None = None


def resolve_rows(
    endpoint: ShopifyEndpoint,
    rows: Iterable[StockRow],
    *,
    options: SyncOptions | None = None,
    clock: Clock | None = None,
) -> ResolvedRows:
    """Fill in the inventory item id of rows that only have a SKU or a variant id (in bulk:
    one bulk operation, a scan or SKU searches, as a sync run would), without pushing. The
    reconciliation needs ids before it can compare."""
    options = options or SyncOptions()
    clock = clock or SystemClock()
    rows = list(rows)
    stats = CallStats()
    tally = _Tally()
    with ShopifyClient(
        endpoint, policy=options.policy, clock=clock, timeout=options.timeout, stats=stats
    ) as client:
        preparer = _Preparer(Resolver(client), tally, options)
        try:
            _bulk_resolve(preparer.resolver, rows, options)
            preparer.resolve(rows)
        except RunAborted as abort:
            return ResolvedRows((), (), (), stats.api_calls, True, str(abort.failure.error))
        out = []
        for row in rows:
            if row.inventory_item_id:
                out.append(row)
                continue
            found = preparer._inventory_item(row)
            if isinstance(found, Resolution):
                out.append(replace(row, inventory_item_id=found.inventory_item_id, tracked=found.tracked))
    return ResolvedRows(
        tuple(out),
        tuple(tally.resolved.values()),
        tuple(tally.unresolved_rows) + tuple(tally.failures),
        stats.api_calls,
    )
