"""One home for the multi-row INSERT (… ON DUPLICATE KEY UPDATE) the app writes its per-row
records with (confirmed levels, in-flight marks, the Item id cache, not-on-Shopify marks): a
run touches thousands of rows, and one save per row would cost a round trip (and a document
load) each. And for the UPDATE and DELETE of rows picked by name (update_by_name)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import frappe

# Rows per statement: 1,000 rows of ~15 values stay far below MariaDB's max_allowed_packet.
BULK_CHUNK = 1000


def insert_rows(
    doctype: str,
    columns: Sequence[str],
    rows: Sequence[Sequence],
    on_duplicate: str = "",
    *,
    stamp: datetime,
) -> int:
    """INSERT `rows` (each a value per column) into the doctype's table, BULK_CHUNK a statement;
    `on_duplicate` is the SQL after ON DUPLICATE KEY UPDATE (none: a plain insert). Every row gets
    Frappe's record columns too: created and modified at `stamp`, by the session's user (the
    ON DUPLICATE clause says whether `modified` moves on an update). Returns the number of rows."""
    if not rows:
        return 0
    user = frappe.session.user
    columns = (*columns, "creation", "modified", "owner", "modified_by")
    rows = [(*row, stamp, stamp, user, user) for row in rows]
    row_placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    update = f"ON DUPLICATE KEY UPDATE {on_duplicate}" if on_duplicate else ""
    for start in range(0, len(rows), BULK_CHUNK):
        chunk = rows[start : start + BULK_CHUNK]
        frappe.db.sql(
            f"INSERT INTO `tab{doctype}` ({', '.join(columns)}) "
            f"VALUES {', '.join([row_placeholder] * len(chunk))} {update}",
            [value for row in chunk for value in row],
        )
    return len(rows)


def update_by_name(doctype: str, names: Sequence[str], assignments: str, params: dict | None = None) -> None:
    """UPDATE `doctype` SET `assignments` (params by name) on the rows named, in the order given,
    BULK_CHUNK a statement. An UPDATE that picks its rows by other columns (a store, a list of
    ids) locks every row it scans, changed or not, and the gap after the last one (another
    store's first row): run at the end of stores' runs, such statements deadlocked each other
    (a 50-store first tick, issue 17). Callers read which rows need the change first (a plain SELECT
    takes no lock) and write only those, by primary key, in item order."""
    _by_name(f"UPDATE `tab{doctype}` SET {assignments}", names, params)


def delete_by_name(doctype: str, names: Sequence[str]) -> None:
    """DELETE the rows named, as update_by_name updates them."""
    _by_name(f"DELETE FROM `tab{doctype}`", names)


def _by_name(statement: str, names: Sequence[str], params: dict | None = None) -> None:
    names = list(names)
    for start in range(0, len(names), BULK_CHUNK):
        frappe.db.sql(
            f"{statement} WHERE name IN %(names)s",
            {**(params or {}), "names": tuple(names[start : start + BULK_CHUNK])},
        )
