"""The workspace's Shopify Runs by Status donut: one slice per colour of the Shopify Log list's
status indicator (green Success, orange Partial or Held, red Failed or Aborted, grey the rest),
always in the same order, so each slice has its statuses' colour (the chart's custom_options
list the colours in SLICES' order). A Group By chart ordered its slices by count and coloured
them by position: Success could come out red. Four slices, not eight: a legend of eight statuses
did not fit the widget."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder.functions import Count

# (label, statuses): the list's green, orange, red and grey, in that order.
SLICES = (
    ("Success", ("Success",)),
    ("Partial, Held", ("Partial", "Held")),
    ("Failed, Aborted", ("Failed", "Aborted")),
    ("Skipped, other", ("Skipped", "Interrupted", "Running")),
)


def runs_by_slice() -> dict[str, int]:
    log = frappe.qb.DocType("Shopify Log")
    counted = dict(frappe.qb.from_(log).select(log.status, Count("*")).groupby(log.status).run())
    return {label: sum(int(counted.get(s) or 0) for s in statuses) for label, statuses in SLICES}


@frappe.whitelist()
def get(chart_name=None, chart=None, no_cache=None, filters=None, **_ignored) -> dict:
    frappe.has_permission("Shopify Log", "read", throw=True)
    counts = runs_by_slice()
    return {
        "labels": [_(label) for label in counts],
        "datasets": [{"name": _("Runs"), "values": list(counts.values())}],
    }
