"""What a sync run may be told: `SyncOptions` and the callbacks it carries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .conflicts import DEFAULT_POLICY, ConflictPolicy
from .in_flight import InFlightLevel
from .levels import BULK_RESOLVE_THRESHOLD
from .push import QUANTITY_NAME, QUANTITY_NAMES
from .quantity import check_safety_buffer
from .results import Checkpoint
from .retry import RetryPolicy

ProgressCallback = Callable[[int, "int | None"], None]
CheckpointCallback = Callable[[Checkpoint], None]
SendingCallback = Callable[[tuple[InFlightLevel, ...]], None]

CHUNK_ROWS = 5000


@dataclass(frozen=True)
class SyncOptions:
    run_id: str | None = None
    safety_buffer: float = 0
    # (inventory_item_id, location_id) -> the figure last pushed; equal rows are skipped.
    known_quantities: Mapping[tuple[str, str], int] | None = None
    # Batches in flight at once; the shared bucket model still paces every call. 4 measured
    # best at 300 ms per call (docs/benchmarks.md: 9.4 s at 1, 2.6 s at 4 for 7,300 rows).
    concurrency: int = 4
    chunk_rows: int = CHUNK_ROWS
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: tuple[float, float] = (5.0, 60.0)
    # Called on the calling thread after each batch and after each chunk's resolution.
    on_checkpoint: CheckpointCallback | None = None
    # Called on the calling thread just before each batch leaves (resends included), with its
    # rows: a caller that saves as it goes marks them in flight (see in_flight.py).
    on_sending: SendingCallback | None = None
    # Seconds the whole run may take (None: no limit). No retry or throttle pause starts that
    # would end past it; the run then ends Partial, the rows not sent listed.
    deadline_s: float | None = None
    # Asked before each batch leaves: True stops the run there, as a deadline would (the
    # batches in flight are folded in, the rows not sent counted). Ctrl-C / SIGTERM in the CLI.
    should_stop: Callable[[], bool] | None = None
    conflict_policy: ConflictPolicy = DEFAULT_POLICY
    quantity_name: str = QUANTITY_NAME  # "available" or "on_hand"
    activate_unstocked: bool = False  # the store option "connect items to mapped locations"
    # SKUs to resolve from which one bulk operation replaces the catalog scan (a 100,000-
    # variant scan is 400 pages, ~200,000 points); None turns bulk resolution off.
    bulk_resolve_from: int | None = BULK_RESOLVE_THRESHOLD
    # Fetches the bulk operation's JSONL URL (tests inject one; default: requests, no token).
    http_get: Callable[[str], Iterable[bytes]] | None = None
    bulk_poll_interval: float = 2.0

    def __post_init__(self) -> None:
        check_safety_buffer(self.safety_buffer)
        if self.quantity_name not in QUANTITY_NAMES:
            raise ValueError(f"quantity_name must be one of {QUANTITY_NAMES}, not {self.quantity_name!r}")
        object.__setattr__(self, "conflict_policy", ConflictPolicy.parse(self.conflict_policy))
        if self.deadline_s is not None and self.deadline_s <= 0:
            raise ValueError(f"deadline_s must be positive seconds, not {self.deadline_s!r}")
