# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document

from nexwave_inventory_sync.erpnext_side.log_clearing import clear_older_than


class ShopifyReconciliation(Document):
    """One document per reconciliation of a store; written once by the job, read-only after."""

    def validate(self) -> None:
        if not self.is_new():
            frappe.throw(_("A Shopify Reconciliation records what a run found and cannot be changed"))

    @staticmethod
    def clear_old_logs(days: int = 90) -> None:
        """Called by Log Settings (hooks: default_log_clearing_doctypes)."""
        clear_older_than("Shopify Reconciliation", "Shopify Reconciliation Row", days)
