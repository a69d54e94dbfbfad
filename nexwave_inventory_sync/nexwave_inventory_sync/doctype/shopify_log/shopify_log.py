# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document

from nexwave_inventory_sync.erpnext_side.log_clearing import clear_older_than


class ShopifyLog(Document):
    """One document per run and store: opened Running when the run starts, written once more by
    the run when it ends, read-only after."""

    def validate(self) -> None:
        if not self.is_new() and not self.flags.get("finishing"):
            frappe.throw(_("A Shopify Log records what a run did and cannot be changed"))

    @staticmethod
    def clear_old_logs(days: int = 90) -> None:
        """Called by Log Settings (hooks: default_log_clearing_doctypes)."""
        clear_older_than("Shopify Log", "Shopify Log Row", days)
