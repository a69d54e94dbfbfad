"""The workspace's runs donut colours each status as the Shopify Log list's indicator does
(green Success, orange Partial, red Failed ...): one slice per colour, in a fixed order, with
the chart's colours in that order."""

from __future__ import annotations

import json
import re
from pathlib import Path

import frappe

from nexwave_inventory_sync.nexwave_inventory_sync.dashboard_chart_source.shopify_runs_by_status import (
    shopify_runs_by_status as source,
)
from nexwave_inventory_sync.testing.compat import IntegrationTestCase

LIST_JS = Path(__file__).resolve().parents[2] / "doctype" / "shopify_log" / "shopify_log_list.js"


def list_indicator_colours() -> tuple[dict[str, str], str]:
    """The Shopify Log list's status -> colour map and its fallback, read from its script."""
    script = LIST_JS.read_text(encoding="utf-8")
    block = re.search(r"\{([^{}]*)\}\[doc\.status\]\s*\|\|\s*\"(\w+)\"", script)
    colours = dict(re.findall(r"(\w+):\s*\"(\w+)\"", block.group(1)))
    return colours, block.group(2)


# The hex behind Frappe's indicator colours (its --green-600, --orange-500, --red-500 and
# --gray-500): frappe-charts' own "orange" is hardly told from its "red".
INDICATOR_HEX = {"green": "#30a66d", "orange": "#e86c13", "red": "#e03636", "gray": "#999999"}


def chart_colour(indicator: str) -> str:
    return INDICATOR_HEX[indicator]


class TestRunsByStatus(IntegrationTestCase):
    def test_each_status_has_the_log_lists_colour(self):
        colours, fallback = list_indicator_colours()
        self.assertEqual(colours["Success"], "green")
        chart = frappe.get_doc("Dashboard Chart", "Shopify Runs by Status")
        self.assertEqual((chart.chart_type, chart.source), ("Custom", "Shopify Runs by Status"))
        chart_colours = json.loads(chart.custom_options)["colors"]
        labels = source.get(chart_name=chart.name)["labels"]
        self.assertEqual(len(labels), len(chart_colours))
        for (label, statuses), colour in zip(source.SLICES, chart_colours, strict=True):
            for status in statuses:
                self.assertEqual(chart_colour(colours.get(status, fallback)), colour, (label, status))
        # frappe-charts sorts the slices by size (and the colours stay put) past maxSlices.
        self.assertGreaterEqual(chart.number_of_groups, len(labels))
        every_status = frappe.get_meta("Shopify Log").get_field("status").options.split("\n")
        in_slices = [status for _label, statuses in source.SLICES for status in statuses]
        self.assertEqual(sorted(in_slices), sorted(every_status))

    def test_counts_runs_per_slice_in_the_fixed_order(self):
        before = source.runs_by_slice()
        for status in ("Failed", "Aborted", "Success", "Success"):
            frappe.get_doc({"doctype": "Shopify Log", "status": status, "trigger": "Manual"}).insert(
                ignore_permissions=True
            )
        data = source.get(chart_name="Shopify Runs by Status")
        labels = [label for label, _statuses in source.SLICES]
        values = dict(zip(labels, data["datasets"][0]["values"], strict=True))
        self.assertEqual(values["Success"], before["Success"] + 2)
        self.assertEqual(values["Failed, Aborted"], before["Failed, Aborted"] + 2)
        self.assertEqual(values["Partial, Held"], before["Partial, Held"])

    def test_a_user_who_may_not_read_logs_gets_no_counts(self):
        self.addCleanup(frappe.set_user, "Administrator")
        frappe.set_user("Guest")
        with self.assertRaises(frappe.PermissionError):
            source.get(chart_name="Shopify Runs by Status")
