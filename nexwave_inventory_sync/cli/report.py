"""Plain-text rendering of run results for the command line (and the benchmark docs)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from ..sync.api import RunResult

SUMMARY_FIELDS = (
    ("rows considered", "considered"),
    ("pushed", "pushed"),
    ("unchanged (skipped)", "unchanged_skipped"),
    ("untracked (skipped)", "untracked"),
    ("not on Shopify (skipped)", "unresolved"),
    ("failed", "failed"),
    ("conflicts", "conflicts"),
    ("  held (not landed)", "held"),
    ("not sent (run stopped)", "not_sent"),
    ("batches ok / failed", None),
    ("API calls", "api_calls"),
    ("  of which mutations", None),
    ("THROTTLED answers", "throttled_answers"),
    ("retries", "retries"),
    ("throttle pauses", "throttle_waits"),
    ("seconds waited", "seconds_waited"),
    ("query cost (points)", "query_cost"),
    ("wall time (s)", "duration_s"),
    ("status", None),
)


def _value(result: RunResult, label: str, attribute: str | None) -> str:
    if label.startswith("batches"):
        return f"{result.batches_ok} / {result.batches_failed}"
    if label.strip() == "of which mutations":
        return str(result.calls_by_operation.get("SetInventoryQuantities", 0))
    if label == "status":
        return result.status.value + (f" ({result.abort_reason})" if result.aborted else "")
    value = getattr(result, attribute)
    if attribute == "query_cost":
        return f"{value:,.0f}"  # whole points
    return f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"


def summary_table(columns: Sequence[tuple[str, RunResult]]) -> str:
    """A table with one column per run (e.g. cold and warm)."""
    headers = ["", *[name for name, _ in columns]]
    rows = [
        [label, *[_value(result, label, attr) for _, result in columns]] for label, attr in SUMMARY_FIELDS
    ]
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
        for row in [headers, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def conflict_lines(result: RunResult, limit: int | None = None) -> list[str]:
    """One line per conflict: ERPNext's figure, the confirmed one, Shopify's, what was sent."""
    lines = []
    for conflict in result.conflict_rows[:limit]:
        sent = "-" if conflict.sent is None else str(conflict.sent)
        shopify = "?" if conflict.shopify is None else str(conflict.shopify)
        lines.append(
            f"  {conflict.ref}  {conflict.location_id}  {conflict.erpnext} / {conflict.confirmed} / {shopify} -> {sent}"
            f"  {conflict.outcome}{': ' + conflict.message if conflict.message else ''}"
        )
    return lines


def failure_lines(result: RunResult, limit: int | None = None) -> list[str]:
    lines = []
    for failure in result.failures[:limit]:
        row = failure.row
        lines.append(
            f"  {row.sku or row.label}  {row.location_id}  qty={failure.quantity}  {failure.code}: {failure.message}"
        )
    for failure in (*result.unresolved_rows[:limit], *result.unsent_rows[:limit]):
        lines.append(f"  {failure.row.label}  {failure.row.location_id}  {failure.code}: {failure.message}")
    shown = len(result.unresolved_rows) + len(result.unsent_rows)
    hidden = result.unresolved + result.not_sent - shown
    if hidden > 0:
        lines.append(f"  … and {hidden:,} more rows not on Shopify or not sent (counted above)")
    return lines


class ProgressBar:
    """A one-line bar on a terminal; a line every ~10 % elsewhere (CI logs stay short)."""

    def __init__(self, title: str, stream: TextIO | None = None, width: int = 30):
        self.title = title
        self.stream = stream or sys.stderr
        self.width = width
        self._tty = self.stream.isatty()
        self._last_decile = -1

    def __call__(self, done: int, total: int | None) -> None:
        if not total:
            if self._tty:
                self.stream.write(f"\r{self.title}: {done} batches")
            return
        fraction = min(done / total, 1.0)
        if self._tty:
            filled = int(fraction * self.width)
            self.stream.write(
                f"\r{self.title}: [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} batches"
            )
            self.stream.flush()
        elif int(fraction * 10) > self._last_decile:
            self._last_decile = int(fraction * 10)
            self.stream.write(f"{self.title}: {done}/{total} batches\n")

    def close(self) -> None:
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()
