"""The crash rule's side of a run: each batch's rows are marked in flight before they leave
(`in_flight_marks`, for `SyncOptions.on_sending`), and what Shopify settled since the last
checkpoint (rows landed, marks released, ids learnt, levels to forget) goes to the caller in
one `Checkpoint` (`SyncOptions.on_checkpoint`) after every batch and every step."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .in_flight import InFlightLevel
from .options import SyncOptions
from .push import ReadyRow
from .results import Checkpoint, RowFailure
from .tally import Tally, confirmed_level, void_levels


def in_flight_marks(batch: Iterable[ReadyRow]) -> tuple[InFlightLevel, ...]:
    # `previous` is the level confirmed before the run: a conflict resend's change_from is
    # Shopify's figure, and a read finding it would "prove" the sales it kept undone (N2).
    return tuple(
        InFlightLevel(
            r.inventory_item_id,
            r.location_id,
            r.quantity,
            r.row.base if r.row.base is not None else r.row.change_from,
            r.row.label,
            held=r.row.held,  # the caller knows the stored level's own (previous_held)
        )
        for r in batch
    )


def take_checkpoint(tally: Tally) -> Checkpoint:
    """What the tally gathered since the last checkpoint, emptied out of it, with the counts."""
    learnt, tally.new_resolved = tuple(tally.new_resolved), []
    landed, tally.landed_new = tally.landed_new, []
    released, tally.released_new = tuple(tally.released_new), []
    forget, tally.forget_new = tally.forget_new, []
    confirmed = tuple(confirmed_level(ready, "push") for ready in landed)
    return Checkpoint(
        confirmed=confirmed,
        released=released,
        resolved=learnt,
        forget=tuple(void_levels(forget, confirmed)),
        batches_done=tally.batches_done,
        batches_ok=tally.batches_ok,
        batches_failed=tally.batches_failed,
        pushed=tally.pushed,
        failed=sum(1 for f in tally.failures if not f.conflict),
    )


def checkpoint_step(
    tally: Tally, options: SyncOptions, landed: Sequence[ReadyRow], failures: Sequence[RowFailure]
) -> None:
    """After a step of after_batches: what it landed is saved like a batch's (the resends were
    marked in flight as they left); what Shopify refused is released."""
    if options.on_checkpoint is None:
        return
    tally.landed_new.extend(landed)
    tally.release(failures, tally.in_doubt)
    options.on_checkpoint(take_checkpoint(tally))
