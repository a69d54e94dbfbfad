"""One bulk query, start to finish: bulkOperationRunQuery, poll the operation, stream the
JSONL file it links to. Used for the reconciliation read and for id resolution of a large
catalog (one operation instead of 400 pages for 100,000 variants).

Public API (stable):

- `run_bulk_query(client, query, *, http_get=None, poll_interval=2.0, max_wait=1800.0)
  -> Iterator[dict]`: the JSONL objects, one per line. Raises `BulkReadFailed` with `kind`
  "in_progress" (another bulk query of this app still running after `max_wait`), "failed"
  (Shopify's errorCode in the message), "expired", "canceled", "invalid" (userError),
  "timeout" (our `max_wait`), "missing" (`node(id:)` answered null for `MISSING_AFTER`
  seconds: the operation cannot be found, waiting longer cannot help), "download" (the
  result file could not be fetched whole: refused, timed out, cut off, a non-200 answer) or
  "refused" (ACCESS_DENIED on bulkOperationRunQuery: an app built by a partner without bulk
  query access, since 2026-11).
  Callers fall back to pages on any of them.
- `bulk_levels(client, location_ids, name, ...) -> levels.LevelRead`: every variant's
  inventory item (as `Resolution`s) and its levels at the given locations.

Documented (shopify.dev bulk operations guide and the BulkOperation / bulkOperationRunQuery
reference): the operation runs asynchronously; `status` goes CREATED, RUNNING, then
COMPLETED, FAILED, CANCELED or EXPIRED; `url` links the JSONL when COMPLETED (null when the
query matched nothing) and expires after seven days; nested connection objects come on lines
of their own with `__parentId`; an app may run a limited number of bulk queries at once
(one before 2026-01, more after: "depends on the API version"), and asking for more answers
the userError OPERATION_IN_PROGRESS (LIMIT_REACHED in newer versions).
The download URL is a signed storage URL: it is fetched WITHOUT the access token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from . import documents
from .client import CallFailed, RunAborted, ShopifyClient
from .delta import LevelKey
from .levels import LevelRead, ReadProgress, _quantity
from .results import Resolution
from .retry import Action

BUSY_CODES = frozenset({"OPERATION_IN_PROGRESS", "LIMIT_REACHED"})
DONE = frozenset({"COMPLETED", "FAILED", "CANCELED", "EXPIRED"})
# An operation node(id:) does not find (null) is given this long before the read gives up
# (then falls back to pages): it was just created, so a short grace covers a lagging replica,
# and waiting the whole max_wait (30 minutes) for an operation that is not there helps nobody.
MISSING_AFTER = 30.0


class BulkReadFailed(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def _execute(client: ShopifyClient, document: str, variables: dict, operation: str) -> dict:
    try:
        return client.execute(document, variables, operation=operation, expected_cost=10)
    except CallFailed as failure:
        if operation == "BulkRunQuery" and failure.error.code == "ACCESS_DENIED":
            # A partner app without bulk query access (changelog 2026-11-06: "returns an access
            # denied error"): bulk is off for this app, not the shop; the caller reads by pages.
            # A missing scope fails the pages' first call the same way and aborts there.
            raise BulkReadFailed("refused", f"{operation}: {failure.error.message}") from None
        if failure.action is Action.ABORT_RUN:
            raise RunAborted(failure) from None
        raise BulkReadFailed("failed", f"{operation}: {failure.error.message}") from None


def default_http_get(url: str) -> Iterator[bytes]:
    import requests  # the engine's own dependency; imported here to keep module import light

    try:
        with requests.get(url, stream=True, timeout=(5.0, 120.0)) as answer:
            if answer.status_code != 200:
                raise BulkReadFailed(
                    "download",
                    f"the bulk result download answered HTTP {answer.status_code}"
                    + (" (the link expired or was refused)" if answer.status_code in (403, 404, 410) else ""),
                )
            yield from answer.iter_lines()
    except requests.RequestException as error:
        # Refused, timed out, cut off mid-stream: named by kind, never with the signed URL.
        raise BulkReadFailed("download", f"the bulk result download failed: {type(error).__name__}") from None


def _start(client: ShopifyClient, query: str, poll_interval: float, max_wait: float) -> str:
    waited = 0.0
    while True:
        data = _execute(client, documents.BULK_RUN_QUERY, {"query": query}, "BulkRunQuery")
        payload = data.get("bulkOperationRunQuery")
        payload = payload if isinstance(payload, dict) else {}
        errors = [e for e in payload.get("userErrors") or [] if isinstance(e, dict)]
        operation = payload.get("bulkOperation")
        if isinstance(operation, dict) and isinstance(operation.get("id"), str) and not errors:
            return operation["id"]
        codes = {e.get("code") for e in errors}
        message = "; ".join(str(e.get("message")) for e in errors) or "no bulk operation was created"
        if not codes & BUSY_CODES:
            raise BulkReadFailed("invalid", message)
        # Another bulk query of this app is running (a reconciliation of another run, a
        # cold run): wait for it, then ask again, never cancel someone else's operation.
        if waited >= max_wait:
            raise BulkReadFailed(
                "in_progress", f"another bulk query is still running after {waited:.0f} s: {message}"
            )
        client.clock.sleep(poll_interval)
        waited += poll_interval


def _object_count(node: dict) -> int | None:
    # UnsignedInt64 comes as a JSON string (Shopify's scalar docs); accept a number too.
    try:
        return int(node.get("objectCount"))
    except (TypeError, ValueError):
        return None


def _wait(
    client: ShopifyClient,
    operation_id: str,
    poll_interval: float,
    max_wait: float,
    progress: ReadProgress | None = None,
) -> dict:
    waited = 0.0
    missing_for = 0.0
    while True:
        data = _execute(client, documents.BULK_OPERATION, {"id": operation_id}, "BulkOperationById")
        node = data.get("node")
        if not isinstance(node, dict):
            if missing_for >= MISSING_AFTER:
                raise BulkReadFailed(
                    "missing",
                    f"bulk operation {operation_id} was not found (node answered null) for {missing_for:.0f} s",
                )
            client.clock.sleep(poll_interval)
            missing_for += poll_interval
            waited += poll_interval
            continue
        missing_for = 0.0
        status = node.get("status")
        count = _object_count(node)
        if progress is not None and count is not None:
            progress(count)
        if status in DONE:
            return node
        if waited >= max_wait:
            raise BulkReadFailed(
                "timeout", f"bulk operation {operation_id} still {status} after {waited:.0f} s"
            )
        client.clock.sleep(poll_interval)
        waited += poll_interval


def run_bulk_query(
    client: ShopifyClient,
    query: str,
    *,
    http_get: Callable[[str], Iterable[bytes]] | None = None,
    poll_interval: float = 2.0,
    max_wait: float = 1800.0,
    progress: ReadProgress | None = None,
) -> Iterator[dict]:
    operation_id = _start(client, query, poll_interval, max_wait)
    node = _wait(client, operation_id, poll_interval, max_wait, progress)
    status = node.get("status")
    if status == "FAILED":
        partial = " (partial data was available)" if node.get("partialDataUrl") else ""
        raise BulkReadFailed(
            "failed", f"bulk operation {operation_id} failed: {node.get('errorCode')}{partial}"
        )
    if status in ("EXPIRED", "CANCELED"):
        raise BulkReadFailed(status.lower(), f"bulk operation {operation_id} is {status}")
    url = node.get("url")
    if not url:
        return  # COMPLETED with no url: the query matched nothing
    # A stream cut off short of its Content-Length (or its last chunk) raises in requests;
    # one cut inside a line leaves a line that is not JSON. objectCount is no line count to
    # check against: Shopify counts "objects processed", nested non-connection ones perhaps too.
    try:
        for line in (http_get or default_http_get)(url):
            if line and line.strip():
                try:
                    obj = json.loads(line)
                except ValueError:
                    raise BulkReadFailed(
                        "download", "the bulk result file holds a line that is not JSON (cut off?)"
                    ) from None
                if isinstance(obj, dict):
                    yield obj
    except OSError as error:  # an injected http_get's network error (requests' are OSErrors too)
        raise BulkReadFailed("download", f"the bulk result download failed: {type(error).__name__}") from None


def bulk_levels(
    client: ShopifyClient,
    location_ids: Iterable[str],
    name: str = "available",
    *,
    http_get: Callable[[str], Iterable[bytes]] | None = None,
    poll_interval: float = 2.0,
    max_wait: float = 1800.0,
    progress: ReadProgress | None = None,
) -> LevelRead:
    wanted = set(location_ids)
    read = LevelRead(method="bulk")
    item_of_variant: dict[str, str] = {}
    orphans: list[dict] = []  # a level line before its variant's (order is not promised)
    before = client.stats.api_calls
    lines = 0
    for obj in run_bulk_query(
        client,
        documents.BULK_LEVELS_QUERY,
        http_get=http_get,
        poll_interval=poll_interval,
        max_wait=max_wait,
        progress=progress,
    ):
        lines += 1
        item = obj.get("inventoryItem")
        if isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(obj.get("id"), str):
            item_of_variant[obj["id"]] = item["id"]
            read.skus[item["id"]] = obj.get("sku")
            if isinstance(item.get("tracked"), bool):
                read.tracked[item["id"]] = item["tracked"]
            read.resolutions.append(
                Resolution(
                    item["id"],
                    bool(item.get("tracked")) and obj.get("requiresComponents") is not True,
                    variant_id=obj["id"],
                    sku=obj.get("sku"),
                    requires_components=obj.get("requiresComponents") is True,
                )
            )
        elif "location" in obj:
            orphans.append(obj)
    for obj in orphans:
        parent = obj.get("__parentId")
        item = item_of_variant.get(parent) if isinstance(parent, str) else None
        location = obj.get("location").get("id") if isinstance(obj.get("location"), dict) else None
        quantity = _quantity(obj.get("quantities"), name)
        if item is None or location not in wanted or quantity is None:
            continue
        key: LevelKey = (item, location)
        read.levels[key] = quantity
    if progress is not None:
        progress(lines)
    read.calls = client.stats.api_calls - before
    return read
