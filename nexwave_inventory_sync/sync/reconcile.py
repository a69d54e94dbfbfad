"""A reconciliation run: read what Shopify holds for every mapped item and location, compare
it with ERPNext's figures (drift.compare_levels), correct the drifted rows with
compare-and-set against the figure just read, and report.

Public API (stable):

    reconcile(endpoint, erpnext_rows, *, options=ReconcileOptions(...), clock=None,
              progress=None) -> ReconciliationResult

- `progress(percent, stage)`: called as the run advances, percent never going back, ending
  at 100 ("done") when the run finishes (not when it aborts): stage "read" while Shopify's
  levels are read (pages: levels read of the rows compared; bulk: the objects the operation
  has written of the expected variants and levels), "correct" as the correction's batches
  land (sync_inventory's progress), "done".

- `erpnext_rows`: StockRows with cached inventory item ids (rows without are counted in
  `skipped_without_id`).
- `ReconcileOptions`: `tolerance` (units, default 0), `correct` (default True),
  `previous_shortfalls` (the last result's `shortfalls`), `previous_levels` (the stored
  confirmed levels, {key: quantity}: a first-seen shortfall keeps its own), `read_method` ("auto" | "levels" (only the rows' own levels, by id) | "pages" |
  "bulk"; auto uses bulk from `levels.BULK_THRESHOLD` levels; a bulk read that fails, is
  lost or cannot be downloaded falls back to pages), `sync` (SyncOptions for the
  corrections: its `quantity_name` is also the quantity compared; its conflict policy
  settles a row that moved between the read and the correction, by
  `conflicts.settle_correction`: see `correction.correct()`).
- `ReconciliationResult`: `plan` (drift.DriftPlan: compared, drifted, largest(n),
  drift_percent, shortfalls), `corrected` (rows the correction landed), `correction`
  (its RunResult, None when nothing was pushed), `confirmed` (a delta.ConfirmedLevel per
  compared row: the figure read, or the one the correction set, or for a shortfall seen for
  the first time its previous level (drift.levels_to_confirm); store them as they are so the
  next delta run starts from Shopify's real figures without overwriting an order ERPNext has
  not imported), `read_method`, `read_calls`, `api_calls`,
  `remaining` (drifted rows not corrected), `aborted`/`abort_reason`, `shortfalls` (pass them
  as the next reconciliation's `previous_shortfalls`: those seen, less what the correction
  landed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .bulk import BulkReadFailed
from .client import CallStats, ShopifyClient
from .clock import Clock, SystemClock
from .correction import correct
from .delta import ConfirmedLevel, LevelKey, row_key
from .drift import DriftPlan, compare_levels, levels_to_confirm
from .endpoint import ShopifyEndpoint
from .errors import EngineError
from .level_read import LevelRead
from .levels import choose_method, read_all_levels, read_levels
from .options import SyncOptions
from .results import RunResult, StockRow

# percent, stage ("read" | "correct" | "done")
ReconcileProgress = Callable[[int, str], None]
# The share of the bar the read takes when a correction may follow: a correction of a few
# drifted rows is one or two calls, the read of every level tens to thousands.
READ_SHARE = 80


class _Bar:
    """Turns the read's counts and the correction's batches into one rising percentage."""

    def __init__(self, progress: ReconcileProgress | None, read_total: int):
        self.progress = progress
        self.read_total = max(1, read_total)
        self.last = -1

    def tell(self, percent: float, stage: str) -> None:
        percent = min(100, max(0, int(percent)))
        if self.progress is not None and (percent > self.last or stage == "done"):
            self.last = max(self.last, percent)
            self.progress(percent, stage)

    def read(self, done: int) -> None:
        # Capped below the share: the estimate of what a read returns may be short.
        self.tell(min(READ_SHARE - 1, READ_SHARE * done / self.read_total), "read")

    def correct(self, batches_done: int, batches: int | None) -> None:
        if batches:
            self.tell(READ_SHARE + (99 - READ_SHARE) * min(1.0, batches_done / batches), "correct")


@dataclass(frozen=True)
class ReconcileOptions:
    tolerance: int = 0
    correct: bool = True
    previous_shortfalls: Mapping[LevelKey, int] | None = None
    # The stored confirmed levels (ConfirmedLevel, or a bare figure): a shortfall seen for the
    # first time keeps its level, and with it the sales that level holds back (`held`).
    previous_levels: Mapping[LevelKey, ConfirmedLevel | int] | None = None
    read_method: str = "auto"
    sync: SyncOptions = field(default_factory=SyncOptions)
    variant_count: int | None = None  # when known (the Item cache), picks the read method


@dataclass(frozen=True)
class ReconciliationResult:
    plan: DriftPlan
    confirmed: tuple[ConfirmedLevel, ...] = ()
    corrected: int = 0
    correction: RunResult | None = None
    read_method: str = "pages"
    read_calls: int = 0
    api_calls: int = 0
    skipped_without_id: int = 0
    aborted: bool = False
    abort_reason: str | None = None
    # The shortfalls left once the correction landed (None: the plan's, nothing landed).
    shortfalls_left: Mapping[LevelKey, int] | None = None

    @property
    def remaining(self) -> int:
        """Drifted rows not corrected (waiting shortfalls, failed or held corrections)."""
        return len(self.plan.drifted) - self.corrected

    @property
    def shortfalls(self) -> Mapping[LevelKey, int]:
        """What to pass as the next reconciliation's `previous_shortfalls`."""
        return self.plan.shortfalls if self.shortfalls_left is None else self.shortfalls_left


def reconcile(
    endpoint: ShopifyEndpoint,
    erpnext_rows: Iterable[StockRow],
    *,
    options: ReconcileOptions | None = None,
    clock: Clock | None = None,
    progress: ReconcileProgress | None = None,
) -> ReconciliationResult:
    options = options or ReconcileOptions()
    clock = clock or SystemClock()
    name = options.sync.quantity_name
    rows = list(erpnext_rows)
    with_ids = [r for r in rows if row_key(r) is not None]
    stats = CallStats()
    try:
        with ShopifyClient(
            endpoint, policy=options.sync.policy, clock=clock, timeout=options.sync.timeout, stats=stats
        ) as client:
            read, bar = _read_levels(client, with_ids, options, progress)
    except EngineError as error:  # a revoked token, a locked shop, a level read that cannot finish
        return ReconciliationResult(
            DriftPlan(0, (), ()), aborted=True, abort_reason=str(error), api_calls=stats.api_calls
        )
    plan = compare_levels(
        with_ids,
        read.levels,
        mode=name,
        tolerance=options.tolerance,
        previous_shortfalls=options.previous_shortfalls,
        safety_buffer=options.sync.safety_buffer,
        tracked=read.tracked,
    )
    confirmed = _confirmed_by_read(plan, read.levels, with_ids, options.previous_levels or {})
    correction = None
    if options.correct and plan.corrections:
        bar.tell(READ_SHARE, "correct")
        correction = correct(endpoint, plan.corrections, options.sync, clock, bar.correct)
        for level in correction.confirmed:
            confirmed[level.key] = ConfirmedLevel(
                level.inventory_item_id, level.location_id, level.quantity, level.ref, "reconcile"
            )
    if not (correction and correction.aborted):
        bar.tell(100, "done")
    return ReconciliationResult(
        plan=plan,
        confirmed=tuple(confirmed.values()),
        corrected=len(correction.confirmed) if correction else 0,
        correction=correction,
        read_method=read.method,
        read_calls=stats.api_calls,
        api_calls=stats.api_calls + (correction.api_calls if correction else 0),
        skipped_without_id=len(rows) - len(with_ids),
        aborted=bool(correction and correction.aborted),
        abort_reason=correction.abort_reason if correction else None,
        shortfalls_left=shortfalls_left(plan, correction) if correction else None,
    )


def _confirmed_by_read(
    plan: DriftPlan,
    levels: Mapping[LevelKey, int],
    with_ids: list[StockRow],
    previous: Mapping[LevelKey, ConfirmedLevel | int],
) -> dict[LevelKey, ConfirmedLevel]:
    """The levels the read confirms (drift.levels_to_confirm), as ConfirmedLevels of their rows;
    a shortfall seen for the first time keeps its previous level and the sales it held back."""
    to_confirm = levels_to_confirm(
        plan,
        levels,
        {
            key: level.quantity if isinstance(level, ConfirmedLevel) else level
            for key, level in previous.items()
        },
    )
    confirmed: dict[LevelKey, ConfirmedLevel] = {}
    for row in with_ids:
        key = row_key(row)
        if key in to_confirm:
            kept = previous.get(key) if key in plan.unconfirmed else None
            held = kept.held if isinstance(kept, ConfirmedLevel) and kept.quantity == to_confirm[key] else 0
            confirmed[key] = ConfirmedLevel(key[0], key[1], to_confirm[key], row.label, "reconcile", held)
    return confirmed


def _read_levels(
    client: ShopifyClient,
    with_ids: list[StockRow],
    options: ReconcileOptions,
    progress: ReconcileProgress | None,
) -> tuple[LevelRead, _Bar]:
    """Shopify's level of every row's item at the rows' locations: by one bulk operation or by
    pages, as `read_method` says (auto: by size), and the progress bar it reports on."""
    name = options.sync.quantity_name
    if options.read_method == "levels":
        # Only these rows' own levels, by id (a webhook's targeted check): a level Shopify no
        # longer has is left out (not stocked), as the other reads leave it.
        bar = _Bar(progress, len(with_ids))
        found = read_levels(client, [row_key(r) for r in with_ids], name)
        levels = {key: quantity for key, quantity in found.items() if quantity is not None}
        return LevelRead(levels=levels, method="levels"), bar
    locations = sorted({row_key(r)[1] for r in with_ids})
    variant_count = options.variant_count or len({row_key(r)[0] for r in with_ids})
    method = options.read_method
    if method == "auto":
        method = choose_method(variant_count, len(locations))
    # Pages count levels read (about one per row); a bulk file has a line per variant
    # and one per level of it.
    bar = _Bar(progress, len(with_ids) if method == "pages" else variant_count * (1 + len(locations)))
    bar.tell(0, "read")
    try:
        read = read_all_levels(
            client,
            locations,
            name,
            method=method,
            variant_count=variant_count,
            http_get=options.sync.http_get,
            poll_interval=options.sync.bulk_poll_interval,
            progress=bar.read,
        )
    except BulkReadFailed:
        # A failed, lost or expired bulk operation, a call of it that failed, a download that
        # failed (refused, timed out, cut off) or a file that is not JSON lines: bulk.py says
        # each as a BulkReadFailed, and the pages still give the answer.
        bar.read_total = max(1, len(with_ids))
        read = read_all_levels(client, locations, name, method="pages", progress=bar.read)
    return read, bar


def shortfalls_left(plan: DriftPlan, correction: RunResult) -> dict[LevelKey, int]:
    """A corrected shortfall is gone: remembering it would let the next reconciliation take a
    new sale of the same size for the old shortfall and correct it at once. What a landed
    correction left (a partial one's new part, a sale kept by settle_correction) is what this
    reconciliation saw; the next one corrects it if it is still there."""
    left = dict(plan.shortfalls)
    erpnext = {drift.key: drift.erpnext for drift in plan.drifted}
    for level in correction.confirmed:
        if level.key in erpnext:
            left.pop(level.key, None)
            if erpnext[level.key] > level.quantity:
                left[level.key] = erpnext[level.key] - level.quantity
    return left
