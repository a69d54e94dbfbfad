"""The emulator's HTTP side: routes, token check, validation, cost, faults, answers."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    execute,
    get_operation_ast,
    parse,
    validate,
    value_from_ast_untyped,
)

from ..sync.schema import sdl_for
from ..sync.versions import UnsupportedApiVersion, check_api_version
from .answer import Answer
from .api import Mutation, QueryRoot, ShopData
from .catalog import Catalog
from .cost import MAX_QUERY_COST, PLANS, LeakyBucket, actual_cost, requested_cost
from .faults import Fault, Faults
from .rest import RestApi
from .stats import Stats

GRAPHQL_PATH = re.compile(r"^/admin/api/([^/]+)/graphql\.json$")
REST_PATH = re.compile(r"^/admin/api/([^/]+)/(.+)\.json$")


@cache
def emulator_schema(sdl: str) -> GraphQLSchema:
    """Our own build (not the engine's cached one): we attach type resolution to it."""
    schema = build_schema(sdl)
    schema.get_type("Node").resolve_type = lambda obj, info, abstract: (
        getattr(obj, "typename", None) or obj.get("__typename")
    )
    return schema


def _error_body(message: str, code: str | None = None, **extra: Any) -> dict:
    error: dict[str, Any] = {"message": message, **extra}
    if code:
        error["extensions"] = {"code": code}
    return {"errors": [error]}


class Emulator:
    def __init__(
        self,
        catalog: Catalog,
        access_token: str = "shpat_emulator_token",
        shop_domain: str = "emulated-shop.myshopify.com",
        plan: str = "standard",
        clock: Any = None,
        latency: float = 0.0,
        partial_apply: bool = False,
        max_batch: int = 250,
        host: str = "127.0.0.1",
        port: int = 0,
        keep_requests: bool = True,
    ):
        self.catalog = catalog
        self._token = access_token
        self.plan = PLANS[plan]
        self.plan_name = plan
        self.latency = latency
        self.stats = Stats(keep_requests)
        self.faults = Faults()
        now: Callable[[], float] = clock.now if clock is not None else time.monotonic
        self.bucket = LeakyBucket(self.plan, now)
        self.shop = ShopData(catalog, shop_domain, partial_apply, max_batch, self.stats)
        self.rest = RestApi(self.shop, plan, now)
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"Emulator({self.shop.shop_domain!r}, plan={self.plan_name!r}, url={self.base_url if self._server else None!r})"

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> Emulator:
        emulator = self

        class Handler(_Handler):
            pass

        Handler.emulator = emulator
        self._server = ThreadingHTTPServer((self._host, self._port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def graphql_url(self, version: str) -> str:
        return f"{self.base_url}/admin/api/{version}/graphql.json"

    def drain_bucket(self) -> None:
        """As if another app on the shop had just spent every point."""
        self.bucket.drain()

    # -- one GraphQL request -----------------------------------------------------------
    def answer_graphql(self, version: str, token: str | None, raw: bytes) -> Answer:
        if token != self._token:
            self.stats.record(None, None, version, None, 401)
            return Answer(
                401,
                json.dumps(
                    {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
                ),
            )
        try:
            payload = json.loads(raw or b"")
            query, variables = payload["query"], payload.get("variables") or {}
            operation_name = payload.get("operationName")
        except (ValueError, KeyError, TypeError):
            self.stats.record(None, None, version, None, 400)
            return Answer(400, json.dumps({"errors": "Bad Request: the body must be JSON with a query"}))
        try:
            document = parse(query)
        except GraphQLError as exc:
            self.stats.record(operation_name, variables, version, None, 200)
            return Answer(200, json.dumps(_error_body(exc.message, "PARSE_ERROR")))
        operation = get_operation_ast(document, operation_name)
        name = operation.name.value if operation is not None and operation.name else operation_name
        key = _idempotency_key(operation, variables)
        fault = self.faults.next_for(name)
        status = fault.code if fault is not None and fault.kind in ("status", "html", "invalid_json") else 200
        self.stats.record(name, variables, version, key, status)
        if fault is not None:
            self.stats.count(faults_injected=1)
            early = self._fault_answer(fault)
            if early is not None:
                return early
        answer = self._execute(version, document, operation, variables, operation_name)
        if fault is not None and fault.kind == "drop_after_apply":
            return Answer(0, "", drop=True)  # executed, then the answer is lost
        return answer

    def _fault_answer(self, fault: Fault) -> Answer | None:
        if fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return Answer(fault.code, fault.body or fault.default_body, headers)
        if fault.kind in ("html", "invalid_json"):
            return Answer(
                fault.code,
                fault.body or fault.default_body,
                {"Content-Type": "text/html" if fault.kind == "html" else "application/json"},
            )
        if fault.kind == "drop":
            return Answer(0, "", drop=True)
        if fault.kind == "throttled":
            self.stats.count(throttled=1)
            return Answer(200, json.dumps(self._throttled_body(requested=MAX_QUERY_COST)))
        if fault.kind == "delay":
            time.sleep(fault.seconds)
        return None

    def _throttled_body(self, requested: int) -> dict:
        body = _error_body(
            "Throttled", "THROTTLED", documentation="https://shopify.dev/api/usage/rate-limits"
        )
        body["extensions"] = {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": None,
                "throttleStatus": self.bucket.status(),
            }
        }
        return body

    def _execute(
        self,
        version: str,
        document: Any,
        operation: OperationDefinitionNode | None,
        variables: dict,
        operation_name: str | None,
    ) -> Answer:
        schema = emulator_schema(sdl_for(version))
        errors = validate(schema, document)
        if errors:
            body = {"errors": [e.formatted for e in errors]}
            for error in body["errors"]:
                error.setdefault("extensions", {})["code"] = "GRAPHQL_VALIDATION_FAILED"
            return Answer(200, json.dumps(body))
        if operation is None:
            return Answer(
                200,
                json.dumps(
                    _error_body("Operation not found: name the operation to run", "OPERATION_NOT_FOUND")
                ),
            )
        cost = requested_cost(schema, operation, variables)
        if cost > MAX_QUERY_COST:
            body = _error_body(
                f"Query cost is {cost}, which exceeds the single query max cost limit ({MAX_QUERY_COST}).",
                "MAX_COST_EXCEEDED",
            )
            body["extensions"] = {
                "cost": {
                    "requestedQueryCost": cost,
                    "actualQueryCost": None,
                    "throttleStatus": self.bucket.status(),
                }
            }
            return Answer(200, json.dumps(body))
        if not self.bucket.take(cost):
            self.stats.count(throttled=1)
            return Answer(200, json.dumps(self._throttled_body(cost)))
        is_mutation = operation.operation is OperationType.MUTATION
        root = Mutation(self.shop, version, variables) if is_mutation else QueryRoot(self.shop)
        result = execute(
            schema, document, root_value=root, variable_values=variables, operation_name=operation_name
        )
        actual = actual_cost(result.data, is_mutation) if result.data is not None else 0
        actual = min(actual, cost)
        self.bucket.refund(cost - actual)
        self.stats.count(cost_requested=cost, cost_actual=actual)
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        body["data"] = result.data
        body["extensions"] = {
            "cost": {
                "requestedQueryCost": cost,
                "actualQueryCost": actual,
                "throttleStatus": self.bucket.status(),
            }
        }
        return Answer(200, json.dumps(body))


def _idempotency_key(operation: OperationDefinitionNode | None, variables: dict) -> str | None:
    if operation is None:
        return None
    for selection in operation.selection_set.selections:
        for directive in getattr(selection, "directives", None) or ():
            if directive.name.value == "idempotent":
                for argument in directive.arguments:
                    if argument.name.value == "key":
                        try:
                            return value_from_ast_untyped(argument.value, variables)
                        except Exception:  # noqa: BLE001 - a bad variable is reported by execution
                            return None
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a client session reuses its connection
    emulator: Emulator

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read stats, not logs
        pass

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, answer: Answer) -> None:
        if answer.drop:
            # Close without a byte of answer: the client sees a reset / remote disconnect.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if self.emulator.latency:
            time.sleep(self.emulator.latency)
        data = answer.body.encode()
        self.send_response(answer.status)
        headers = {"Content-Type": "application/json; charset=utf-8", **answer.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("X-Request-Id", f"emu-{id(answer):x}")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _version(self, path_match: re.Match | None) -> str | None:
        if path_match is None:
            return None
        try:
            return check_api_version(path_match.group(1))
        except UnsupportedApiVersion:
            return None

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self._read_body()
        path = self.path.split("?", 1)[0]
        graphql = GRAPHQL_PATH.match(path)
        version = self._version(graphql or REST_PATH.match(path))
        if version is None:
            self._send(Answer(404, json.dumps({"errors": "Not Found"})))
            return
        token = self.headers.get("X-Shopify-Access-Token")
        if graphql:
            answer = self.emulator.answer_graphql(version, token, body)
        else:
            answer = self.emulator.rest.answer("POST", path, token == self.emulator._token, body)
        self._send(answer)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        if self._version(REST_PATH.match(path)) is None or GRAPHQL_PATH.match(path):
            self._send(Answer(404, json.dumps({"errors": "Not Found"})))
            return
        token = self.headers.get("X-Shopify-Access-Token")
        self._send(self.emulator.rest.answer("GET", path, token == self.emulator._token, b""))
