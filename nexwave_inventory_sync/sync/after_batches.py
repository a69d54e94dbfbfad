"""The steps after a run's batches, on the calling thread once every batch is folded in:
connect items Shopify says are not stocked at a location (when the store allows it), then
settle compare-and-set conflicts by the store's policy. Rows these steps land leave the
tally's failures; what they could not settle goes back in. settle.py makes the calls."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from .checkpoints import checkpoint_step, in_flight_marks
from .client import ShopifyClient
from .conflicts import Conflict
from .options import SyncOptions
from .push import BatchOutcome, ReadyRow, Refusal
from .sender import send_safely
from .settle import ACTIVATE_OPTION, NOT_STOCKED, Settled, activate_and_resend, settle_conflicts
from .tally import Tally


@dataclass
class PostRun:
    conflicts: list[Conflict] = field(default_factory=list)
    activated: int = 0
    landed: list[ReadyRow] = field(default_factory=list)


def after_batches(client: ShopifyClient, tally: Tally, options: SyncOptions, run_id: str) -> PostRun:
    """Connect unstocked items (if allowed), then settle conflicts by the policy."""
    post = PostRun()
    if options.activate_unstocked and (unstocked := tally.take(_not_stocked)):
        done = activate_and_resend(
            client, unstocked, run_id, _step_sender(client, tally, options, run_id, "activated")
        )
        post.activated = done.activated
        _fold_step(tally, post, done, options)
        if tally.stopped:
            return post  # the conflicts keep their failures (counted held)
    elif any(isinstance(f, Refusal) and _not_stocked(f) for f in tally.failures):
        hint = f"; turn on the store option '{ACTIVATE_OPTION}' to connect it and push it in the same run"
        tally.failures = [
            replace(f, message=f.message + hint) if f.code == NOT_STOCKED and not f.row.zeroing else f
            for f in tally.failures
        ]
    if conflicted := tally.take(lambda f: f.conflict):
        send = _step_sender(client, tally, options, run_id, "conflicts")
        done = settle_conflicts(client, conflicted, options.conflict_policy, send, options.quantity_name)
        post.conflicts = done.conflicts
        # Shopify already showed the settled figure, or ERPNext's: landed without a write.
        tally.pushed += done.agreed
        tally.pushed += sum(1 for c in done.conflicts if c.outcome == "resolved" and c.sent is None)
        _fold_step(tally, post, done, options)
    return post


def _not_stocked(refused: Refusal) -> bool:
    # A zero row not stocked there is not activated: there is nothing to zero (items_gone).
    return refused.code == NOT_STOCKED and not refused.row.zeroing


def _step_sender(
    client: ShopifyClient, tally: Tally, options: SyncOptions, run_id: str, step: str
) -> Callable[[Sequence[ReadyRow]], BatchOutcome]:
    # Each step sends under a run id of its own: a resend holding exactly the rows of a
    # refused batch (one unstocked row, activated) must not reuse that batch's idempotency
    # key, or Shopify replays the refusal; nor may a conflict's repeat that happens to hold
    # the same figures as the attempt before it. Shopify's history shows the step too.
    sends = itertools.count(1)

    def send(batch: Sequence[ReadyRow]) -> BatchOutcome:
        step_id = f"{run_id}.{step}-{next(sends)}"
        if options.on_sending is not None:
            options.on_sending(in_flight_marks(batch))
        outcome = send_safely(client, batch, step_id, options.quantity_name)
        tally.pushed += outcome.pushed
        tally.in_doubt.extend(outcome.in_doubt)
        return outcome

    return send


def _fold_step(tally: Tally, post: PostRun, done: Settled, options: SyncOptions) -> None:
    """What an after-batches step did, into the run's counts, then its checkpoint; a stop
    part-way stops the run, its rows sent without an answer NOT_CONFIRMED, the ones it kept
    from being sent NOT_SENT."""
    post.landed += done.landed
    tally.failures += done.failures
    if done.abort is not None:
        if tally.abort is None:
            tally.abort = done.abort
        tally.in_doubt.extend(done.unconfirmed)
        reason = done.abort.error.message
        tally.unsent_ready(
            done.unconfirmed,
            "NOT_CONFIRMED",
            f"sent, but the run stopped before Shopify confirmed it: {reason}",
        )
        tally.unsent_ready(done.not_sent, "NOT_SENT", f"the run stopped before this row was sent: {reason}")
    checkpoint_step(tally, options, done.landed, done.failures)
