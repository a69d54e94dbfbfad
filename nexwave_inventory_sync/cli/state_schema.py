"""The state file's tables, and the migration of a schema 1 file (keyed by shop alone)."""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 3  # PRAGMA user_version; 1 (or 0 with tables): keyed by shop alone; 2: no `held`

TABLES = {
    "item_ids": """CREATE TABLE IF NOT EXISTS item_ids (
    shop TEXT NOT NULL,
    endpoint TEXT NOT NULL DEFAULT '',
    sku TEXT NOT NULL,
    inventory_item_id TEXT NOT NULL,
    variant_id TEXT,
    tracked INTEGER NOT NULL,
    resolved_at TEXT NOT NULL,
    PRIMARY KEY (shop, endpoint, sku)
)""",
    "confirmed_levels": """CREATE TABLE IF NOT EXISTS confirmed_levels (
    shop TEXT NOT NULL,
    endpoint TEXT NOT NULL DEFAULT '',
    inventory_item_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    ref TEXT,
    source TEXT NOT NULL,
    confirmed_at TEXT NOT NULL,
    held INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (shop, endpoint, inventory_item_id, location_id)
)""",
    "shortfalls": """CREATE TABLE IF NOT EXISTS shortfalls (
    shop TEXT NOT NULL,
    endpoint TEXT NOT NULL DEFAULT '',
    inventory_item_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    units INTEGER NOT NULL,
    PRIMARY KEY (shop, endpoint, inventory_item_id, location_id)
)""",
    "in_flight": """CREATE TABLE IF NOT EXISTS in_flight (
    shop TEXT NOT NULL,
    endpoint TEXT NOT NULL DEFAULT '',
    inventory_item_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    sent INTEGER NOT NULL,
    previous INTEGER,
    ref TEXT,
    marked_at TEXT NOT NULL,
    held INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (shop, endpoint, inventory_item_id, location_id)
)""",
}
# The tables whose rows record sales held back (ConfirmedLevel.held, InFlightLevel.held): new in 3.
HELD_TABLES = ("confirmed_levels", "in_flight")
# Schema 1's columns of each table that had one (the endpoint column is new in 2).
V1_COLUMNS = {
    "item_ids": "shop, sku, inventory_item_id, variant_id, tracked, resolved_at",
    "confirmed_levels": "shop, inventory_item_id, location_id, quantity, ref, source, confirmed_at",
    "shortfalls": "shop, inventory_item_id, location_id, units",
}


def create_or_migrate(db: sqlite3.Connection) -> None:
    """Create the tables, moving a schema 1 table's rows to the shop itself (endpoint ""),
    and stamp the schema version. Runs inside the caller's write transaction."""
    existing = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table, create in TABLES.items():
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if table in existing and "endpoint" not in columns:
            # Schema 1: keyed by shop alone; those rows belong to the shop itself.
            db.execute(f"ALTER TABLE {table} RENAME TO {table}_v1")
            db.execute(create)
            cols = V1_COLUMNS[table]
            db.execute(f"INSERT INTO {table} ({cols}, endpoint) SELECT {cols}, '' FROM {table}_v1")
            db.execute(f"DROP TABLE {table}_v1")
        else:
            db.execute(create)
            if table in HELD_TABLES and table in existing and "held" not in columns:
                # Schema 2: no level held sales back (N1); every one holds none.
                db.execute(f"ALTER TABLE {table} ADD COLUMN held INTEGER NOT NULL DEFAULT 0")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
