"""The crash rule in a preview: rows an earlier run left in flight are settled by the next run
before it picks its delta (sync/in_flight.py), so a preview that shows "what the next run
would do" settles them too, in memory: one read of their figures (`check_in_flight`, which
writes nothing), the levels that read proves put in place of the stored ones
(`levels_after_check`, what saving the check does to the store's levels), and a note on the
rows they touch. Used by the app's Preview Next Sync and `nexwave-sync push --dry-run`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from .delta import ConfirmedLevel, LevelKey
from .in_flight import InFlightCheck, InFlightLevel
from .preview import PreviewRow


def levels_after_check(levels: Iterable[ConfirmedLevel], check: InFlightCheck) -> list[ConfirmedLevel]:
    """Pure: the confirmed levels once `check` is saved, as the next run reads them: each proved
    level in place of the stored one (or added: a row never confirmed whose batch landed), the
    levels of items Shopify no longer has there dropped. Unread marks change nothing."""
    proved = {level.key: level for level in check.confirmed}
    gone = {mark.key for mark in check.gone}
    kept = [proved.pop(level.key, level) for level in levels if level.key not in gone]
    return kept + list(proved.values())


@dataclass(frozen=True)
class InFlightPreview:
    """What the preview says about an earlier run's rows in flight."""

    marks: int
    landed: int = 0  # Shopify shows the figure sent
    not_landed: int = 0  # Shopify shows the figure before
    moved: int = 0  # Shopify shows another figure: the higher candidate is taken
    gone: int = 0  # no level there any more, or never confirmed and not landed: sent again as new
    in_doubt: int = 0  # not read (a failed read, or the preview read nothing from Shopify)
    error: str | None = None

    def describe(self) -> str | None:
        if not self.marks:
            return None
        if self.in_doubt:
            why = f" ({self.error})" if self.error else ""
            return (
                f"{self.marks:,} rows were left in flight by an earlier run and were not read from "
                f"Shopify{why}: the next run reads them first; until then their figures are in doubt"
            )
        return (
            f"{self.marks:,} rows were left in flight by an earlier run: the next run reads them first "
            f"({self.landed:,} landed, {self.not_landed:,} did not, {self.moved:,} moved on Shopify too, "
            f"{self.gone:,} sent again as new); the rows below count that in"
        )


def summarise(marks: Sequence[InFlightLevel], check: InFlightCheck | None) -> InFlightPreview:
    """Pure. `check` None: the marks were not read."""
    if not marks:
        return InFlightPreview(0)
    if check is None or check.unread:
        return InFlightPreview(len(marks), in_doubt=len(marks), error=check.error if check else None)
    by_key = {mark.key: mark for mark in marks}
    landed = not_landed = moved = 0
    for level in check.confirmed:
        mark = by_key.get(level.key)
        if mark is not None and level.quantity == mark.sent:
            landed += 1
        elif mark is not None and level.quantity == mark.previous:
            not_landed += 1
        else:
            moved += 1
    return InFlightPreview(len(marks), landed, not_landed, moved, gone=len(check.gone))


def with_in_flight_notes(
    rows: Iterable[PreviewRow], marks: Sequence[InFlightLevel], check: InFlightCheck | None
) -> list[PreviewRow]:
    """Pure: each previewed row an earlier run left in flight says so; in doubt when unread."""
    # A previewed row carries its ref (item code, SKU) and location, as the marks do.
    marked: dict[tuple[str | None, str], InFlightLevel] = {(m.ref, m.location_id): m for m in marks if m.ref}
    settled: set[LevelKey] = set(check.settled) if check is not None else set()
    out = []
    for row in rows:
        mark = marked.get((row.ref, row.location_id)) if row.ref else None
        if mark is None:
            out.append(row)
            continue
        if mark.key in settled:
            note = f"in flight in an earlier run (sent {mark.sent}): settled by Shopify's figure first"
        else:
            note = f"in flight in an earlier run (sent {mark.sent}): in doubt until Shopify is read"
        out.append(replace(row, note="; ".join(filter(None, [row.note, note]))))
    return out
