"""The CLI's memory between runs: a SQLite file holding, per shop and endpoint, the ids resolved
per SKU (as the app's Item table does), the levels Shopify confirmed (as the app's confirmed-
level doctype does), the rows a run sent whose answer it has not seen yet (in flight), and the
shortfalls the last reconciliation saw. With it a delta run over known SKUs makes no lookup
call and pushes only what changed.

`--state PATH` names the file; the default is $XDG_STATE_HOME/nexwave-sync/state.sqlite3
(~/.local/state/...). It is created when missing.

The crash rule (issue 15): a batch's rows are marked in flight (committed) before it leaves;
the levels it landed are saved with its checkpoint, in one transaction that also clears their
marks. A run killed anywhere leaves either a level or a mark for every row it sent, and the
next run reads Shopify's figure of the marked rows before it picks its delta (sync/in_flight).

Keys: (shop, endpoint). The endpoint is "" for the shop itself and the base URL of an
emulator for `--endpoint`, so a trial push against an emulator never makes the real shop's
push skip rows. Files written before the endpoint was part of the key (schema 1) are migrated:
their rows belong to the real shop.

One run at a time per file: `<state>.lock` is held (flock) for the run; a second run waits up
to LOCK_WAIT_S, then stops naming the other's process id. A killed run's lock goes with it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from ..sync.api import (
    Checkpoint,
    ConfirmedLevel,
    InFlightCheck,
    InFlightLevel,
    LevelKey,
    Resolution,
    RunResult,
    ShopifyEndpoint,
)
from .run_lock import RunLock
from .state_errors import StateError, StateWriteFailed
from .state_errors import first_line as _cause
from .state_schema import SCHEMA_VERSION, create_or_migrate

REAL_ENDPOINT = ""  # the endpoint key of https://{shop} itself
LOCK_WAIT_S = 5.0  # how long a second run on the same file waits for the first
BUSY_TIMEOUT_S = 5.0  # how long a write waits for another SQLite connection (a DB browser)
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def default_state_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "nexwave-sync" / "state.sqlite3"


def endpoint_key(endpoint: ShopifyEndpoint) -> str:
    """ "" for the shop itself (also when --endpoint names https://{shop}); otherwise the
    override's base URL, so each emulator keeps a state of its own."""
    override = endpoint.endpoint_override
    if not override:
        return REAL_ENDPOINT
    parts = urlsplit(override)
    if parts.scheme == "https" and parts.hostname == endpoint.shop_domain and parts.path in ("", "/"):
        return REAL_ENDPOINT
    return override.rstrip("/").lower()


def _now() -> str:
    return datetime.now(timezone.utc).strftime(_TIME_FORMAT)


@dataclass(frozen=True)
class CachedId:
    inventory_item_id: str
    tracked: bool
    resolved_at: datetime | None  # None: unreadable, treated as old


def _parse_time(text: str | None) -> datetime | None:
    try:
        return datetime.strptime(text or "", _TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


class SyncState:
    """Open with `with SyncState(path, shop, endpoint) as state:`. Opening takes the run lock,
    checks the file (a SQLite database, not corrupt, writable now) and migrates it; any of
    that failing raises StateError before the run sends anything. Every method raises
    StateError (StateWriteFailed for writes), never sqlite3's errors."""

    def __init__(
        self,
        path: str | Path | None,
        shop: str,
        endpoint: str = REAL_ENDPOINT,
        *,
        lock_wait_s: float | None = None,
        busy_timeout_s: float | None = None,
    ):
        self.path = Path(path) if path else default_state_path()
        self.shop = shop
        self.endpoint = endpoint
        self._key = (shop, endpoint)
        self._db: sqlite3.Connection | None = None
        if self.path.is_dir():
            raise StateError(self.path, "is a directory, not a state file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(self.path, f"cannot create its folder: {exc.strerror or exc}") from None
        self._lock = RunLock(self.path.with_name(self.path.name + ".lock"))
        self._lock.acquire(self.path, LOCK_WAIT_S if lock_wait_s is None else lock_wait_s)
        try:
            timeout = BUSY_TIMEOUT_S if busy_timeout_s is None else busy_timeout_s
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self._check_and_migrate()
        except StateError:
            self.close()
            raise
        except sqlite3.Error as exc:
            self.close()
            raise StateError(self.path, _cause(exc)) from None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._lock.release()

    def __enter__(self) -> SyncState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ------------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction; BEGIN IMMEDIATE takes the write lock up front, so a file another
        program holds fails here, before anything is half-written."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StateWriteFailed(self.path, f"cannot be written: {_cause(exc)}") from None
        try:
            yield db
            db.execute("COMMIT")
        except BaseException as exc:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the transaction is gone already (SQLite rolls back on some errors)
            if isinstance(exc, sqlite3.Error):
                raise StateWriteFailed(self.path, f"cannot be written: {_cause(exc)}") from None
            raise

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StateError(self.path, f"cannot be read: {_cause(exc)}") from None

    def _check_and_migrate(self) -> None:
        try:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            check = self._db.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.Error as exc:  # "file is not a database", "database disk image is malformed"
            raise StateError(self.path, f"is not a readable state file ({_cause(exc)})") from None
        if check != "ok":
            raise StateError(self.path, f"is damaged ({check}); move it away to start afresh")
        if version > SCHEMA_VERSION:
            raise StateError(
                self.path,
                f"written by a newer nexwave-sync (schema {version}; this one knows {SCHEMA_VERSION})",
            )
        # A write now, so a file that cannot be written (read-only, held by another program)
        # stops the run before its first call, not after Shopify changed.
        with self._write() as db:
            create_or_migrate(db)

    # -- ids ---------------------------------------------------------------------------------
    def item_ids(self) -> dict[str, CachedId]:
        rows = self._read(
            "SELECT sku, inventory_item_id, tracked, resolved_at FROM item_ids WHERE shop = ? AND endpoint = ?",
            self._key,
        )
        return {sku: CachedId(item, bool(tracked), _parse_time(at)) for sku, item, tracked, at in rows}

    def save_ids(self, resolutions: Iterable[Resolution]) -> int:
        with self._write() as db:
            return self._save_ids(db, resolutions)

    def _save_ids(self, db: sqlite3.Connection, resolutions: Iterable[Resolution]) -> int:
        # A re-created product's old item (Resolution.replaces) is dropped by the run's
        # Checkpoint.forget / RunResult.forget, as a deleted item's is: one home for that rule.
        now = _now()
        rows = [
            (*self._key, r.sku, r.inventory_item_id, r.variant_id, int(r.tracked), now)
            for r in resolutions
            if r.sku
        ]
        db.executemany(
            "INSERT INTO item_ids (shop, endpoint, sku, inventory_item_id, variant_id, tracked, resolved_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (shop, endpoint, sku) DO UPDATE SET "
            "inventory_item_id = excluded.inventory_item_id, variant_id = excluded.variant_id, "
            "tracked = excluded.tracked, resolved_at = excluded.resolved_at",
            rows,
        )
        return len(rows)

    # -- confirmed levels --------------------------------------------------------------------
    def confirmed(self) -> list[ConfirmedLevel]:
        rows = self._read(
            "SELECT inventory_item_id, location_id, quantity, ref, source, held FROM confirmed_levels "
            "WHERE shop = ? AND endpoint = ?",
            self._key,
        )
        return [ConfirmedLevel(*row) for row in rows]

    def save_confirmed(self, levels: Iterable[ConfirmedLevel]) -> int:
        with self._write() as db:
            return self._save_confirmed(db, levels)

    def _save_confirmed(self, db: sqlite3.Connection, levels: Iterable[ConfirmedLevel]) -> int:
        now = _now()
        rows = [
            (*self._key, lv.inventory_item_id, lv.location_id, lv.quantity, lv.ref, lv.source, now, lv.held)
            for lv in levels
        ]
        db.executemany(
            "INSERT INTO confirmed_levels (shop, endpoint, inventory_item_id, location_id, quantity, ref, "
            "source, confirmed_at, held) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (shop, endpoint, inventory_item_id, location_id) DO UPDATE SET "
            "quantity = excluded.quantity, ref = excluded.ref, source = excluded.source, "
            "confirmed_at = excluded.confirmed_at, held = excluded.held",
            rows,
        )
        return len(rows)

    def _delete_keys(self, db: sqlite3.Connection, table: str, keys: Iterable[LevelKey]) -> None:
        db.executemany(
            f"DELETE FROM {table} WHERE shop = ? AND endpoint = ? AND inventory_item_id = ? AND location_id = ?",
            [(*self._key, item, loc) for item, loc in keys],
        )

    # -- rows in flight (the crash rule) -------------------------------------------------------
    def marks(self) -> list[InFlightLevel]:
        # The level a mark was sent against is the stored one, with the sales it holds back.
        rows = self._read(
            "SELECT m.inventory_item_id, m.location_id, m.sent, m.previous, m.ref, m.held, IFNULL(c.held, 0) "
            "FROM in_flight m LEFT JOIN confirmed_levels c ON c.shop = m.shop AND c.endpoint = m.endpoint "
            "AND c.inventory_item_id = m.inventory_item_id AND c.location_id = m.location_id "
            "WHERE m.shop = ? AND m.endpoint = ?",
            self._key,
        )
        return [InFlightLevel(*row) for row in rows]

    def mark_in_flight(self, marks: Iterable[InFlightLevel]) -> None:
        """Committed before the batch leaves: a run killed while it is out leaves the mark."""
        with self._write() as db:
            self._mark(db, marks)

    def _mark(self, db: sqlite3.Connection, marks: Iterable[InFlightLevel]) -> None:
        now = _now()
        db.executemany(
            "INSERT INTO in_flight (shop, endpoint, inventory_item_id, location_id, sent, previous, ref, marked_at, "
            "held) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (shop, endpoint, inventory_item_id, location_id) "
            "DO UPDATE SET sent = excluded.sent, previous = excluded.previous, ref = excluded.ref, "
            "marked_at = excluded.marked_at, held = excluded.held",
            [
                (*self._key, m.inventory_item_id, m.location_id, m.sent, m.previous, m.ref, now, m.held)
                for m in marks
            ],
        )

    def save_checkpoint(self, checkpoint: Checkpoint) -> None:
        """A batch's checkpoint, in one transaction: the ids learnt, the levels landed, the
        levels of replaced items forgotten, and the marks of the rows Shopify answered (landed
        or refused) cleared."""
        with self._write() as db:
            self._save_ids(db, checkpoint.resolved)
            self._delete_keys(db, "confirmed_levels", [level.key for level in checkpoint.forget])
            self._save_confirmed(db, checkpoint.confirmed)
            self._delete_keys(db, "in_flight", [lv.key for lv in checkpoint.confirmed])
            self._delete_keys(db, "in_flight", checkpoint.released)

    def settle_in_flight(self, check: InFlightCheck) -> None:
        """What the read of marked rows proved: a level for each it could tell; the level of an
        item Shopify no longer has there is dropped; the settled marks go. Unread marks stay."""
        with self._write() as db:
            self._save_confirmed(db, check.confirmed)
            self._delete_keys(db, "confirmed_levels", [mark.key for mark in check.gone])
            self._delete_keys(db, "in_flight", check.settled)

    def finish_run(self, result: RunResult) -> None:
        """When a run returns: its ids and levels (the checkpoints saved them already; this is
        the whole of it once more), the levels of items Shopify no longer has there (deleted,
        replaced by a re-created product: `forget`), and the marks reduced to the rows still in
        doubt: every other row sent has an answer."""
        with self._write() as db:
            self._save_ids(db, result.resolved)
            self._save_confirmed(db, result.confirmed)
            self._delete_keys(db, "confirmed_levels", [level.key for level in result.forget])
            doubt = list(result.in_doubt)
            keep = {mark.key for mark in doubt}
            stale = [mark.key for mark in self._marks_in(db) if mark.key not in keep]
            self._delete_keys(db, "in_flight", stale)
            self._mark(db, doubt)

    def _marks_in(self, db: sqlite3.Connection) -> list[InFlightLevel]:
        rows = db.execute(
            "SELECT inventory_item_id, location_id, sent, previous, ref FROM in_flight WHERE shop = ? AND endpoint = ?",
            self._key,
        ).fetchall()
        return [InFlightLevel(*row) for row in rows]

    # -- shortfalls (reconciliation, available mode) -------------------------------------------
    def shortfalls(self) -> dict[LevelKey, int]:
        rows = self._read(
            "SELECT inventory_item_id, location_id, units FROM shortfalls WHERE shop = ? AND endpoint = ?",
            self._key,
        )
        return {(item, loc): units for item, loc, units in rows}

    def replace_shortfalls(self, shortfalls: dict[LevelKey, int]) -> None:
        with self._write() as db:
            db.execute("DELETE FROM shortfalls WHERE shop = ? AND endpoint = ?", self._key)
            db.executemany(
                "INSERT INTO shortfalls (shop, endpoint, inventory_item_id, location_id, units) VALUES (?, ?, ?, ?, ?)",
                [(*self._key, item, loc, units) for (item, loc), units in shortfalls.items()],
            )
