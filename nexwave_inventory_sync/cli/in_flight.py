"""The crash rule on the CLI's side (state.py describes it): the rows an earlier run left in
flight are read before anything is picked, and the state is written as the run goes."""

from __future__ import annotations

from dataclasses import replace

from ..sync.api import Checkpoint, InFlightCheck, InFlightLevel, ShopifyEndpoint, SyncOptions, check_in_flight
from .state import SyncState
from .state_errors import StateError


def settle_in_flight(
    endpoint: ShopifyEndpoint, state: SyncState, options: SyncOptions
) -> InFlightCheck | None:
    """Rows an earlier run sent without seeing the answer (killed, crashed, its state write
    failed): one read of their figures on Shopify proves each level (sync/in_flight.py),
    saved before the delta is picked. None when there were none."""
    marks = state.marks()
    if not marks:
        return None
    check = check_in_flight(
        endpoint, marks, quantity_name=options.quantity_name, policy=options.policy, timeout=options.timeout
    )
    state.settle_in_flight(check)
    return check


def in_flight_lines(check: InFlightCheck | None) -> list[str]:
    if check is None:
        return []
    if check.unread:
        return [
            f"{len(check.unread):,} rows left in flight by an earlier run could not be read from Shopify "
            f"({check.error}); they stay marked, nothing is sent until they are read"
        ]
    return [
        f"{len(check.confirmed) + len(check.gone):,} rows left in flight by an earlier run, read from Shopify: "
        f"{len(check.confirmed):,} levels proved, {len(check.gone):,} items gone"
    ]


class RunRecorder:
    """The engine's callbacks, writing into the state as the run goes (the crash rule). A
    write that fails is kept in `error` and asks the run to stop (`should_stop`): a mark that
    cannot be written raises, so its batch never leaves unmarked; a checkpoint that cannot be
    written leaves its rows' marks, which the next run reads."""

    def __init__(self, state: SyncState):
        self.state = state
        self.error: StateError | None = None
        self.landed = 0  # levels saved with checkpoints

    def on_sending(self, marks: tuple[InFlightLevel, ...]) -> None:
        try:
            self.state.mark_in_flight(marks)
        except StateError as exc:
            self.error = self.error or exc
            raise

    def on_checkpoint(self, checkpoint: Checkpoint) -> None:
        try:
            self.state.save_checkpoint(checkpoint)
            self.landed += len(checkpoint.confirmed)
        except StateError as exc:
            self.error = self.error or exc

    def failed(self) -> bool:
        return self.error is not None


def recorded(options: SyncOptions, recorder: RunRecorder) -> SyncOptions:
    """`options` with the state written as the run goes, and a stop when a write fails."""
    outer = options.should_stop
    return replace(
        options,
        on_sending=recorder.on_sending,
        on_checkpoint=recorder.on_checkpoint,
        should_stop=lambda: recorder.failed() or bool(outer and outer()),
    )
