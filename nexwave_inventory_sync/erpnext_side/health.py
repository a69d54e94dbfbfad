"""Health at a glance: one store's state and recent runs (the store form), and the figures of
the Shopify Inventory workspace's number cards."""

from __future__ import annotations

from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime
from frappe.utils.scheduler import is_scheduler_disabled

from . import not_on_shopify
from .constants import LOG_DOCTYPE, STORE_DOCTYPE
from .scheduling import is_kill_switched, kill_switched_domains, next_run_at

RECENT_RUNS = 20
FAILING_STATUSES = ("Failed", "Aborted")


def health_state(enabled: bool, sync_enabled: bool, switched_off: bool, last_status: str | None) -> tuple:
    """(state, label, indicator colour): disabled beats switched off beats the last run."""
    if not (enabled and sync_enabled):
        return "disabled", _("Disabled"), "gray"
    if switched_off:
        return "switched_off", _("Switched Off"), "orange"
    if last_status in FAILING_STATUSES:
        return "failing", _("Failing"), "red"
    if last_status == "Partial":
        return "failing", _("Failing: some rows"), "orange"
    if last_status == "Success":
        return "healthy", _("Healthy"), "green"
    return "never_run", _("Not Synced Yet"), "blue"


def recent_runs(store_name: str, limit: int = RECENT_RUNS) -> list[dict]:
    """Oldest first, for a chart read left to right. Skipped runs did nothing: left out."""
    runs = frappe.get_all(
        LOG_DOCTYPE,
        filters={"shopify_store": store_name, "status": ["!=", "Skipped"]},
        fields=[
            "name",
            "status",
            "started_at",
            "pushed",
            "failed",
            "skipped_unmapped",
            "full_push",
            "duration",
        ],
        order_by="creation desc",
        limit=limit,
    )
    return list(reversed(runs))


def store_health(store) -> dict:
    switched_off = is_kill_switched(store.shop_domain)
    runs = recent_runs(store.name)
    last_status = runs[-1].status if runs else None
    state, label, color = health_state(
        bool(store.enabled), bool(store.inventory_sync_enabled), switched_off, last_status
    )
    next_run = None
    if state not in ("disabled", "switched_off"):
        last = get_datetime(store.last_inventory_sync) if store.last_inventory_sync else None
        backoff = get_datetime(store.backoff_until) if store.get("backoff_until") else None
        next_run = next_run_at(last, store.sync_interval, now_datetime(), backoff_until=backoff)
    return {
        "state": state,
        "label": label,
        "color": color,
        "next_run": next_run,
        "scheduler_disabled": bool(is_scheduler_disabled(verbose=False)),
        "runs": runs,
        # A note beside the badge, not a colour: items not sold online are not a failure.
        "not_on_shopify": not_on_shopify.count(store.name),
    }


# -- the workspace's number cards (Number Card type "Custom": {value, fieldtype}) ---------


def _number(value: int) -> dict:
    return {"value": value, "fieldtype": "Int"}


@frappe.whitelist()
def failed_runs_last_24_hours(filters=None) -> dict:
    frappe.has_permission(LOG_DOCTYPE, "read", throw=True)
    since = now_datetime() - timedelta(hours=24)
    return _number(
        frappe.db.count(LOG_DOCTYPE, {"status": ["in", FAILING_STATUSES], "creation": [">=", since]})
    )


@frappe.whitelist()
def items_not_on_shopify(filters=None) -> dict:
    """Items of enabled stores that Shopify does not have (marked by their last look-up)."""
    frappe.has_permission(LOG_DOCTYPE, "read", throw=True)
    # The card opens the Shopify Item Coverage report on the items not found.
    return {
        **_number(not_on_shopify.count(frappe.get_all(STORE_DOCTYPE, filters={"enabled": 1}, pluck="name"))),
        "route": ["query-report", "Shopify Item Coverage"],
        "route_options": {"state": "Not found on Shopify"},
    }


@frappe.whitelist()
def stores_switched_off(filters=None) -> dict:
    frappe.has_permission(STORE_DOCTYPE, "read", throw=True)
    switched = kill_switched_domains()
    domains = frappe.get_all(STORE_DOCTYPE, pluck="shop_domain")
    return _number(sum(1 for domain in domains if domain.lower() in switched))
