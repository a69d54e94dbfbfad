import frappe

# Before 0.3 both doctypes were named "format:PREFIX-{#######}", and Frappe keys the counter of
# a format expression's {###} by the text inside the braces, not by the prefix: SLOG and SREC
# drew numbers from one shared counter ("" in tabSeries). Each now has its own ("SLOG-",
# "SREC-"); they start after the highest number already used, so no name is handed out twice.
SERIES = {"Shopify Log": "SLOG-", "Shopify Reconciliation": "SREC-"}


def execute():
    for doctype, prefix in SERIES.items():
        highest = frappe.db.sql(
            f"SELECT MAX(CAST(SUBSTRING(name, %(start)s) AS UNSIGNED)) FROM `tab{doctype}` WHERE name LIKE %(like)s",
            {"start": len(prefix) + 1, "like": prefix + "%"},
        )[0][0]
        if not highest:
            continue
        frappe.db.sql(
            """INSERT INTO `tabSeries` (name, current) VALUES (%(prefix)s, %(highest)s)
            ON DUPLICATE KEY UPDATE current = GREATEST(current, VALUES(current))""",
            {"prefix": prefix, "highest": int(highest)},
        )
