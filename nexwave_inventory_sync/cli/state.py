"""The CLI's memory between runs: a SQLite file holding, per shop, the ids resolved per SKU
(as the app's Item table does) and the levels Shopify confirmed (as the app's confirmed-level
doctype does), plus the shortfalls the last reconciliation saw. With it a delta run over
known SKUs makes no lookup call and pushes only what changed.

`--state PATH` names the file; the default is $XDG_STATE_HOME/nexwave-sync/state.sqlite3
(~/.local/state/...). It is created when missing. One transaction per write: a run that
dies half-way leaves the previous state whole.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from ..sync.delta import ConfirmedLevel, LevelKey
from ..sync.results import Resolution

SCHEMA = """
CREATE TABLE IF NOT EXISTS item_ids (
    shop TEXT NOT NULL,
    sku TEXT NOT NULL,
    inventory_item_id TEXT NOT NULL,
    variant_id TEXT,
    tracked INTEGER NOT NULL,
    resolved_at TEXT NOT NULL,
    PRIMARY KEY (shop, sku)
);
CREATE TABLE IF NOT EXISTS confirmed_levels (
    shop TEXT NOT NULL,
    inventory_item_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    ref TEXT,
    source TEXT NOT NULL,
    confirmed_at TEXT NOT NULL,
    PRIMARY KEY (shop, inventory_item_id, location_id)
);
CREATE TABLE IF NOT EXISTS shortfalls (
    shop TEXT NOT NULL,
    inventory_item_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    units INTEGER NOT NULL,
    PRIMARY KEY (shop, inventory_item_id, location_id)
);
"""


def default_state_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "nexwave-sync" / "state.sqlite3"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class SyncState:
    def __init__(self, path: str | Path | None, shop: str):
        self.path = Path(path) if path else default_state_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.shop = shop
        self._db = sqlite3.connect(self.path)
        with self._db:
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SyncState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ids ---------------------------------------------------------------------------------
    def item_ids(self) -> dict[str, tuple[str, bool]]:
        """sku -> (inventory item gid, tracked)."""
        cursor = self._db.execute(
            "SELECT sku, inventory_item_id, tracked FROM item_ids WHERE shop = ?", (self.shop,)
        )
        return {sku: (item, bool(tracked)) for sku, item, tracked in cursor}

    def save_ids(self, resolutions: Iterable[Resolution]) -> int:
        rows = [
            (self.shop, r.sku, r.inventory_item_id, r.variant_id, int(r.tracked), _now())
            for r in resolutions
            if r.sku
        ]
        with self._db:
            self._db.executemany(
                "INSERT INTO item_ids VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (shop, sku) DO UPDATE SET "
                "inventory_item_id = excluded.inventory_item_id, variant_id = excluded.variant_id, "
                "tracked = excluded.tracked, resolved_at = excluded.resolved_at",
                rows,
            )
        return len(rows)

    # -- confirmed levels --------------------------------------------------------------------
    def confirmed(self) -> list[ConfirmedLevel]:
        cursor = self._db.execute(
            "SELECT inventory_item_id, location_id, quantity, ref, source FROM confirmed_levels WHERE shop = ?",
            (self.shop,),
        )
        return [
            ConfirmedLevel(item, loc, quantity, ref, source) for item, loc, quantity, ref, source in cursor
        ]

    def save_confirmed(self, levels: Iterable[ConfirmedLevel]) -> int:
        now = _now()
        rows = [
            (self.shop, lv.inventory_item_id, lv.location_id, lv.quantity, lv.ref, lv.source, now)
            for lv in levels
        ]
        with self._db:
            self._db.executemany(
                "INSERT INTO confirmed_levels VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (shop, inventory_item_id, location_id) DO UPDATE SET quantity = excluded.quantity, "
                "ref = excluded.ref, source = excluded.source, confirmed_at = excluded.confirmed_at",
                rows,
            )
        return len(rows)

    # -- shortfalls (reconciliation, available mode) -------------------------------------------
    def shortfalls(self) -> dict[LevelKey, int]:
        cursor = self._db.execute(
            "SELECT inventory_item_id, location_id, units FROM shortfalls WHERE shop = ?", (self.shop,)
        )
        return {(item, loc): units for item, loc, units in cursor}

    def replace_shortfalls(self, shortfalls: dict[LevelKey, int]) -> None:
        with self._db:
            self._db.execute("DELETE FROM shortfalls WHERE shop = ?", (self.shop,))
            self._db.executemany(
                "INSERT INTO shortfalls VALUES (?, ?, ?, ?)",
                [(self.shop, item, loc, units) for (item, loc), units in shortfalls.items()],
            )
