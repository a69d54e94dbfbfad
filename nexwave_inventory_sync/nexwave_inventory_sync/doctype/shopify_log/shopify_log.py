# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.query_builder import Interval
from frappe.query_builder.functions import Now


class ShopifyLog(Document):
    """One document per run and store: opened Running when the run starts, written once more by
    the run when it ends, read-only after."""

    def validate(self) -> None:
        if not self.is_new() and not self.flags.get("finishing"):
            frappe.throw(_("A Shopify Log records what a run did and cannot be changed"))

    @staticmethod
    def clear_old_logs(days: int = 90) -> None:
        """Called by Log Settings (hooks: default_log_clearing_doctypes)."""
        table = frappe.qb.DocType("Shopify Log")
        old = (
            frappe.qb.from_(table)
            .select(table.name)
            .where(table.creation < (Now() - Interval(days=days)))
            .run(pluck=True)
        )
        if old:
            rows = frappe.qb.DocType("Shopify Log Row")
            frappe.qb.from_(rows).delete().where(rows.parent.isin(old)).run()
            frappe.qb.from_(table).delete().where(table.name.isin(old)).run()
