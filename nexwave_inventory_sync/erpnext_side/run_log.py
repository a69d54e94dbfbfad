"""The Shopify Log of a run: opened as Running, closed with the run's counts and the rows that
did not land, and the store's own status fields (last run, back-off) updated with it.

A run that is skipped leaves a log too (write_skipped_log), and a log still Running when the
next run holds the lock belongs to a run that is gone (close_interrupted_logs)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import frappe
from frappe import _
from frappe.utils import cint, flt, now_datetime, time_diff_in_seconds

from ..sync.api import QuantityError, RowFailure, RunResult, commonest_failure, shopify_quantity
from . import not_on_shopify
from .backoff import backoff_updates
from .constants import LOG_DOCTYPE, LOG_ROWS_KEPT, PROGRESS_EVENT, STORE_DOCTYPE
from .row_outcomes import row_outcome
from .stock_truth import StockRead, conflict_rows, log_fields
from .store_tokens import mask_secrets

# What ERPNext's own data held back before the engine saw a row: (failed, not on Shopify,
# warnings); see screening.py.
Screened = tuple[Sequence[RowFailure], Sequence[RowFailure], Sequence[str]]
NOTHING_SCREENED: Screened = ((), (), ())

INTERRUPTED_MESSAGE = (
    "This run stopped without finishing: its worker was killed or timed out. The counts are what "
    "Shopify had confirmed at the run's last checkpoint; the next run pushes the rest."
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


def without_token(text: str, store) -> str:
    """A traceback without frame variables (frappe.log_error's default prints them, and its
    redaction goes by variable name, which a header dict escapes), and never a secret: the
    pasted token, the client secret, the renewed token and its refresh tokens (store_tokens)."""
    return mask_secrets(text, store)


def finish_log(
    store,
    log,
    started,
    result: RunResult | None,
    screened: Screened = NOTHING_SCREENED,
    error: str | None = None,
    status: str = "Aborted",
    considered: int = 0,
    read: StockRead | None = None,
    shopify_bundles: str | None = None,
) -> str:
    """Close the run's log: counts, the rows that did not land, the store's status. `result`
    None: the engine never ran (`status`, `error`; `considered` rows were read). `read`: the
    run's stock read; `shopify_bundles`: the log's line of them (stock_truth.record)."""
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
        _fill_from_result(log, result, screened, read, shopify_bundles)
        not_landed.extend((*result.failures, *result.unsent_rows, *result.unresolved_rows))
    _fill_rows(log, store, not_landed, result, read)
    log.flags.finishing = True
    log.save(ignore_permissions=True)
    _update_store(store, log, started, result, not_landed)
    return log.name


def _fill_from_result(
    log, result: RunResult, screened: Screened, read: StockRead | None, shopify_bundles: str | None
) -> None:
    data_failed, data_unmapped, _warnings = screened
    log.status = log_status(result, len(data_failed), len(data_unmapped))
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
    if read is not None:
        log.update(log_fields(read, result, shopify_bundles))
        # Rows ERPNext's data held back are rows of the store too.
        log.considered = cint(log.considered) + len(data_failed) + len(data_unmapped)


def _fill_rows(
    log, store, not_landed: list[RowFailure], result: RunResult | None, read: StockRead | None
) -> None:
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
    if result is not None and read is not None:
        _add_conflict_rows(log, read, result)


def _update_store(store, log, started, result: RunResult | None, not_landed: list[RowFailure]) -> None:
    updates = {"last_run_status": log.status, "last_log": log.name}
    # Advance only when something landed: a broken token must not hide behind a fresh timestamp.
    if result is not None and result.any_batch_succeeded:
        updates["last_inventory_sync"] = started
    updates.update(backoff_updates(store, log, result, not_landed))
    frappe.db.set_value(STORE_DOCTYPE, store.name, updates, update_modified=False)
    frappe.publish_realtime(
        PROGRESS_EVENT,
        {"store": store.name, "log": log.name, "status": log.status},
        doctype=STORE_DOCTYPE,
        docname=store.name,
        after_commit=True,
    )


def _add_conflict_rows(log, read: StockRead, result: RunResult) -> None:
    """One row per conflict with ERPNext's, the confirmed and Shopify's figures; like the
    failed rows, the first LOG_ROWS_KEPT only (log.conflicts keeps the exact count)."""
    skus = {row.ref: row.sku for row in read.stock}
    rows = conflict_rows(result, skus)
    log.set("conflict_rows", [])
    for row in rows[:LOG_ROWS_KEPT]:
        log.append("conflict_rows", row)
    log.rows_not_kept = cint(log.rows_not_kept) + max(len(rows) - LOG_ROWS_KEPT, 0)


def summarise_rows(rows: list[RowFailure], beyond: dict[str, int]) -> str:
    """Every row that did not land, by code: exact whatever the log keeps."""
    counts = Counter(row.code for row in rows)
    lines = [f"{code}: {count:,}" for code, count in counts.most_common()]
    lines += [_("{0}, beyond those listed: {1:,}").format(what, n) for what, n in beyond.items() if n > 0]
    return "\n".join(lines)


def log_status(result: RunResult, extra_failed: int, extra_unmapped: int) -> str:
    """`extra_unmapped`: items with no SKU, which cannot be on Shopify; like items whose SKU
    Shopify lacks they are a state of the catalog, not a failure (not_on_shopify.py)."""
    status = result.status.value
    if extra_failed:
        # Rows ERPNext's data held back did not land either: the run did not do everything.
        return "Partial" if status == "Success" else status
    if not_on_shopify.only_missing_items(result):
        return "Success"
    return status


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
