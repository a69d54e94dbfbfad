"""Minimal reproductions of what the chaos soak found that no D-number covered (docs/reliability.md).

    python -m benchmarks.chaos_findings

Each plays one row on the emulator with the soak's caller (benchmarks/chaos_state.py: the
app's calls, check_in_flight -> select_delta -> sync_inventory, state in SQLite) and prints
what Shopify shows against what can really be sold. A finding that still holds prints
"HOLDS"; once fixed, "fixed".
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from nexwave_inventory_sync.emulator import Catalog, Emulator
from nexwave_inventory_sync.sync.delta import ConfirmedLevel

from .chaos_state import CallerState, Died, Killer, RunSettings, run_once
from .soak import SOAK_POLICY

TOKEN = "shpat_chaos_findings"
LOC = "gid://shopify/Location/1"
ITEM = "gid://shopify/InventoryItem/1"
SKU = "SKU-000001"


def _shop(figure: int) -> Catalog:
    return Catalog.generate(1, 1, initial_quantity=figure)


def _run(
    emulator: Emulator, state: CallerState, erpnext: int, run_id: str, killer: Killer | None = None
) -> str:
    from nexwave_inventory_sync.sync.run import SyncOptions

    settings = RunSettings(
        emulator.base_url, TOKEN, SyncOptions(run_id=run_id, concurrency=1, policy=SOAK_POLICY)
    )
    try:
        run_once(
            settings,
            state,
            {(SKU, LOC): erpnext},
            on_sending=killer.on_sending if killer else None,
            on_checkpoint=killer.on_checkpoint if killer else None,
        )
    except Died as died:
        return f"killed ({died})"
    return "returned"


def _state(folder: str, confirmed: int | None, item: str = ITEM) -> CallerState:
    """A caller that knows the item's id and, when given, its confirmed level."""
    state = CallerState(str(Path(folder) / "state.sqlite3"))
    from nexwave_inventory_sync.sync.results import Checkpoint, Resolution

    state.on_checkpoint(
        Checkpoint(
            resolved=(Resolution(item, True, sku=SKU),),
            batches_done=0,
            batches_ok=0,
            batches_failed=0,
            pushed=0,
            failed=0,
            confirmed=() if confirmed is None else (ConfirmedLevel(item, LOC, confirmed, SKU),),
        )
    )
    return state


def kept_sale_forgotten() -> tuple[int, int]:
    """N1: keep-shopify-sales keeps an unimported sale for one run only. Confirmed 10, Shopify
    sells 2, ERPNext books a receipt of 2 (12): the run sends 10 (12 less the 2 sold). The
    next run, nothing changed, sees ERPNext 12 against the confirmed 10 and sends 12: the 2
    units sold on Shopify are on sale again until ERPNext imports the order."""
    catalog = _shop(10)
    with tempfile.TemporaryDirectory() as folder, Emulator(catalog, access_token=TOKEN) as emulator:
        state = _state(folder, 10)
        catalog.sell(ITEM, LOC, 2)
        _run(emulator, state, 12, "n1-a")
        _run(emulator, state, 12, "n1-b")
        return catalog.available(ITEM, LOC), 10


def resend_cut_short() -> tuple[int, int]:
    """N2: a conflict resend cut short. Confirmed 10, Shopify sells 2 (8), ERPNext 12: the run
    meets the conflict and resends 10 against 8; it dies as that resend is marked (the mark
    says sent 10 against 8). The next run's read finds 8 = the mark's `previous`, confirms 8,
    and sends 12 against it: the 2 units sold are overwritten."""
    catalog = _shop(10)
    with tempfile.TemporaryDirectory() as folder, Emulator(catalog, access_token=TOKEN) as emulator:
        state = _state(folder, 10)
        catalog.sell(ITEM, LOC, 2)
        _run(emulator, state, 12, "n2-a", Killer(state, "sending", at=2, save_first=True))
        _run(emulator, state, 12, "n2-b")
        return catalog.available(ITEM, LOC), 10


def kept_back_for_good() -> tuple[int, int]:
    """N3: confirmed 2, Shopify sells 1 (1), ERPNext receives 8 (10). The run is killed as its
    batch is marked (sent 10 against 2), before it leaves. The read finds 1, neither figure,
    and takes the higher, 10 = ERPNext's: the row is never sent again. After ERPNext imports
    the sale (9) the conflict policy reads 9 units as sold and keeps Shopify at 1."""
    catalog = _shop(2)
    with tempfile.TemporaryDirectory() as folder, Emulator(catalog, access_token=TOKEN) as emulator:
        state = _state(folder, 2)
        catalog.sell(ITEM, LOC, 1)
        _run(emulator, state, 10, "n3-a", Killer(state, "sending", at=1, save_first=True))
        _run(emulator, state, 10, "n3-b")
        _run(emulator, state, 9, "n3-c")  # the sale imported
        return catalog.available(ITEM, LOC), 9


def recreated_item_zeroed() -> tuple[int, int]:
    """N4: the cached item was deleted and re-created (new item, 3 on Shopify); ERPNext 12. The
    run's push to the old id is refused, the SKU is looked up again and the new item set; the
    run dies at that checkpoint, before saving. The new item's mark survives (its read
    confirms a level for it), but the new id reaches the caller only in RunResult.resolved,
    never a checkpoint: the next delta still names the old item, and zeroes the new one as
    an item that left the stock query."""
    catalog = _shop(10)
    with tempfile.TemporaryDirectory() as folder, Emulator(catalog, access_token=TOKEN) as emulator:
        state = _state(folder, 10)
        made = catalog.recreate_variant(SKU, quantity=3)
        _run(emulator, state, 12, "n4-a", Killer(state, "checkpoint", at=2, save_first=False))
        _run(emulator, state, 12, "n4-b")
        return catalog.available(made["inventory_item_id"], LOC), 12


FINDINGS: dict[str, tuple[str, Callable[[], tuple[int, int]]]] = {
    "N1": ("a kept sale is overwritten by the next run", kept_sale_forgotten),
    "N2": ("a conflict resend cut short overwrites the sales it kept", resend_cut_short),
    "N3": ("a row marked before it left stays below for good", kept_back_for_good),
    "N4": ("a re-created item's new id is lost with a kill; the next run zeroes it", recreated_item_zeroed),
}


def main() -> int:
    for name, (what, play) in FINDINGS.items():
        shown, sellable = play()
        verdict = "HOLDS" if shown != sellable else "fixed"
        print(f"{name} {verdict}: {what}: Shopify shows {shown}, sellable {sellable}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
