"""Bulk query operations: bulkOperationRunQuery, the operation's status by id or as the
app's current one, and the JSONL result served on loopback once the operation completes.

Documented (shopify.dev: "Perform bulk operations with the GraphQL Admin API",
BulkOperation and bulkOperationRunQuery reference, admin_2026-07 schema):
- statuses CREATED -> RUNNING -> COMPLETED | FAILED | CANCELED | EXPIRED; errorCode
  ACCESS_DENIED | INTERNAL_SERVER_ERROR | TIMEOUT on failure; `partialDataUrl` may hold what
  was read before a failure; `url` is null when the query matched nothing; results expire
  after seven days;
- the query must hold at least one connection, at most five, nested at most two levels;
- JSONL: one object per line; objects of a nested connection are lines of their own with
  `__parentId`; with groupObjects false (the 2026-01+ default) a child may come before its
  parent;
- the number of bulk queries an app may run at once "depends on the API version".
Guessed (not documented in what we could read): one at a time before 2026-01
(OPERATION_IN_PROGRESS) and five from 2026-01 (LIMIT_REACHED); the message texts; the time an
operation takes (`base_delay` + `per_object_delay` x objects, i.e. 2 s + 1 s per 2,000 objects
by default, a small shop's figure); `__parentId` of a connection under a nested object (an
inventory item's levels) naming the nearest connection node (the variant); the result URL
shape; the snapshot being taken when the operation completes.

Fault switches (tests and the soak; `fail_download`, `lose_next`), each acted out once:
- "status": the result URL answers a non-200 status (default 403). Documented: the URL expires
  after seven days. Guessed: what the storage host answers then or on its own errors (a
  signed-URL store answers 400/403 for an expired link; any 5xx is possible).
- "refused": the result URL points at a port where nothing listens (connection refused).
  Guessed: a network failure, nothing Shopify documents.
- "cut_off": the download announces the whole file, sends part of it (cut inside a line) and
  closes. Guessed: a network failure, nothing Shopify documents.
- `lose_next()`: `node(id:)` and `currentBulkOperation` answer null for the next operation
  created. Documented: `node` answers null for an id it does not find. Guessed: that an
  operation Shopify just created can be unfindable (lost, or the app's history purged).
- `access_denied = True`: every bulkOperationRunQuery is refused, as for an app built by a
  partner without bulk query access. Documented (changelog "Apps must enable bulk operations
  before use", 2026-11-06): such an app's request "returns an access denied error", in every
  API version; merchant-made apps (Shopify admin, Dev Dashboard) are not affected. Guessed: the
  form (a top-level error with code ACCESS_DENIED, as Shopify's other access errors, data null)
  and the message text.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from graphql import FieldNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, execute, parse, validate

from .catalog import gid
from .views import typename_of

MAX_CONNECTIONS = 5
MAX_DEPTH = 2


def _now_text() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class BulkOperation:
    number: int
    query: str
    version: str
    started: float
    ready_at: float
    status: str = "RUNNING"
    errorCode: str | None = None
    objectCount: int = 0
    rootObjectCount: int = 0
    fileSize: int | None = None
    url: str | None = None
    partialDataUrl: str | None = None
    createdAt: str = ""
    completedAt: str | None = None
    type: str = "QUERY"
    typename = "BulkOperation"
    fail_with: str | None = None  # a failure planned by a test
    download_fault: tuple[str, int] | None = None  # (kind, status) planned for its result URL
    lost: bool = False  # node(id:) answers null for it

    @property
    def id(self) -> str:
        return gid("BulkOperation", self.number)


def _connection_depths(
    schema: GraphQLSchema, field_node: FieldNode, parent: Any, depth: int, out: list[int]
) -> None:
    from graphql import get_named_type

    definition = getattr(parent, "fields", {}).get(field_node.name.value)
    if definition is None:
        return
    named = get_named_type(definition.type)
    if named.name.endswith("Connection"):
        depth += 1
        out.append(depth)
    for child in field_node.selection_set.selections if field_node.selection_set else ():
        if isinstance(child, FieldNode):
            _connection_depths(schema, child, named, depth, out)


def check_bulk_query(schema: GraphQLSchema, query: str) -> str | None:
    """None when the query may run in bulk, else the userError message (code INVALID)."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return f"Invalid bulk query: {error.message}"
    errors = validate(schema, document)
    if errors:
        return f"Invalid bulk query: {errors[0].message}"
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation.value != "query":
        return "Invalid bulk query: a bulk query must be a single query operation"
    depths: list[int] = []
    for node in operations[0].selection_set.selections:
        if isinstance(node, FieldNode):
            _connection_depths(schema, node, schema.query_type, 0, depths)
    if not depths:
        return "Bulk queries must contain at least one connection."
    if len(depths) > MAX_CONNECTIONS:
        return f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections."
    if max(depths) > MAX_DEPTH:
        return f"Bulk queries cannot contain connections with a nesting depth greater than {MAX_DEPTH}."
    return None


def _is_connection(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("edges"), list)


def jsonl_objects(data: dict) -> Iterator[dict]:
    """Flatten an executed bulk query into its JSONL objects, parents before children."""

    def lines(node: dict, parent_id: str | None) -> Iterator[dict]:
        children: list[dict] = []

        def strip(obj: dict) -> dict:
            kept = {}
            for key, value in obj.items():
                if _is_connection(value):
                    children.extend(edge["node"] for edge in value["edges"] if edge.get("node") is not None)
                elif isinstance(value, dict):
                    kept[key] = strip(value)
                else:
                    kept[key] = value
            return kept

        own = strip(node)
        if parent_id is not None:
            own["__parentId"] = parent_id
        yield own
        for child in children:
            yield from lines(child, node.get("id", parent_id))

    for value in data.values():
        if _is_connection(value):
            for edge in value["edges"]:
                if edge.get("node") is not None:
                    yield from lines(edge["node"], None)


class BulkOperations:
    def __init__(
        self,
        clock: Any,
        run_query: Callable[[str, str], dict],
        url_for: Callable[[int], str],
        *,
        base_delay: float = 2.0,
        per_object_delay: float = 1 / 2000,
    ):
        self.clock = clock
        self._run_query = run_query  # (version, query) -> data, executed over the catalog
        self._url_for = url_for
        self.base_delay = base_delay
        self.per_object_delay = per_object_delay
        self._lock = threading.Lock()
        self._operations: dict[int, BulkOperation] = {}
        self._files: dict[int, bytes] = {}
        self._next = 1
        self._planned_failure: tuple[str, bool] | None = None
        self._planned_download: tuple[str, int] | None = None
        self._lose_next = False
        self.access_denied = False  # a partner app without bulk query access (see the module doc)

    # -- test controls -------------------------------------------------------------------
    DOWNLOAD_FAULTS = ("status", "refused", "cut_off")

    def fail_next(self, error_code: str = "INTERNAL_SERVER_ERROR", partial: bool = False) -> None:
        self._planned_failure = (error_code, partial)

    def fail_download(self, kind: str = "status", status: int = 403) -> None:
        """The next operation completes, but fetching its result fails (see the module's
        list: "status", "refused", "cut_off")."""
        if kind not in self.DOWNLOAD_FAULTS:
            raise ValueError(f"download fault must be one of {self.DOWNLOAD_FAULTS}, not {kind!r}")
        self._planned_download = (kind, int(status))

    def lose_next(self) -> None:
        """The next operation is created, but node(id:) never finds it."""
        self._lose_next = True

    def download_fault(self, number: int) -> tuple[str, int] | None:
        with self._lock:
            operation = self._operations.get(number)
            return operation.download_fault if operation is not None else None

    def expire(self, operation_id: str) -> None:
        """Seven days later: status EXPIRED, the file gone."""
        with self._lock:
            operation = self._operations[int(operation_id.rsplit("/", 1)[-1])]
            operation.status = "EXPIRED"
            operation.url = None
            self._files.pop(operation.number, None)

    def started(self) -> int:
        return len(self._operations)

    # -- API -------------------------------------------------------------------------------
    @staticmethod
    def concurrency_limit(version: str) -> int:
        return 1 if version < "2026-01" else 5

    def run_query(self, version: str, schema: GraphQLSchema, query: str) -> dict:
        if self.access_denied:
            raise GraphQLError(
                "Access denied for bulkOperationRunQuery field. Bulk queries are not enabled for this app.",
                extensions={"code": "ACCESS_DENIED"},
            )
        problem = check_bulk_query(schema, query)
        if problem is not None:
            return {
                "bulkOperation": None,
                "userErrors": [{"code": "INVALID", "field": ["query"], "message": problem}],
            }
        with self._lock:
            running = [op for op in self._operations.values() if self._refresh(op) == "RUNNING"]
            if len(running) >= self.concurrency_limit(version):
                code = "OPERATION_IN_PROGRESS" if version < "2026-01" else "LIMIT_REACHED"
                message = (
                    f"A bulk query operation for this app and shop is already in progress: {running[0].id}."
                    if code == "OPERATION_IN_PROGRESS"
                    else f"The limit of {self.concurrency_limit(version)} concurrent bulk query operations was reached."
                )
                return {
                    "bulkOperation": None,
                    "userErrors": [{"code": code, "field": None, "message": message}],
                }
            now = self.clock.now()
            operation = BulkOperation(
                self._next, query, version, now, now + self.base_delay, createdAt=_now_text()
            )
            if self._planned_failure is not None:
                operation.fail_with, partial = self._planned_failure
                operation.partialDataUrl = "pending" if partial else None
                self._planned_failure = None
            operation.download_fault, self._planned_download = self._planned_download, None
            operation.lost, self._lose_next = self._lose_next, False
            self._operations[operation.number] = operation
            self._next += 1
            # Execute now (the data a real operation would read over its run); the delay
            # below decides when the answer may be seen.
            data = self._run_query(version, query)
            objects = list(jsonl_objects(data))
            operation.objectCount = len(objects)
            operation.rootObjectCount = sum(1 for o in objects if "__parentId" not in o)
            operation.ready_at = now + self.base_delay + self.per_object_delay * len(objects)
            self._files[operation.number] = b"".join(json.dumps(o).encode() + b"\n" for o in objects)
            return {"bulkOperation": operation, "userErrors": []}

    def get(self, number: int) -> BulkOperation | None:
        with self._lock:
            operation = self._operations.get(number)
            if operation is not None:
                self._refresh(operation)
            return None if operation is None or operation.lost else operation

    def current(self) -> BulkOperation | None:
        with self._lock:
            if not self._operations:
                return None
            operation = self._operations[max(self._operations)]
            self._refresh(operation)
            return None if operation.lost else operation

    def file(self, number: int) -> bytes | None:
        with self._lock:
            operation = self._operations.get(number)
            if operation is None or self._refresh(operation) not in ("COMPLETED", "FAILED"):
                return None
            return self._files.get(number)

    def _refresh(self, operation: BulkOperation) -> str:
        if operation.status == "RUNNING" and self.clock.now() >= operation.ready_at:
            operation.completedAt = _now_text()
            if operation.fail_with:
                operation.status = "FAILED"
                operation.errorCode = operation.fail_with
                if operation.partialDataUrl:
                    operation.partialDataUrl = self._url_for(operation.number)
                else:
                    self._files.pop(operation.number, None)
            else:
                operation.status = "COMPLETED"
                body = self._files.get(operation.number, b"")
                operation.fileSize = len(body)
                operation.url = self._url_for(operation.number) if body else None
                if operation.url and operation.download_fault and operation.download_fault[0] == "refused":
                    operation.url = _refused_url(operation.number)
        return operation.status


def _refused_url(number: int) -> str:
    """A loopback URL on a port nothing listens on (bound, then closed)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/bulk-results/{number}.jsonl"


def execute_bulk(schema: GraphQLSchema, query: str, root: Any, context: Any) -> dict:
    result = execute(schema, parse(query), root_value=root, context_value=context, type_resolver=typename_of)
    if result.errors:
        raise result.errors[0]
    return result.data or {}
