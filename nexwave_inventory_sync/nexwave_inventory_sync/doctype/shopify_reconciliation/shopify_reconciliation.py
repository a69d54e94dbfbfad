# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.query_builder import Interval
from frappe.query_builder.functions import Now


class ShopifyReconciliation(Document):
    """One document per reconciliation of a store; written once by the job, read-only after."""

    def validate(self) -> None:
        if not self.is_new():
            frappe.throw(_("A Shopify Reconciliation records what a run found and cannot be changed"))

    @staticmethod
    def clear_old_logs(days: int = 90) -> None:
        """Called by Log Settings (hooks: default_log_clearing_doctypes)."""
        table = frappe.qb.DocType("Shopify Reconciliation")
        old = (
            frappe.qb.from_(table)
            .select(table.name)
            .where(table.creation < (Now() - Interval(days=days)))
            .run(pluck=True)
        )
        if old:
            rows = frappe.qb.DocType("Shopify Reconciliation Row")
            frappe.qb.from_(rows).delete().where(rows.parent.isin(old)).run()
            frappe.qb.from_(table).delete().where(table.name.isin(old)).run()
