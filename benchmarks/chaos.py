"""The chaos soak (issue 15, section 5): one emulated shop, many rounds, runs killed, run twice
at once, timed out and faulted; after each, a settled run, and Shopify compared with what
ERPNext and the conflict policy call for.

    python -m benchmarks.soak --chaos [--rounds 200] [--items 400] [--seed 1]

Each round:
1. The world moves. Shopify sells (an order is refused when `available` is short); ERPNext
   imports each sale 0-3 rounds later (a Sales Order that reserves it); ERPNext books receipts
   and reservations; someone edits a figure in Shopify admin; a product is deleted and
   re-created with the same SKU (new inventory item); tracking is switched off or back on.
2. A chaos run (check_in_flight -> select_delta -> sync_inventory, what the app does), one of:
   killed in-process at the n-th batch (raised from on_sending, or from on_checkpoint before or
   after it saves); SIGKILLed in a child process at a random moment (the emulator answers
   every request after `latency`, so the kill falls between and inside batches); two runs at
   once on the same state (two threads, one SQLite file); a deadline that runs out; faults of
   the README's table (soak.FAULTS) on a share of requests; or a plain run. The shop keeps
   selling while the run goes.
3. ERPNext takes back a third of the round's moves (a reservation cancelled: the figure is
   the one Shopify held before the chaos run, which a caller that lost what the run landed
   would skip) and books a few receipts.
4. Settled runs: the world stands still, no fault, no kill; a run, then the comparison; again
   (at most 4 more) until a run leaves Shopify as called for with no mark left.

What ERPNext and the policy call for, per (SKU, location) whose Shopify item is tracked and
stocked, is computed from the world, never from the caller's saved state. With E = ERPNext's
figure, S = Shopify's before the settled run, L = the figure the connector last wrote to this
SKU's current Shopify item (the emulator records every write, those of killed runs too):
  * L unknown (never written, or the product was re-created since): E (nothing to compare
    with: a plain set). If the SKU's last write went to the deleted item and E equals it, the
    delta has no reason to send the row: S.
  * E = L: S (ERPNext did not move since the connector set the figure; what moved on Shopify
    is its own: sales are kept, an admin edit is invisible to a delta run).
  * S = L: E.
  * otherwise the policy: conflicts.settle(policy, E, L, S). For keep-shopify-sales that is
    E minus the Shopify sales ERPNext's move does not explain (never below 0).
That is what a connector whose saved state is exactly right would leave. A row that differs
after a settled run is **wrong**: above the figure (Shopify offers more than called for) or
below. Below is by design in one case, counted apart: a row in flight when its run died whose
Shopify figure moved too (sent 7 against 10, Shopify now 6): the next run cannot tell which
base it moved from and takes the higher (sync/in_flight.level_after), so it keeps more units
back, never fewer.

**Oversold** is measured against the truth: the sellable stock is E minus the Shopify sales
ERPNext has not imported yet. After each settled run, the units Shopify shows above it, split
into what the policy itself calls for (the figure above is above the truth too: a downward
ERPNext move read as an import, an admin edit the delta cannot see, a sale kept one run and
then overwritten) and what the engine adds on its own; and the units Shopify really sold
beyond the sellable stock.

**Double-applied**: one run writing an (item, location) twice (the emulator's write record
by the run's referenceDocumentUri); a retry applied twice would show here.

Sizes: the defaults are for 200 rounds in minutes on 2 busy cores. tests/test_soak.py runs a
few rounds.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import signal
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from nexwave_inventory_sync.emulator import Catalog, Emulator
from nexwave_inventory_sync.sync.conflicts import DEFAULT_POLICY, ConflictPolicy, settle
from nexwave_inventory_sync.sync.in_flight import InFlightLevel, level_after
from nexwave_inventory_sync.sync.run import SyncOptions

from .chaos_state import CallerState, Died, Killer, RunSettings, child_run, run_once

TOKEN = "shpat_chaos_soak"
KINDS = ("plain", "kill in-process", "SIGKILL", "two at once", "deadline", "faults")
KIND_WEIGHTS = (1, 3, 3, 2, 2, 3)
SECTION_TITLE = "## The chaos soak (issue 15 §5): killed, overlapping, timed-out and faulted runs"


@dataclass
class RowCheck:
    """One (SKU, location) that a settled run left other than called for."""

    seed: int
    round: int
    kind: str
    sku: str
    location: str
    erpnext: int
    unimported: int
    last_written: int | None
    shopify_before: int | None
    expected: int
    shopify_after: int | None
    confirmed: int | None  # what the caller's state said before the settled run
    recreated: bool
    ambiguous: bool  # its mark was settled with Shopify showing neither figure
    read_as_base: bool  # the settled run's in-flight read confirmed Shopify's moved figure
    settled_run: int  # 1 = the first settled run
    # The caller held a level or a mark for the SKU's current (re-created) item while its ids
    # still named another: nothing it pushes names that level, so the delta zeroes it.
    new_item_marked: bool = False
    cause: str = ""
    story: str = ""  # the row's last events


@dataclass
class RoundFigures:
    round: int
    kind: str
    detail: str = ""
    chaos_status: str = ""
    runs_to_settle: int = 0  # 0: never within the limit
    wrong: list[RowCheck] = field(default_factory=list)  # after the first settled run
    by_design_under: int = 0
    double_applied: int = 0
    unaccounted: int = 0  # rows read with no fate, in runs that returned
    oversold_policy: int = 0  # units above the sellable stock that the policy calls for
    oversold_engine: int = 0  # units above the sellable stock beyond what it calls for
    oversold_admin: int = 0  # of the policy's: an admin edit a delta run cannot see
    settled_status: str = ""
    marks_left: int = 0


@dataclass
class SoakFigures:
    seed: int
    rounds: list[RoundFigures] = field(default_factory=list)
    sold_beyond_stock: int = 0  # units Shopify sold that were not there
    sales: int = 0
    refused: int = 0
    imports: int = 0
    recreated: int = 0
    tracking_switches: int = 0
    admin_edits: int = 0
    faults: Counter = field(default_factory=Counter)
    wall: float = 0.0
    kept_back_at_end: dict = field(default_factory=dict)
    unaccounted_runs: list = field(default_factory=list)  # (round, chaos, run id, rows, when it stopped)


class World:
    """ERPNext's figures, the unimported Shopify sales, and the emulator's record of writes."""

    def __init__(self, seed: int, items: int, locations: int, figures: SoakFigures):
        self.rng = random.Random(seed)
        self.figures = figures
        self.catalog = Catalog.generate(items, locations, seed=seed, initial_quantity=0)
        self.locations = self.catalog.location_ids
        self.skus = [f"SKU-{i:06d}" for i in range(1, items + 1)]
        self.erp = {(sku, loc): self.rng.randint(0, 40) for sku in self.skus for loc in self.locations}
        for (sku, loc), quantity in self.erp.items():  # Shopify starts as an old snapshot
            self.catalog.set_available(self.item(sku), loc, max(0, quantity + self.rng.randint(-3, 3)))
        self.unimported: Counter = Counter()
        self.imports: list[tuple[int, str, str, int]] = []  # (due round, sku, location, units)
        # (catalog row, location index) -> the last figure a mutation wrote there
        self.last_write: dict[tuple[int, int], int] = {}
        # sku, location -> (catalog row, figure) of the last write to any of the SKU's items
        self.last_write_any: dict[tuple[str, str], tuple[int, int]] = {}
        self.admin_excess: Counter = Counter()  # (row, loc) -> admin units up since our last write
        # (row, loc) -> every figure Shopify showed since the connector's last write there: a
        # confirmed level among them is one a correct connector may hold (it read it, e.g. a
        # conflict Shopify already showed the settled figure of).
        self.shown_since: dict[tuple[int, int], set[int]] = {}
        self.writes_by_run: Counter = Counter()
        self.history: dict[tuple[str, str], list[str]] = {}  # the last events of each row
        # (sku, location) -> the round its in-flight mark was settled on the higher base, until
        # the connector writes the row again
        self.kept_back: dict[tuple[str, str], int] = {}
        self.round = 0
        self.lock = threading.Lock()
        self.catalog.write_listener = self._written

    # -- the emulator's record ---------------------------------------------------------
    def _written(self, row: int, loc: int, quantity: int, reference: str | None) -> None:
        with self.lock:
            self.last_write[(row, loc)] = quantity
            self.shown_since[(row, loc)] = {quantity}
            self.admin_excess[(row, loc)] = 0
            sku = self.catalog.sku(row)
            self.last_write_any[(sku, self.locations[loc])] = (row, quantity)
            self.kept_back.pop((sku, self.locations[loc]), None)
            run = (reference or "").rsplit("/", 1)[-1].split(".", 1)[0]
            self.writes_by_run[(run, row, loc)] += 1
            self.note((sku, self.locations[loc]), f"{run} wrote {quantity}")

    def note(self, key: tuple[str, str], event: str) -> None:
        events = self.history.setdefault(key, [])
        events.append(f"r{self.round} {event}")
        del events[:-14]

    def row(self, sku: str) -> int | None:
        rows = self.catalog.rows_with_sku(sku)
        return rows[0] if rows else None

    def item(self, sku: str) -> str:
        return f"gid://shopify/InventoryItem/{self.catalog.item_number(self.row(sku))}"

    def loc_index(self, location: str) -> int:
        return self.locations.index(location)

    def sellable(self, key: tuple[str, str]) -> int:
        return self.erp[key] - self.unimported[key]

    # -- the world moving ----------------------------------------------------------------
    def sell(self, rng: random.Random) -> None:
        sku, loc = rng.choice(self.skus), rng.choice(self.locations)
        row = self.row(sku)
        if row is None or not self.catalog.tracked(row):
            return  # an untracked item's orders move no stock
        units = 1 if rng.random() < 0.85 else 2
        # The catalog's lock first, as the emulator takes it before it reports a write here.
        with self.catalog.lock, self.lock:
            before = self.sellable((sku, loc))
            if not self.catalog.sell(self.item(sku), loc, units):
                self.figures.refused += 1
                return
            self.figures.sales += 1
            row_loc = (row, self.loc_index(loc))
            self.shown_since.setdefault(row_loc, set()).add(self.catalog.level(*row_loc))
            self.figures.sold_beyond_stock += max(0, units - max(0, before))
            self.unimported[(sku, loc)] += units
            self.note((sku, loc), f"sold {units} (Shopify {self.catalog.level(*row_loc)})")
            self.imports.append((self.round + rng.randint(0, 3), sku, loc, units))

    def move(self, round_: int) -> None:
        """Between runs: imports due, ERPNext's own moves, Shopify sales, admin edits,
        re-created products, tracking switches."""
        self.round = round_
        rng = self.rng
        with self.lock:
            due = [i for i in self.imports if i[0] <= round_]
            self.imports = [i for i in self.imports if i[0] > round_]
            for _, sku, loc, units in due:
                self.erp[(sku, loc)] = max(0, self.erp[(sku, loc)] - units)
                self.unimported[(sku, loc)] -= units
                self.figures.imports += 1
                self.note((sku, loc), f"imported {units} (ERPNext {self.erp[(sku, loc)]})")
        keys = list(self.erp)
        self.erp_before_round = dict(self.erp)
        for key in rng.sample(keys, k=max(1, len(keys) // 5)):  # receipts and reservations
            if rng.random() < 0.5:
                self.erp[key] += rng.randint(1, 20)
            else:
                self.erp[key] = max(0, self.erp[key] - rng.randint(1, 5))
            self.note(key, f"ERPNext {self.erp[key]}")
        for _ in range(len(keys) // 20):
            self.sell(rng)
        for _ in range(rng.randint(0, 2)):  # admin edits
            sku, loc = rng.choice(self.skus), rng.choice(self.locations)
            row = self.row(sku)
            current = self.catalog.level(row, self.loc_index(loc))
            if current is None or not self.catalog.tracked(row):
                continue
            delta = rng.choice((-3, -2, -1, 1, 2, 5))
            delta = max(delta, -current)
            shown = self.catalog.adjust_available(self.item(sku), loc, delta)
            with self.lock:
                self.admin_excess[(row, self.loc_index(loc))] += delta
                self.shown_since.setdefault((row, self.loc_index(loc)), set()).add(shown)
                self.note((sku, loc), f"admin {delta:+d} (Shopify {shown})")
            self.figures.admin_edits += 1
        if rng.random() < 0.3:  # a product deleted and created again with the same SKU
            sku = rng.choice(self.skus)
            made = self.catalog.recreate_variant(sku, quantity=rng.randint(0, 10))
            self.figures.recreated += 1
            for loc in self.locations:
                self.note(
                    (sku, loc),
                    f"re-created as {made['inventory_item_id'].rsplit('/', 1)[-1]} (Shopify {made['levels'][loc]})",
                )
        if rng.random() < 0.2:  # tracking switched (off, or back on)
            sku = rng.choice(self.skus)
            row = self.row(sku)
            self.catalog.set_tracked(self.item(sku), not self.catalog.tracked(row))
            self.figures.tracking_switches += 1
            for loc in self.locations:
                self.note((sku, loc), f"tracked {self.catalog.tracked(row)}")
        else:  # an item untracked a while is tracked again
            for sku in self.skus:
                row = self.row(sku)
                if not self.catalog.tracked(row) and rng.random() < 0.3:
                    self.catalog.set_tracked(self.item(sku), True)
                    self.figures.tracking_switches += 1
                    for loc in self.locations:
                        self.note((sku, loc), "tracked True")
                    break

    def move_after_chaos(self) -> None:
        """Between the chaos run and the next one: ERPNext takes back some of this round's
        moves (a reservation cancelled, a receipt reversed), so the figure returns to the one
        Shopify held before the run: a caller that lost track of what the run landed would
        skip the row (the D3 case); and a few receipts."""
        rng = self.rng
        moved = [key for key, quantity in self.erp.items() if quantity != self.erp_before_round.get(key)]
        for key in rng.sample(moved, k=len(moved) // 3):
            self.erp[key] = self.erp_before_round[key]
            self.note(key, f"ERPNext back to {self.erp[key]}")
        for key in rng.sample(list(self.erp), k=max(1, len(self.erp) // 50)):
            self.erp[key] += rng.randint(1, 5)
            self.note(key, f"ERPNext {self.erp[key]}")

    # -- what is called for ----------------------------------------------------------------
    def called_for(
        self,
        policy: ConflictPolicy,
        cached_ids: dict[str, tuple[str, bool]],
        confirmed: dict[tuple[str, str], int],
        marks: dict[tuple[str, str], InFlightLevel],
    ) -> dict[tuple[str, str], tuple[int, int | None, int, bool]]:
        """(sku, location) -> (expected, base, S, recreated) for every tracked, stocked row.
        The base is the caller's confirmed level when a correct connector may hold it (the
        last write, or a figure Shopify showed since), else the last write."""
        cached_items = {sku: item for sku, (item, _) in cached_ids.items()}
        cached_untracked = {sku for sku, (_, tracked) in cached_ids.items() if not tracked}
        out = {}
        for key, erpnext in self.erp.items():
            sku, location = key
            row = self.row(sku)
            loc = self.loc_index(location)
            shopify = self.catalog.level(row, loc)
            if shopify is None or not self.catalog.tracked(row):
                continue
            last = self.last_write.get((row, loc))
            held = confirmed.get((self.item(sku), location))
            shown = self.shown_since.get((row, loc), ())
            legit_held = held is not None and (held == last or held in shown)
            mark = marks.get((self.item(sku), location))
            if last is not None and mark is not None and shopify not in (mark.sent, mark.previous):
                # The read cannot tell (N3): judged against the true base, the figure sent if
                # the batch landed, else the level the caller held.
                if last != mark.sent and legit_held:
                    last = held
            elif last is not None and mark is not None:
                after_read = level_after(mark, shopify)
                if after_read == last or (mark.previous == held and legit_held):
                    last = after_read  # landed, or did not land from a base a correct connector holds
                elif legit_held:
                    last = held  # a resend's mark proving only Shopify's own figure (N2)
            elif last is not None and legit_held:
                last = held  # e.g. a conflict Shopify already showed the settled figure of
            recreated = False
            if last is None:
                earlier = self.last_write_any.get(key)
                recreated = earlier is not None
                # The delta sends the row only when ERPNext moved off the figure it set on the
                # deleted item; then the run re-resolves the SKU and sets E plainly.
                # (A caller that already learnt the new item, with no level for it, sets E.)
                # A caller that knows the new item, holds no level for the old one or has the
                # old one marked (its read finds it gone) sends the row plainly: E.
                knows_new = cached_items.get(sku) == self.item(sku)
                old_base = None
                if earlier is not None and not knows_new:
                    old_row = earlier[0]
                    old_item = f"gid://shopify/InventoryItem/{self.catalog.item_number(old_row)}"
                    held_old = confirmed.get((old_item, location))
                    if held_old is not None and (old_item, location) not in marks:
                        old_base = self.last_write.get((old_row, loc))
                        if held_old in self.shown_since.get((old_row, loc), ()):
                            old_base = held_old
                expected = shopify if old_base == erpnext else erpnext
            elif sku in cached_untracked:
                expected = erpnext  # the caller forgot its levels: a plain set once tracked again
            elif erpnext == last:
                expected = shopify
            elif shopify == last:
                expected = erpnext
            else:
                expected = settle(policy, erpnext, last, shopify)
            out[key] = (expected, last, shopify, recreated)
        return out


@dataclass(frozen=True)
class ChaosConfig:
    items: int = 1000
    locations: int = 2
    latency: float = 0.01  # seconds each emulator answer waits (after the write): room for a kill
    policy: ConflictPolicy = DEFAULT_POLICY
    fault_rate: float = 0.2
    settle_limit: int = 5
    concurrency: tuple[int, ...] = (1, 2, 4)  # batches in flight, drawn per run


def _options(run_id: str, rng: random.Random, concurrency=(1, 2, 4), **extra) -> SyncOptions:
    from .soak import READ_TIMEOUT, SOAK_POLICY

    return SyncOptions(
        run_id=run_id,
        concurrency=rng.choice(concurrency),
        policy=SOAK_POLICY,
        timeout=(2.0, READ_TIMEOUT),
        **extra,
    )


def _chaos_run(
    kind: str,
    world: World,
    state: CallerState,
    emulator: Emulator,
    seed: int,
    round_: int,
    config: ChaosConfig,
    figures: RoundFigures,
    soak: SoakFigures,
) -> list:
    """The round's chaos; returns the RunResults of runs that returned."""
    rng = random.Random(seed * 100_003 + round_)
    erp = dict(world.erp)
    run_id = f"chaos-{seed}-{round_}"
    full = False  # the rule is about delta runs: no full push in the soak
    base = dict(conflict_policy=config.policy, concurrency=config.concurrency)
    results = []
    # Runs in another process or thread: the shop sells at random moments meanwhile.
    selling_thread = _SellDuringRun(world, random.Random(rng.random()), sales=rng.randint(0, 6))

    def settings(rid: str, **extra) -> RunSettings:
        return RunSettings(emulator.base_url, TOKEN, _options(rid, rng, **base, **extra), full=full)

    # In-process runs: the shop sells as each batch leaves (seeded, so a round can be replayed).
    sell_rng = random.Random(rng.random())
    to_sell = [rng.randint(0, 3)]

    def selling(inner):
        def on_sending(marks):
            if to_sell[0] > 0:
                to_sell[0] -= 1
                world.sell(sell_rng)
            inner(marks)

        return on_sending

    if kind == "plain":
        results.append(run_once(settings(run_id), state, erp, on_sending=selling(state.on_sending))[1])
    elif kind == "kill in-process":
        where = rng.choice(("sending", "checkpoint"))
        killer = Killer(state, where, at=rng.randint(1, 4), save_first=rng.random() < 0.5)
        figures.detail = f"{where} #{killer.at} {'after' if killer.save_first else 'before'} saving"
        try:
            results.append(
                run_once(
                    settings(run_id),
                    state,
                    erp,
                    on_sending=selling(killer.on_sending),
                    on_checkpoint=killer.on_checkpoint,
                )[1]
            )
            figures.detail += " (ran out of calls first)"
        except Died:
            figures.chaos_status = "killed"
    elif kind == "SIGKILL":
        context = multiprocessing.get_context("fork")
        started = context.Event()
        process = context.Process(target=child_run, args=(settings(run_id), state.path, erp, started))
        delay = rng.uniform(0.0, 0.6)
        process.start()
        started.wait(10)
        selling_thread.start()
        time.sleep(delay)
        if process.is_alive():
            os.kill(process.pid, signal.SIGKILL)
            figures.chaos_status = "SIGKILLed"
        figures.detail = f"after {delay:.2f} s"
        process.join(30)
    elif kind == "two at once":
        out: list = []

        def one(rid: str) -> None:
            try:
                out.append(run_once(settings(rid), CallerState(state.path), erp)[1])
            except Exception as exc:  # noqa: BLE001 - reported in the round's detail
                figures.detail += f" {type(exc).__name__}: {exc}"

        threads = [threading.Thread(target=one, args=(f"{run_id}-{n}",)) for n in (1, 2)]
        selling_thread.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results += out
    elif kind == "deadline":
        deadline = rng.uniform(0.02, 0.4)
        figures.detail = f"deadline {deadline:.2f} s"
        results.append(
            run_once(settings(run_id, deadline_s=deadline), state, erp, on_sending=selling(state.on_sending))[
                1
            ]
        )
    elif kind == "faults":
        from .soak import _fault_script

        for operation, fault, _ in _fault_script(rng, config.fault_rate, length=30):
            emulator.faults.script(fault, operation=operation)
        results.append(run_once(settings(run_id), state, erp, on_sending=selling(state.on_sending))[1])
        soak.faults.update(emulator.faults.fired)
        emulator.faults.clear()
    if selling_thread.is_alive() or selling_thread.ident is not None:
        selling_thread.join()
    if results and not figures.chaos_status:
        figures.chaos_status = " / ".join(r.status.value for r in results)
    return results


class _SellDuringRun(threading.Thread):
    """The shop keeps trading while a run goes: a few orders at random moments."""

    def __init__(self, world: World, rng: random.Random, sales: int):
        super().__init__(daemon=True)
        self.world, self.rng, self.sales = world, rng, sales

    def run(self) -> None:
        for _ in range(self.sales):
            time.sleep(self.rng.uniform(0.0, 0.1))
            self.world.sell(self.rng)


def _ambiguous_keys(state: CallerState, world: World) -> set[tuple[str, str]]:
    """Marks whose row moved on Shopify too: their settling takes the higher base by design."""
    out = set()
    items = {}
    for sku in world.skus:
        row = world.row(sku)
        items[world.item(sku)] = (sku, row)
    for mark in state.marks():
        if mark.inventory_item_id not in items:
            continue
        sku, row = items[mark.inventory_item_id]
        shopify = world.catalog.level(row, world.loc_index(mark.location_id))
        if shopify is not None and shopify not in (mark.sent, mark.previous):
            out.add((sku, mark.location_id))
    return out


KEPT_BACK = (
    "N3 (by design in sync/in_flight.level_after, but lasting): a mark settled with Shopify showing neither "
    "figure takes the higher one; when that is the figure sent and ERPNext still says it, the row is not "
    "sent again and Shopify stays below"
)


def _classify(check: RowCheck) -> str:
    if check.ambiguous and check.shopify_after is not None and check.shopify_after < check.expected:
        return KEPT_BACK
    if check.shopify_after == 0 and check.expected > 0 and check.new_item_marked:
        return (
            "N4: a run killed after re-resolving a re-created item leaves the new item's level or mark but not "
            "its id (re-resolutions reach only RunResult.resolved, no checkpoint); the next delta zeroes the new item"
        )
    if check.recreated:
        return (
            "D1: re-created product keeps the old item's change_from"
            if (check.shopify_after is not None and check.shopify_after < check.expected)
            else "re-created product (other)"
        )
    if check.read_as_base and check.shopify_after is not None and check.shopify_after > check.expected:
        return (
            "N2: a conflict resend cut short left a mark whose 'previous' is Shopify's figure; the read "
            "confirmed it and the run overwrote the unimported sales"
        )
    if (
        check.confirmed is not None
        and check.last_written is not None
        and check.confirmed != check.last_written
    ):
        return "state off Shopify's real figure (confirmed level != last write)"
    return "unclassified"


def _settled_runs(
    world: World,
    state: CallerState,
    emulator: Emulator,
    seed: int,
    round_: int,
    config: ChaosConfig,
    figures: RoundFigures,
    kind: str,
    chaos_results: list = (),
) -> None:
    rng = random.Random(seed * 7919 + round_)
    for attempt in range(1, config.settle_limit + 1):
        ambiguous = _ambiguous_keys(state, world)
        marks_before = {(m.ref, m.location_id): m for m in state.marks()}
        cached_ids = state.ids()
        kept_back_before = set(world.kept_back)
        confirmed = state.level_map()
        wanted = world.called_for(config.policy, state.ids(), confirmed, {m.key: m for m in state.marks()})
        items = {sku: world.item(sku) for sku in world.skus}
        run_id = f"settle-{seed}-{round_}-{attempt}"
        settings = RunSettings(
            emulator.base_url,
            TOKEN,
            _options(run_id, rng, conflict_policy=config.policy, concurrency=config.concurrency),
        )
        check_before, result = run_once(settings, state, dict(world.erp))
        figures.unaccounted += abs(result.considered - result.accounted)
        wrong = []
        for key, (expected, last, before, recreated) in wanted.items():
            sku, location = key
            row = world.row(sku)
            after = world.catalog.level(row, world.loc_index(location))
            if after == expected:
                continue
            check = RowCheck(
                seed,
                round_,
                kind,
                sku,
                location,
                world.erp[key],
                world.unimported[key],
                last,
                before,
                expected,
                after,
                confirmed.get((items[sku], location)),
                recreated,
                key in ambiguous or key in kept_back_before,
                any(
                    level.ref == sku and level.location_id == location and level.quantity == before != last
                    for level in check_before.confirmed
                ),
                attempt,
                (
                    (items[sku], location) in {m.key for m in marks_before.values()}
                    or (items[sku], location) in confirmed
                )
                and cached_ids.get(sku, (None,))[0] != items[sku],
            )
            check.cause = _classify(check)
            check.story = "; ".join(world.history.get(key, []))
            for chaos in chaos_results:
                check.story += _run_story(chaos, sku, location, "chaos run")
            if key in marks_before:
                mark = marks_before[key]
                check.story += f"; marked in flight (sent {mark.sent} against {mark.previous}, item {mark.inventory_item_id.rsplit('/', 1)[-1]})"
            for level in check_before.confirmed:
                if level.ref == sku and level.location_id == location:
                    check.story += f"; settled run's in-flight read confirmed {level.quantity}"
            for conflict in result.conflict_rows:
                if conflict.ref == sku and conflict.location_id == location:
                    check.story += f"; settled run: conflict {conflict.erpnext}/{conflict.confirmed}/{conflict.shopify} -> {conflict.sent} {conflict.outcome}"
            wrong.append(check)
        marks = len(state.marks())
        if attempt == 1:
            figures.settled_status = result.status.value
            figures.by_design_under = sum(1 for w in wrong if w.cause == KEPT_BACK)
            figures.wrong = [w for w in wrong if w.cause != KEPT_BACK]
            _measure_oversold(world, wanted, figures)
        for w in wrong:
            if w.cause == KEPT_BACK:
                world.kept_back.setdefault((w.sku, w.location), round_)
        # Rows kept back are counted apart; the settling is judged on the others.
        wrong = [w for w in wrong if w.cause != KEPT_BACK]
        if not wrong and marks == 0:
            figures.runs_to_settle = attempt
            figures.marks_left = 0
            return
        figures.marks_left = marks
    figures.runs_to_settle = 0


def _run_story(result, sku: str, location: str, name: str) -> str:
    story = ""
    for conflict in result.conflict_rows:
        if conflict.ref == sku and conflict.location_id == location:
            story += f"; {name}: conflict {conflict.erpnext}/{conflict.confirmed}/{conflict.shopify} -> {conflict.sent} {conflict.outcome}"
    for mark in result.in_doubt:
        if mark.ref == sku and mark.location_id == location:
            story += f"; {name}: in doubt (sent {mark.sent} against {mark.previous})"
    return story


def _measure_oversold(world: World, wanted: dict, figures: RoundFigures) -> None:
    for key, (expected, _, _, _) in wanted.items():
        sku, location = key
        row = world.row(sku)
        loc = world.loc_index(location)
        shown = world.catalog.level(row, loc) or 0
        sellable = max(0, world.sellable(key))
        above = max(0, shown - sellable)
        if not above:
            continue
        called = min(above, max(0, expected - sellable))
        figures.oversold_policy += called
        figures.oversold_engine += above - called
        figures.oversold_admin += min(called, max(0, world.admin_excess[(row, loc)]))


def chaos_soak(
    seed: int = 1,
    rounds: int = 200,
    config: ChaosConfig | None = None,
    progress: bool = False,
    kinds: tuple[str, ...] | None = None,
) -> SoakFigures:
    config = config or ChaosConfig()
    soak = SoakFigures(seed)
    started = time.perf_counter()
    world = World(seed, config.items, config.locations, soak)
    world.round = 0
    kind_rng = random.Random(seed)
    with (
        tempfile.TemporaryDirectory() as folder,
        Emulator(
            world.catalog, access_token=TOKEN, plan="plus", keep_requests=False, latency=config.latency
        ) as emulator,
    ):
        state = CallerState(str(Path(folder) / "state.sqlite3"))
        # Round 0: the first (cold) push, settled like any other.
        first = RoundFigures(0, "first push")
        _settled_runs(world, state, emulator, seed, 0, config, first, "first push")
        soak.rounds.append(first)
        for round_ in range(1, rounds + 1):
            world.move(round_)
            kind = kind_rng.choices(kinds or KINDS, None if kinds else KIND_WEIGHTS)[0]
            figures = RoundFigures(round_, kind)
            before = Counter(world.writes_by_run)
            results = _chaos_run(kind, world, state, emulator, seed, round_, config, figures, soak)
            for r in results:
                if r.considered != r.accounted:
                    figures.unaccounted += abs(r.considered - r.accounted)
                    # The run's own level reads are the conflict settling's (check_in_flight reads
                    # on a client of its own); D10 drops those rows, and their conflict rows too.
                    settling = r.conflict_rows or r.calls_by_operation.get("InventoryLevelsAt")
                    during = "while settling conflicts" if settling else "before settling"
                    figures.detail += (
                        f" [{r.run_id}: {r.considered} rows read, {r.accounted} with a fate, stopped {during}"
                        f" ({len(r.conflict_rows)} conflicts); {r.status.value}: {r.error}]"
                    )
                    soak.unaccounted_runs.append((round_, kind, r.run_id, r.considered - r.accounted, during))
            world.move_after_chaos()
            _settled_runs(world, state, emulator, seed, round_, config, figures, kind, results)
            figures.double_applied = sum(
                1 for key, count in world.writes_by_run.items() if count > 1 and before.get(key, 0) < count
            )
            soak.rounds.append(figures)
            if progress:
                print(
                    f"seed {seed} round {round_}: {kind} {figures.detail} -> {figures.chaos_status}; "
                    f"settled in {figures.runs_to_settle or 'never'}; wrong {len(figures.wrong)}, "
                    f"kept back by design {figures.by_design_under}, oversold (policy/engine) "
                    f"{figures.oversold_policy}/{figures.oversold_engine}",
                    flush=True,
                )
    soak.wall = time.perf_counter() - started
    soak.kept_back_at_end = dict(world.kept_back)
    return soak


# -- the report --------------------------------------------------------------------------------
def report(soaks: list[SoakFigures], config: ChaosConfig, command: str) -> str:
    rounds = [r for s in soaks for r in s.rounds if r.round > 0]
    firsts = [r for s in soaks for r in s.rounds if r.round == 0]
    wrong = [w for r in rounds for w in r.wrong]
    by_kind: dict[str, list[RoundFigures]] = {}
    for r in rounds:
        by_kind.setdefault(r.kind, []).append(r)
    total = lambda name, rs=rounds: sum(getattr(r, name) for r in rs)  # noqa: E731
    settle_counts = Counter(r.runs_to_settle for r in rounds)
    killed = [r for r in rounds if r.chaos_status in ("killed", "SIGKILLed")]
    wall = sum(s.wall for s in soaks)
    lines = [
        SECTION_TITLE + "\n",
        f"Written by `{command}`: {len(soaks)} shop(s), {len(rounds)} rounds, {config.items:,} SKUs × "
        f"{config.locations} locations, policy {config.policy.value}, emulator answers after {config.latency * 1000:g} ms, "
        f"faults on {config.fault_rate:.0%} of requests in fault rounds. Wall time {wall:.0f} s. "
        "What each round does and what *called for* means: `benchmarks/chaos.py`'s docstring (summary below the tables).\n",
        "| figure | goal | value |",
        "|---|---|---|",
        f"| rows wrong after the first settled run | 0 | **{len(wrong)}** (above the figure called for: "
        f"{sum(1 for w in wrong if (w.shopify_after or 0) > w.expected)}, below: {sum(1 for w in wrong if (w.shopify_after or 0) < w.expected)}) |",
        f"| rows kept back by the in-flight rule after settled runs (below, N3; row-rounds) | - | {total('by_design_under')} "
        f"(rows still kept back at the end: {sum(len(s.kept_back_at_end) for s in soaks)}) |",
        f"| rows double-applied (one run writing an item and location twice) | 0 | {total('double_applied')} |",
        f"| rows without a fate in runs that returned | 0 | {total('unaccounted')} |",
        f"| runs to settle after a kill (SIGKILL or in-process; {len(killed)} kills) | 1 | "
        + ", ".join(
            f"{n or 'not within ' + str(config.settle_limit)}: {c}"
            for n, c in sorted(Counter(r.runs_to_settle for r in killed).items())
        )
        + " |",
        "| runs to settle, every round | 1 | "
        + ", ".join(
            f"{n or 'not within ' + str(config.settle_limit)}: {c}" for n, c in sorted(settle_counts.items())
        )
        + " |",
        f"| units shown above the sellable stock after settled runs: called for by the policy | - | {total('oversold_policy'):,} (of which admin edits a delta cannot see: {total('oversold_admin'):,}) |",
        f"| units shown above the sellable stock after settled runs: beyond what the policy calls for | 0 | {total('oversold_engine'):,} |",
        f"| units Shopify sold that were not in stock (oversold) | - | {sum(s.sold_beyond_stock for s in soaks):,} of {sum(s.sales for s in soaks):,} orders' units |",
        f"| first push: rows wrong / settled in | 0 / 1 | {sum(len(r.wrong) for r in firsts)} / {', '.join(str(r.runs_to_settle) for r in firsts)} |",
        "",
        "| chaos | rounds | killed | statuses of the chaos runs | wrong rows | settled in 1 | not settled |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in KINDS:
        rs = by_kind.get(kind, [])
        if not rs:
            continue
        statuses = Counter(s for r in rs for s in r.chaos_status.split(" / ") if s)
        lines.append(
            f"| {kind} | {len(rs)} | {sum(1 for r in rs if r.chaos_status in ('killed', 'SIGKILLed'))} | "
            f"{', '.join(f'{k} {v}' for k, v in statuses.most_common())} | {sum(len(r.wrong) for r in rs)} | "
            f"{sum(1 for r in rs if r.runs_to_settle == 1)} | {sum(1 for r in rs if r.runs_to_settle == 0)} |"
        )
    world_line = (
        f"World over all rounds: {sum(s.sales for s in soaks):,} Shopify orders ({sum(s.refused for s in soaks):,} refused), "
        f"{sum(s.imports for s in soaks):,} imported into ERPNext, {sum(s.admin_edits for s in soaks):,} admin edits, "
        f"{sum(s.recreated for s in soaks):,} products re-created, {sum(s.tracking_switches for s in soaks):,} tracking switches; "
        f"faults injected: {sum(sum(s.faults.values()) for s in soaks):,}."
    )
    lines += ["", world_line, ""]
    unaccounted = [u for s in soaks for u in s.unaccounted_runs]
    if unaccounted:
        lines += [
            f"Rows without a fate: {sum(u[3] for u in unaccounted)} in {len(unaccounted)} runs "
            f"({', '.join(f'{k} {v}' for k, v in Counter(f'{u[1]} stopped {u[4]}' for u in unaccounted).items())}); "
            f"first: round {unaccounted[0][0]}, run {unaccounted[0][2]}. A run stopped while settling conflicts drops "
            "the rows it was settling from every count (D10).\n",
        ]
    causes = Counter(w.cause for w in wrong)
    if wrong:
        lines += [
            "### Wrong rows by cause\n",
            "| cause | rows | first (seed, round, chaos) |",
            "|---|---|---|",
        ]
        for cause, count in causes.most_common():
            first = next(w for w in wrong if w.cause == cause)
            lines.append(f"| {cause} | {count} | seed {first.seed}, round {first.round}, {first.kind} |")
        lines += [
            "",
            "First wrong rows (E = ERPNext, U = unimported sales, L = the base called for with (the last write, or "
            "a figure a correct caller may hold), C = the caller's confirmed level, S = Shopify before and after "
            "the settled run):\n",
            "| seed | round | chaos | row | E | U | L | C | S before | called for | S after | cause |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for w in wrong[:25]:
            lines.append(
                f"| {w.seed} | {w.round} | {w.kind} | {w.sku} @ {w.location.rsplit('/', 1)[-1]} | {w.erpnext} | {w.unimported} | "
                f"{w.last_written} | {w.confirmed} | {w.shopify_before} | {w.expected} | {w.shopify_after} | {w.cause.split(':')[0]} |"
            )
        lines += ["", "What happened to the first of them (r = round; writes name their run):\n"]
        for w in wrong[:8]:
            lines.append(
                f"- seed {w.seed}, round {w.round}, {w.sku} @ {w.location.rsplit('/', 1)[-1]}: {w.story}"
            )
        lines.append("")
    return "\n".join(lines)


def splice(document: str, section: str) -> str:
    start = document.find(SECTION_TITLE)
    if start < 0:
        return document.rstrip("\n") + "\n\n" + section
    end = document.find("\n## ", start + len(SECTION_TITLE))
    end = len(document) if end < 0 else end
    return document[:start] + section.rstrip("\n") + "\n" + document[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.soak --chaos", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--chaos", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--items", type=int, default=ChaosConfig.items)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--policy", default=DEFAULT_POLICY.value)
    parser.add_argument("--out", default="docs/reliability.md")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--rows", help="also write every wrong row, with its story, to this CSV file")
    args = parser.parse_args(argv)
    config = ChaosConfig(items=args.items, policy=ConflictPolicy.parse(args.policy))
    soak = chaos_soak(args.seed, args.rounds, config, progress=not args.quiet)
    command = (
        f"python -m benchmarks.soak --chaos --rounds {args.rounds} --items {args.items} --seed {args.seed}"
    )
    text = report([soak], config, command)
    path = Path(args.out)
    path.write_text(splice(path.read_text() if path.exists() else "", text))
    print(text)
    if args.rows:
        import csv
        from dataclasses import asdict

        wrong_rows = [asdict(w) for r in soak.rounds for w in r.wrong]
        with open(args.rows, "w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(RowCheck.__dataclass_fields__))
            writer.writeheader()
            writer.writerows(wrong_rows)
    wrong = sum(len(r.wrong) for r in soak.rounds)
    return 0 if wrong == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
