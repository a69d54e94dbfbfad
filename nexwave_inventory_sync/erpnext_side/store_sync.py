"""The background job: one inventory run for one store, from ERPNext's Bins to a Shopify Log.

A run holds the store's run lock (run_lock.py), opens its log as Running, and saves as it
goes: ids learnt and counts confirmed are committed at checkpoints inside a worker, so a worker
killed mid-run leaves a log saying what landed and a cache that keeps what it learnt. The next
run marks such a log Interrupted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import frappe
from frappe import _
from frappe.utils import cint, flt, now_datetime, time_diff_in_seconds

from ..sync.endpoint import EndpointError
from ..sync.ids import IdError, to_gid
from ..sync.quantity import QuantityError, shopify_quantity
from ..sync.results import Checkpoint, Resolution, RowFailure, RunResult, StockRow, commonest_failure
from ..sync.run import sync_inventory
from ..sync.versions import UnsupportedApiVersion
from . import confirmed_levels, flight_marks, not_on_shopify, run_lock, stock_changes, stock_truth, zero_guard
from .bulk_sql import insert_rows
from .connection import store_endpoint, token_renewals
from .constants import (
    FAST_TRIGGER,
    ITEM_STORE_DOCTYPE,
    ITEM_STORES_FIELD,
    LOG_DOCTYPE,
    LOG_ROWS_KEPT,
    PROGRESS_EVENT,
    STORE_DOCTYPE,
)
from .row_outcomes import row_outcome
from .scheduling import (
    failure_signature,
    is_backed_off,
    is_due,
    is_kill_switched,
    lock_ttl_seconds,
    next_backoff,
    run_deadline_minutes,
)
from .stock_levels import rows_to_resolve
from .stock_truth import (
    PushPlan,
    conflict_rows,
    log_fields,
    plan_push,
    record,
    sync_options,
)
from .store_tokens import mask_secrets


def run_store_sync(
    store_name: str, trigger: str = "Scheduled", force: bool = False, scope: str | None = None
) -> str:
    """Returns the Shopify Log's name. Every run leaves one, a skipped run too. `scope` "all"
    pushes every row; otherwise only rows that differ from what Shopify confirmed (a full push
    when due)."""
    store = frappe.get_doc(STORE_DOCTYPE, store_name)
    started = now_datetime()
    # The kill switch wins over everything, force included.
    if is_kill_switched(store.shop_domain):
        return write_skipped_log(
            store,
            trigger,
            _("Inventory sync is switched off for {0} in site config").format(store.shop_domain),
        )
    if not (store.enabled and store.inventory_sync_enabled):
        return write_skipped_log(store, trigger, _("The store or its inventory sync is disabled"))
    if not force and is_backed_off(store.backoff_until, started):
        return write_skipped_log(store, trigger, backoff_message(store), keep_store_status=True)
    # A fast run (fast_path.py) exists because something changed: never "not due".
    if (
        not force
        and trigger != FAST_TRIGGER
        and not is_due(store.last_inventory_sync, store.sync_interval, started)
    ):
        return write_skipped_log(
            store,
            trigger,
            _("Not due: the store synced at {0}, after this run was queued").format(
                store.last_inventory_sync
            ),
            keep_store_status=True,
        )
    problem = configuration_problem(store)
    if problem:
        return write_skipped_log(store, trigger, problem)
    lock = run_lock.acquire(store.name, lock_ttl_seconds(store.run_deadline))
    if not lock.ok:
        return write_skipped_log(
            store,
            trigger,
            _("Another inventory sync of this store is running ({0})").format(lock.holder.describe()),
            keep_store_status=True,
        )
    try:
        if close_interrupted_logs(store.name):
            stock_changes.clear(store)
        log = start_log(store, trigger, started)
        flight_marks.commit_in_worker()
        frappe.db.savepoint(flight_marks.SAVEPOINT)
        try:
            return _run(store, log, started, scope)
        except Exception as exc:
            # Whatever broke, the run ends in a log the admin can see, not only in the worker's
            # error log; this run's writes since its last checkpoint are undone first.
            frappe.db.rollback(save_point=flight_marks.SAVEPOINT)
            log.reload()  # the counts its last checkpoint confirmed
            stock_changes.clear(store)
            frappe.log_error(
                title=_("Shopify inventory sync failed: {0}").format(store.name),
                message=_without_token(frappe.get_traceback(), store),
            )
            error = _without_token(f"{type(exc).__name__}: {exc}", store)
            return _finish(store, log, started, None, error=error, status="Failed")
    finally:
        run_lock.release(store.name, lock.holder)


def _without_token(text: str, store) -> str:
    """A traceback without frame variables (frappe.log_error's default prints them, and its
    redaction goes by variable name, which a header dict escapes), and never a secret: the
    pasted token, the client secret, the renewed token and its refresh tokens (store_tokens)."""
    return mask_secrets(text, store)


def configuration_problem(store) -> str | None:
    """A store the run cannot start for, in one sentence the admin can act on."""
    if not store.locations:
        return _("No warehouse is mapped to a Shopify location: map at least one on the store")
    seen = set()
    for row in store.locations:
        if row.warehouse in seen:
            return _("Warehouse {0} is mapped twice on the store; one warehouse feeds one location").format(
                row.warehouse
            )
        seen.add(row.warehouse)
    existing = set(frappe.get_all("Warehouse", filters={"name": ["in", list(seen)]}, pluck="name"))
    if not existing:
        return _("None of the store's warehouses exists any more: {0}").format(", ".join(sorted(seen)))
    return None


def data_warnings(store) -> list[str]:
    missing = sorted(
        {row.warehouse for row in store.locations}
        - set(
            frappe.get_all(
                "Warehouse", filters={"name": ["in", [r.warehouse for r in store.locations]]}, pluck="name"
            )
        )
    )
    if missing:
        return [_("Warehouse {0} no longer exists; its stock is left out").format(", ".join(missing))]
    return []


def screen_rows(
    rows: list[StockRow], sku_field: str
) -> tuple[list[StockRow], list[RowFailure], list[RowFailure]]:
    """Rows ERPNext's own data keeps from a sure answer: (rows to push, failed, not on Shopify).
    An item with no SKU cannot be looked up; a SKU on two items would push one item's stock
    onto the other's variant, so items found by that SKU are held back until it is fixed."""
    first_item: dict[str, str] = {}
    shared: dict[str, set[str]] = {}  # only SKUs on two or more items: 500,000 rows stay cheap
    for row in rows:
        if row.sku:
            first = first_item.setdefault(row.sku, row.ref)
            if first != row.ref:
                shared.setdefault(row.sku, {first}).add(row.ref)
    keep, failed, unmapped = [], [], []
    for row in rows:
        has_id = row.inventory_item_id or row.variant_id
        if not has_id and not row.sku:
            unmapped.append(
                RowFailure(
                    row, "NO_SKU", _("Item {0} has no {1} to match a Shopify SKU").format(row.ref, sku_field)
                )
            )
        elif not has_id and row.sku in shared:
            others = sorted(shared[row.sku] - {row.ref})
            failed.append(
                RowFailure(
                    row,
                    "SKU_ON_TWO_ITEMS",
                    _("SKU {0} is on items {1} and {2}; give each item its own SKU").format(
                        row.sku, row.ref, ", ".join(others)
                    ),
                )
            )
        else:
            keep.append(row)
    return keep, failed, unmapped


def _run(store, log, started, scope: str | None = None) -> str:
    warnings = data_warnings(store)
    screen = _Screen(store)
    try:
        endpoint = store_endpoint(store)
    except (EndpointError, UnsupportedApiVersion) as exc:
        rows = screen.read()
        return _finish(
            store, log, started, None, screen.result(warnings), error=str(exc), considered=len(rows)
        )
    flight_marks.settle(store, endpoint)
    plan = plan_push(store, scope, started)
    # Items without cached ids (among those this run reads) are resolved first and the stock
    # read after (the engine calls the plan's reader then): a cold run pushes figures as fresh
    # as a warm one. ERPNext's own data problems (no SKU, one SKU on two items) are held back
    # before anything is looked up.
    identifiers, failed, unmapped = screen_rows(
        rows_to_resolve(store.name, store.sku_field, plan.scope.items), store.sku_field or "item_code"
    )
    saver = _Checkpointer(store.name, log.name, identifiers)
    read = plan.reader(store, screen.reader(saver))
    result = sync_inventory(
        endpoint,
        identifiers if identifiers else read(),
        options=sync_options(
            store,
            log.run_id,
            deadline_s=run_deadline_minutes(store.run_deadline) * 60,
            on_checkpoint=saver,
            on_sending=saver.sending,
        ),
        progress=_progress_publisher(store.name),
        read_stock=read if identifiers else None,
    )
    log.token_renewals = token_renewals(endpoint)  # connection.py: how often the token was renewed
    saver.save_rest(result.resolved)
    saver.marker.save_rest(result.confirmed)
    # Levels of items Shopify no longer has (there), or replaced by a re-created product:
    # nothing is left to compare with or to zero.
    confirmed_levels.forget_levels(store.name, [level.key for level in result.forget])
    untracked = {saver.index.item_of(r) for r in result.resolved if not r.tracked} - {None}
    # An item whose SKU is on another item too is read again until that is fixed (the fix may
    # be on the other item); one without a SKU is read again when its Item changes.
    held_back = {f.row.ref for f in (*failed, *screen.failed)}
    record(store, plan, result, started, untracked, held_back)
    if plan.hold:
        zero_guard.notify(store, log.name, plan.hold)
    return _finish(store, log, started, result, screen.result(warnings), plan=plan)


class _Screen:
    """Reads the store's stock and holds back what ERPNext's own data keeps from a sure answer
    (screen_rows); remembers those rows for the log."""

    def __init__(self, store):
        self.store = store
        self.failed: list[RowFailure] = []
        self.unmapped: list[RowFailure] = []

    def read(self, items: Iterable[str] | None = None) -> list[StockRow]:
        """`items`: a read limited to those (stock_changes.py); None reads them all."""
        # Looked up on the module when called (tests wrap it to see when the stock is read).
        rows = stock_truth.read_store_stock(self.store, items)
        rows, self.failed, self.unmapped = screen_rows(rows, self.store.sku_field or "item_code")
        return rows

    def reader(self, saver: _Checkpointer):
        def read(items: Iterable[str] | None) -> list[StockRow]:
            rows = self.read(items)
            # Ids learnt from here on belong to the rows that passed the screen: an item held
            # back (its SKU on another item too) must not have another item's variant cached.
            saver.index = ResolutionIndex(rows)
            return rows

        return read

    def result(self, warnings: list[str]) -> tuple[list[RowFailure], list[RowFailure], list[str]]:
        return self.failed, self.unmapped, warnings


class _Checkpointer:
    """The engine's on_checkpoint: ids learnt go to the Item cache, counts to the Running log."""

    def __init__(self, store_name: str, log_name: str, rows: Iterable[StockRow]):
        self.store_name = store_name
        self.log_name = log_name
        self.index = ResolutionIndex(rows)
        self.saved: set[tuple] = set()
        # The engine's on_sending: a batch's rows are marked in flight and committed before it
        # leaves, so a worker killed before its checkpoint leaves them to be read again.
        self.marker = flight_marks.Marker(store_name)
        self.sending = self.marker.sending

    def __call__(self, checkpoint: Checkpoint) -> None:
        if checkpoint.resolved:
            self.save(checkpoint.resolved)
        # The levels this batch landed, in the same transaction as its counts and ids: a kill
        # after this commit keeps them; one before it leaves their in-flight marks.
        self.marker.landed(checkpoint)
        frappe.db.set_value(
            LOG_DOCTYPE,
            self.log_name,
            {
                "pushed": checkpoint.pushed,
                "failed": checkpoint.failed,
                "batches_ok": checkpoint.batches_ok,
                "batches_failed": checkpoint.batches_failed,
            },
            update_modified=False,
        )
        # One small commit per batch of 250 rows: cheap next to the mutation itself.
        flight_marks.commit_in_worker()

    def save(self, resolved: Iterable[Resolution]) -> None:
        resolved = list(resolved)
        self.saved.update(_resolution_key(r) for r in resolved)
        save_resolutions(self.store_name, self.index, resolved)

    def save_rest(self, resolved: Iterable[Resolution]) -> None:
        """What the engine reports at the end and no checkpoint carried (ids found again
        for rows Shopify refused, for instance)."""
        rest = [r for r in resolved if _resolution_key(r) not in self.saved]
        if rest:
            self.save(rest)


def _resolution_key(resolution: Resolution) -> tuple:
    return (resolution.inventory_item_id, resolution.variant_id, resolution.sku, resolution.tracked)


def _progress_publisher(store_name: str):
    last = {"percent": -1}

    def publish(done: int, total: int | None) -> None:
        percent = int(done * 100 / total) if total else 0
        if percent == last["percent"] and done != total:
            return  # a 2,000-batch run sends ~100 events, not 2,000
        last["percent"] = percent
        frappe.publish_progress(
            percent,
            title=_("Syncing inventory to Shopify"),
            doctype=STORE_DOCTYPE,
            docname=store_name,
            description=_("{0} of {1} batches").format(done, total or "?"),
        )

    return publish


def _variant_gid(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return to_gid("ProductVariant", value)
    except IdError:
        return None


class ResolutionIndex:
    """Which ERPNext item a Resolution belongs to: by variant id (hand-typed numbers and gids
    alike), else by SKU."""

    def __init__(self, rows: Iterable[StockRow]):
        self.by_key: dict[tuple[str, str], str] = {}
        for row in rows:
            variant = _variant_gid(row.variant_id)
            if variant:
                self.by_key.setdefault(("variant", variant), row.ref)
            if row.sku:
                self.by_key.setdefault(("sku", row.sku), row.ref)

    def item_of(self, resolution: Resolution) -> str | None:
        variant = _variant_gid(resolution.variant_id)
        return (variant and self.by_key.get(("variant", variant))) or self.by_key.get(("sku", resolution.sku))


def save_resolutions(
    store_name: str, rows: Iterable[StockRow] | ResolutionIndex, resolved: Iterable[Resolution]
) -> int:
    """Cache what resolution learnt on Item Shopify Store: one multi-row upsert per 1,000
    items, never one save per item. Returns the number of items written."""
    index = rows if isinstance(rows, ResolutionIndex) else ResolutionIndex(rows)
    learnt: dict[str, Resolution] = {}
    for resolution in resolved:
        item = index.item_of(resolution)
        if item:
            learnt[item] = resolution
    if not learnt:
        return 0
    items = list(learnt)
    existing = {}
    # The row stock_levels reads is the lowest idx: update that one.
    for r in frappe.get_all(
        ITEM_STORE_DOCTYPE,
        filters={"parenttype": "Item", "parent": ["in", items], "shopify_store": store_name},
        fields=["name", "parent", "idx"],
        order_by="idx desc",
    ):
        existing[r.parent] = r
    next_idx = dict(
        frappe.db.sql(
            f"SELECT parent, MAX(idx) FROM `tab{ITEM_STORE_DOCTYPE}` WHERE parenttype = 'Item' AND parent IN %(items)s GROUP BY parent",
            {"items": items},
        )
    )
    now = now_datetime()
    values = []
    for item, resolution in learnt.items():
        current = existing.get(item)
        values.append(
            (
                current.name if current else frappe.generate_hash(length=10),
                item,
                "Item",
                ITEM_STORES_FIELD,
                current.idx if current else cint(next_idx.get(item)) + 1,
                store_name,
                resolution.variant_id,
                resolution.variant_id,
                resolution.inventory_item_id,
                1 if resolution.tracked else 0,
                now,
            )
        )
    return insert_rows(
        ITEM_STORE_DOCTYPE,
        (
            "name",
            "parent",
            "parenttype",
            "parentfield",
            "idx",
            "shopify_store",
            "variant_id",
            "resolved_variant_id",
            "inventory_item_id",
            "tracked",
            "last_resolved",
        ),
        values,
        """variant_id = VALUES(variant_id), resolved_variant_id = VALUES(resolved_variant_id),
        inventory_item_id = VALUES(inventory_item_id), tracked = VALUES(tracked),
        last_resolved = VALUES(last_resolved), modified = VALUES(modified)""",
        stamp=now,
    )


def start_log(store, trigger: str, started):
    log = frappe.new_doc(LOG_DOCTYPE)
    log.update(
        {
            "shopify_store": store.name,
            "trigger": trigger,
            "status": "Running",
            "started_at": started,
            "api_version": store.api_version,
            "run_id": frappe.generate_hash(length=16),
        }
    )
    return log.insert(ignore_permissions=True)


INTERRUPTED_MESSAGE = (
    "This run stopped without finishing: its worker was killed or timed out. The counts are what "
    "Shopify had confirmed at the run's last checkpoint; the next run pushes the rest."
)


def close_interrupted_logs(store_name: str) -> list[str]:
    """Called with the run lock held: a log still Running belongs to a run that is gone."""
    names = frappe.get_all(
        LOG_DOCTYPE, filters={"shopify_store": store_name, "status": "Running"}, pluck="name"
    )
    for name in names:
        frappe.db.set_value(
            LOG_DOCTYPE,
            name,
            {"status": "Interrupted", "error": _(INTERRUPTED_MESSAGE), "finished_at": now_datetime()},
            update_modified=False,
        )
    return names


def summarise_rows(rows: list[RowFailure], beyond: dict[str, int]) -> str:
    """Every row that did not land, by code: exact whatever the log keeps."""
    counts = Counter(row.code for row in rows)
    lines = [f"{code}: {count:,}" for code, count in counts.most_common()]
    lines += [_("{0}, beyond those listed: {1:,}").format(what, n) for what, n in beyond.items() if n > 0]
    return "\n".join(lines)


def _log_status(result: RunResult, extra_failed: int, extra_unmapped: int) -> str:
    """`extra_unmapped`: items with no SKU, which cannot be on Shopify; like items whose SKU
    Shopify lacks they are a state of the catalog, not a failure (not_on_shopify.py)."""
    status = result.status.value
    if extra_failed:
        # Rows ERPNext's data held back did not land either: the run did not do everything.
        return "Partial" if status == "Success" else status
    if not_on_shopify.only_missing_items(result):
        return "Success"
    return status


def _finish(
    store,
    log,
    started,
    result: RunResult | None,
    screened: tuple[list[RowFailure], list[RowFailure], list[str]] = ((), (), ()),
    error: str | None = None,
    status: str = "Aborted",
    considered: int = 0,
    plan: PushPlan | None = None,
) -> str:
    data_failed, data_unmapped, warnings = screened
    finished = now_datetime()
    log.update({"finished_at": finished, "duration": time_diff_in_seconds(finished, started)})
    if warnings:
        log.warnings = "\n".join(warnings)
    not_landed: list[RowFailure] = [*data_failed, *data_unmapped]
    if result is None:
        log.status = status
        log.error = error
        # pushed and failed stay what the run's last checkpoint confirmed
        log.considered = considered + len(data_failed) + len(data_unmapped)
        log.failed = cint(log.failed) + len(data_failed)
        log.skipped_unmapped = len(data_unmapped)
    else:
        log.status = _log_status(result, len(data_failed), len(data_unmapped))
        # A Failed run names its commonest row failure (run_error); otherwise the engine's own
        # one-sentence summary (a deadline, rows not on Shopify, held conflicts) when it has one.
        log.error = run_error(log.status, result.abort_reason, result.failures) or result.error
        missing = result.unresolved + len(data_unmapped)
        if log.status == "Success" and missing:
            log.error = None  # the engine's sentence about them is not an error here
            log.warnings = "\n".join(filter(None, [log.warnings, not_on_shopify.log_line(missing)]))
        log.update(
            {
                "considered": result.considered + len(data_failed) + len(data_unmapped),
                "pushed": result.pushed,
                "unchanged_skipped": result.unchanged_skipped,
                "skipped_untracked": result.untracked,
                "skipped_unmapped": result.unresolved + len(data_unmapped),
                "failed": result.failed + len(data_failed),
                "conflicts": result.conflicts,
                "not_sent": result.not_sent,
                "batches_ok": result.batches_ok,
                "batches_failed": result.batches_failed,
                "api_calls": result.api_calls,
                "retries": result.retries,
                "throttled_answers": result.throttled_answers,
                "throttle_waits": result.throttle_waits,
                "seconds_waited": result.seconds_waited,
                "query_cost": result.query_cost,
            }
        )
        not_landed.extend(result.failures)
        not_landed.extend(result.unsent_rows)
        not_landed.extend(result.unresolved_rows)
        if plan is not None:
            log.update(log_fields(plan, result))
            # Rows ERPNext's data held back are rows of the store too.
            log.considered = cint(log.considered) + len(data_failed) + len(data_unmapped)
    # The engine counts every row but keeps the first 200 of each kind it cannot list in full.
    beyond = (
        {
            _("not on Shopify"): result.unresolved - len(result.unresolved_rows),
            _("not sent or not confirmed"): result.not_sent - len(result.unsent_rows),
        }
        if result
        else {}
    )
    log.failure_summary = summarise_rows(not_landed, beyond)
    log.rows_not_kept = max(len(not_landed) - LOG_ROWS_KEPT, 0) + sum(beyond.values())
    log.set("failed_rows", [])
    for failure in not_landed[:LOG_ROWS_KEPT]:
        log.append(
            "failed_rows",
            {
                "item_code": failure.row.ref,
                "sku": failure.row.sku,
                "shopify_location_id": failure.row.location_id,
                "quantity": quantity_to_send(failure, store.safety_buffer),
                "code": failure.code,
                "message": failure.message,
                "outcome": row_outcome(failure.code),
            },
        )
    if result is not None and plan is not None:
        _add_conflict_rows(log, plan, result)
    log.flags.finishing = True
    log.save(ignore_permissions=True)
    updates = {"last_run_status": log.status, "last_log": log.name}
    # Advance only when something landed: a broken token must not hide behind a fresh timestamp.
    if result is not None and result.any_batch_succeeded:
        updates["last_inventory_sync"] = started
    updates.update(_backoff_updates(store, log, result, not_landed))
    frappe.db.set_value(STORE_DOCTYPE, store.name, updates, update_modified=False)
    frappe.publish_realtime(
        PROGRESS_EVENT,
        {"store": store.name, "log": log.name, "status": log.status},
        doctype=STORE_DOCTYPE,
        docname=store.name,
        after_commit=True,
    )
    return log.name


def _add_conflict_rows(log, plan: PushPlan, result: RunResult) -> None:
    """One row per conflict with ERPNext's, the confirmed and Shopify's figures; like the
    failed rows, the first LOG_ROWS_KEPT only (log.conflicts keeps the exact count)."""
    skus = {row.ref: row.sku for row in plan.stock}
    rows = conflict_rows(result, skus)
    log.set("conflict_rows", [])
    for row in rows[:LOG_ROWS_KEPT]:
        log.append("conflict_rows", row)
    log.rows_not_kept = cint(log.rows_not_kept) + max(len(rows) - LOG_ROWS_KEPT, 0)


def _backoff_updates(store, log, result: RunResult | None, not_landed: list[RowFailure]) -> dict:
    kind = result.abort_kind if result else (log.error or "").split(":")[0]
    signature = failure_signature(log.status, kind, [row.code for row in not_landed])
    count, until = next_backoff(
        store.failure_signature,
        cint(store.consecutive_failures),
        signature,
        store.sync_interval,
        now_datetime(),
    )
    reason = None
    if until:
        why = (log.error or log.failure_summary or "").strip().splitlines()
        reason = _(
            "{0} runs in a row ended {1} the same way ({2}). Scheduled runs pause until {3}; the Sync Inventory button still runs."
        ).format(count, log.status, why[0][:200] if why else signature, until)
    return {
        "consecutive_failures": count,
        "failure_signature": signature,
        "backoff_until": until,
        "backoff_reason": reason,
    }


def backoff_message(store) -> str:
    return _("Scheduled runs are paused until {0}: {1}").format(
        store.backoff_until, store.backoff_reason or ""
    )


def quantity_to_send(failure: RowFailure, safety_buffer: float | None) -> int | None:
    """The figure the row would have set on Shopify. The engine knows it only for rows that got
    as far as a batch; for the others (not found on Shopify, a lookup that failed) it is the
    quantity rule applied to the ERPNext figure, so the log never shows a made-up 0."""
    if failure.quantity is not None:
        return failure.quantity
    try:
        return shopify_quantity(failure.row.quantity, flt(safety_buffer))
    except QuantityError:
        return None  # the row's own message says why there is no figure


def run_error(status: str, engine_reason: str | None, failures: Iterable[RowFailure]) -> str | None:
    """A Failed or Aborted run always names a cause at the top: the engine's when it gave one,
    else the commonest row failure, so the admin need not read hundreds of rows."""
    if engine_reason or status not in ("Failed", "Aborted"):
        return engine_reason
    commonest = commonest_failure(failures)
    if commonest is None:
        return _("The run ended {0} without a cause from Shopify and without failed rows").format(status)
    summary = _("{0} of {1} failed rows: {2}: {3}").format(
        commonest.count, commonest.total, commonest.code, commonest.example
    )
    if commonest.other_codes:
        summary += " " + _("(and {0} other causes)").format(commonest.other_codes)
    return summary


def write_skipped_log(store, trigger: str, reason: str, keep_store_status: bool = False) -> str:
    """keep_store_status: the store's last status stays what its last real run said (a run
    skipped because another is going, or because it is not due, says nothing about the shop)."""
    now = now_datetime()
    log = frappe.get_doc(
        {
            "doctype": LOG_DOCTYPE,
            "shopify_store": store.name,
            "trigger": trigger,
            "status": "Skipped",
            "started_at": now,
            "finished_at": now,
            "duration": 0,
            "api_version": store.api_version,
            "error": reason,
        }
    ).insert(ignore_permissions=True)
    if not keep_store_status:
        frappe.db.set_value(
            STORE_DOCTYPE,
            store.name,
            {"last_run_status": "Skipped", "last_log": log.name},
            update_modified=False,
        )
    return log.name
