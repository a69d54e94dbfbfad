"""Clearing old run records with their rows, for Log Settings (hooks: default_log_clearing_doctypes)."""

from __future__ import annotations

import frappe
from frappe.query_builder import Interval
from frappe.query_builder.functions import Now


def clear_older_than(doctype: str, row_doctype: str, days: int) -> None:
    """Deletes the records of `doctype` created more than `days` ago, and their rows, in two
    statements per table instead of one delete_doc per record."""
    table = frappe.qb.DocType(doctype)
    old = (
        frappe.qb.from_(table)
        .select(table.name)
        .where(table.creation < (Now() - Interval(days=days)))
        .run(pluck=True)
    )
    if old:
        rows = frappe.qb.DocType(row_doctype)
        frappe.qb.from_(rows).delete().where(rows.parent.isin(old)).run()
        frappe.qb.from_(table).delete().where(table.name.isin(old)).run()
