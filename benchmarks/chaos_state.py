"""What the chaos soak's "ERPNext side" keeps between runs, in SQLite so it survives a SIGKILL:
the levels Shopify confirmed, the rows in flight, and the ids resolved per SKU. It is what the
app keeps (Shopify Confirmed Level with its in-flight marks, Item Shopify Store) and what
tests/test_in_flight.py's SavedState plays, written by the same callbacks: `on_sending` marks
a batch before it leaves, `on_checkpoint` saves a batch's levels and clears their marks in one
transaction, `settle` applies check_in_flight's answer before the next delta.

`run_once` is one run as the app makes it: check_in_flight -> select_delta -> sync_inventory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from nexwave_inventory_sync.sync.clock import SystemClock
from nexwave_inventory_sync.sync.delta import ConfirmedLevel, LevelKey, select_delta
from nexwave_inventory_sync.sync.endpoint import ShopifyEndpoint
from nexwave_inventory_sync.sync.in_flight import InFlightCheck, InFlightLevel, check_in_flight
from nexwave_inventory_sync.sync.results import Checkpoint, Resolution, RunResult, StockRow
from nexwave_inventory_sync.sync.run import SyncOptions, sync_inventory

SCHEMA = """
CREATE TABLE IF NOT EXISTS levels (item TEXT, location TEXT, quantity INTEGER, ref TEXT,
                                   PRIMARY KEY (item, location));
CREATE TABLE IF NOT EXISTS marks (item TEXT, location TEXT, sent INTEGER, previous INTEGER, ref TEXT,
                                  PRIMARY KEY (item, location));
CREATE TABLE IF NOT EXISTS ids (sku TEXT PRIMARY KEY, item TEXT, tracked INTEGER);
"""


class Died(Exception):
    """Where a killed worker would have stopped (the in-process kills)."""


class CallerState:
    """One SQLite file; each thread or process opens its own connection (two runs at once
    share the file the way two workers share the site's database)."""

    def __init__(self, path: str):
        self.path = path
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=60)

    # -- reads ---------------------------------------------------------------------------
    def levels(self) -> list[ConfirmedLevel]:
        with self._connect() as db:
            return [
                ConfirmedLevel(*r) for r in db.execute("SELECT item, location, quantity, ref FROM levels")
            ]

    def level_map(self) -> dict[LevelKey, int]:
        return {level.key: level.quantity for level in self.levels()}

    def marks(self) -> list[InFlightLevel]:
        with self._connect() as db:
            return [
                InFlightLevel(*r) for r in db.execute("SELECT item, location, sent, previous, ref FROM marks")
            ]

    def ids(self) -> dict[str, tuple[str, bool]]:
        with self._connect() as db:
            return {sku: (item, bool(tracked)) for sku, item, tracked in db.execute("SELECT * FROM ids")}

    # -- the run's callbacks -------------------------------------------------------------
    def on_sending(self, marks: Iterable[InFlightLevel]) -> None:
        with self._connect() as db:
            db.executemany(
                "INSERT OR REPLACE INTO marks VALUES (?, ?, ?, ?, ?)",
                [(m.inventory_item_id, m.location_id, m.sent, m.previous, m.ref) for m in marks],
            )

    def on_checkpoint(self, checkpoint: Checkpoint) -> None:
        with self._connect() as db:
            self._save(db, checkpoint.confirmed, checkpoint.released, checkpoint.resolved)
            db.executemany(
                "DELETE FROM levels WHERE item = ? AND location = ?", [f.key for f in checkpoint.forget]
            )

    def finish(self, result: RunResult) -> None:
        """What the app and the CLI write when a run returns: its ids and levels (the
        checkpoints saved them already; the re-resolved ids only the result carries), the
        levels of items Shopify no longer has there (`forget`), and the marks reduced to the
        rows still in doubt: every other row sent has an answer."""
        with self._connect() as db:
            self._save(db, result.confirmed, (), result.resolved)
            db.executemany(
                "DELETE FROM levels WHERE item = ? AND location = ?", [f.key for f in result.forget]
            )
            doubt = {mark.key for mark in result.in_doubt}
            stale = [key for key in db.execute("SELECT item, location FROM marks") if tuple(key) not in doubt]
            db.executemany("DELETE FROM marks WHERE item = ? AND location = ?", stale)
            db.executemany(
                "INSERT OR REPLACE INTO marks VALUES (?, ?, ?, ?, ?)",
                [(m.inventory_item_id, m.location_id, m.sent, m.previous, m.ref) for m in result.in_doubt],
            )

    def settle(self, check: InFlightCheck) -> None:
        with self._connect() as db:
            db.executemany(
                "INSERT OR REPLACE INTO levels VALUES (?, ?, ?, ?)",
                [(c.inventory_item_id, c.location_id, c.quantity, c.ref) for c in check.confirmed],
            )
            db.executemany("DELETE FROM levels WHERE item = ? AND location = ?", [m.key for m in check.gone])
            db.executemany("DELETE FROM marks WHERE item = ? AND location = ?", list(check.settled))

    @staticmethod
    def _save(
        db: sqlite3.Connection,
        confirmed: Iterable[ConfirmedLevel],
        released: Iterable[LevelKey],
        resolved: Iterable[Resolution],
    ) -> None:
        confirmed = list(confirmed)
        db.executemany(
            "INSERT OR REPLACE INTO levels VALUES (?, ?, ?, ?)",
            [(c.inventory_item_id, c.location_id, c.quantity, c.ref) for c in confirmed],
        )
        db.executemany(
            "DELETE FROM marks WHERE item = ? AND location = ?", [c.key for c in confirmed] + list(released)
        )
        for found in resolved:
            if found.sku is None:
                continue
            db.execute(
                "INSERT OR REPLACE INTO ids VALUES (?, ?, ?)",
                (found.sku, found.inventory_item_id, int(found.tracked)),
            )
            # An untracked item's levels are no longer figures of anything the run pushes:
            # kept, select_delta would zero them. (A re-created item's old levels go by the
            # checkpoint's and the result's `forget`, as the app and the CLI do.)
            if not found.tracked:
                db.execute("DELETE FROM levels WHERE item = ?", (found.inventory_item_id,))
                db.execute("DELETE FROM marks WHERE item = ?", (found.inventory_item_id,))


class Killer:
    """Wraps a state's callbacks and dies (raises Died) at the n-th call of one of them,
    before or after that call's write, as a SIGKILL at that point would; once dead nothing
    more is written (batches already in flight still land on Shopify, unseen)."""

    def __init__(self, state: CallerState, where: str, at: int, save_first: bool):
        self.state, self.where, self.at, self.save_first = state, where, at, save_first
        self.calls = 0
        self.dead = False

    def _call(self, where: str, write: Callable[[], None]) -> None:
        if self.dead:
            return
        if where == self.where:
            self.calls += 1
            if self.calls == self.at:
                self.dead = True
                if self.save_first:
                    write()
                raise Died(
                    f"killed at {where} #{self.at} ({'after' if self.save_first else 'before'} saving)"
                )
        write()

    def on_sending(self, marks) -> None:
        self._call("sending", lambda: self.state.on_sending(marks))

    def on_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._call("checkpoint", lambda: self.state.on_checkpoint(checkpoint))


@dataclass(frozen=True)
class RunSettings:
    url: str
    token: str
    options: SyncOptions
    full: bool = False


def stock_rows(erp: Mapping[tuple[str, str], int], ids: Mapping[str, tuple[str, bool]]) -> list[StockRow]:
    """ERPNext's figures with the ids the caller has cached. An item cached as untracked is
    looked up again on every run (the app re-checks after a store setting's hours; here every
    run), so tracking turned back on is seen at once."""
    rows = []
    for (sku, location), quantity in sorted(erp.items()):
        item, tracked = ids.get(sku, (None, None))
        if tracked is False:
            item = None
        rows.append(StockRow(location, quantity, sku=sku, inventory_item_id=item, ref=sku))
    return rows


def run_once(
    settings: RunSettings,
    state: CallerState,
    erp: Mapping[tuple[str, str], int],
    *,
    on_sending: Callable | None = None,
    on_checkpoint: Callable | None = None,
    before_sync: Callable[[], None] | None = None,
) -> tuple[InFlightCheck, RunResult]:
    """One run, in the app's order. Raises Died when a Killer says so."""
    endpoint = ShopifyEndpoint("chaos.myshopify.com", settings.token, endpoint_override=settings.url)
    clock = SystemClock()
    options = settings.options
    check = check_in_flight(
        endpoint, state.marks(), policy=options.policy, clock=clock, timeout=options.timeout
    )
    state.settle(check)
    rows = stock_rows(erp, state.ids())
    selection = select_delta(rows, state.levels(), full=settings.full)
    if before_sync is not None:
        before_sync()
    result = sync_inventory(
        endpoint,
        list(selection.to_push),
        options=replace(
            options,
            on_sending=on_sending or state.on_sending,
            on_checkpoint=on_checkpoint or state.on_checkpoint,
        ),
        clock=clock,
    )
    state.finish(result)
    return check, result


def child_run(settings: RunSettings, path: str, erp: dict, started) -> None:
    """The body of a process the soak SIGKILLs: a worker running one store's job."""
    started.set()
    try:
        run_once(settings, CallerState(path), erp)
    except Exception:  # noqa: BLE001 - a child's failure is seen in the state it leaves
        pass
