"""The HTTP side: POST /admin/api/{version}/graphql.json on 127.0.0.1, keep-alive, token
check, fault injection and latency, all in front of the Executor."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from .bucket import LeakyBucket, Plan, plan_named
from .bulk import BulkOperations
from .catalog import Catalog
from .clock import SystemClock
from .executor import Answer, Executor, operation_name_of
from .faults import Fault, FaultPlan, status_body
from .oauth import APPROVE_PATH, AUTHORIZE_PATH, TOKEN_PATH, OAuthApp, OAuthServer
from .rest import REST_PATH, RestApi
from .shop_profile import ShopProfile
from .shopify_facts import MAX_QUANTITIES_PER_SET, NEWEST_STABLE_VERSION, VERSION_HEADER
from .shopify_facts import served_version as _served_version
from .stats import EmulatorStats

_GRAPHQL_PATH = re.compile(r"^/admin/api/([^/]+)/graphql\.json$")
_BULK_PATH = re.compile(r"^/bulk-results/(\d+)\.jsonl$")
_JSON = "application/json; charset=utf-8"
_MAX_BODY = 16 * 1024 * 1024
_LOOPBACK = ("127.0.0.1", "localhost")
INSPECT_PREFIX = "/__emulator/"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: Emulator):
        self.emulator = emulator
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address):  # type: ignore[override]
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):  # type: ignore[override]
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        """Wake handler threads parked on idle keep-alive connections, so stop() is prompt."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a requests.Session reuses its connection
    server_version = "ShopifyEmulator/1.0"
    timeout = 120  # an idle keep-alive connection is closed after this
    # Headers and body go out in two writes; with Nagle on, the second waits for the
    # client's delayed ACK (~40 ms a call on Linux).
    disable_nagle_algorithm = True

    server: _Server

    def do_POST(self) -> None:
        self.server.emulator._handle_post(self)

    def do_GET(self) -> None:
        self.server.emulator._handle_other(self)

    do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read stats instead
        pass

    # -- writing -------------------------------------------------------------------------
    def answer(
        self, status: int, body: str, content_type: str = _JSON, headers: dict[str, str] | None = None
    ) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Request-Id", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def answer_truncated(self, status: int, body: str, keep: int) -> None:
        """Announce the whole body, send `keep` bytes of it, and close the connection."""
        data = body.encode("utf-8")
        self.close_connection = True
        try:
            self.send_response(status)
            self.send_header("Content-Type", _JSON)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: max(0, min(keep, len(data) - 1))])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def drop(self) -> None:
        """Close without a byte of answer, as a reset or a proxy timeout would."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def read_body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit() or int(length) > _MAX_BODY:
            return None
        return self.rfile.read(int(length))


class Emulator:
    """The Shopify Admin GraphQL API, as far as an inventory push touches it, on loopback.

    Use as a context manager, or start() / stop(). The endpoint is graphql_url(version).
    """

    def __init__(
        self,
        catalog: Catalog,
        access_token: str = "shpat_test_token",
        shop_domain: str = "emulated-shop.myshopify.com",
        plan: str | Plan = "standard",
        clock: Any = None,
        latency: float = 0.0,
        partial_apply: bool = False,
        max_batch: int = MAX_QUANTITIES_PER_SET,
        host: str = "127.0.0.1",
        port: int = 0,
        keep_requests: bool | int = True,
        inspect: bool = False,
        profile: ShopProfile | None = None,
        oauth: OAuthApp | None = None,
    ):
        if host not in _LOOPBACK:
            # The emulator accepts any client that knows the token over plain http: loopback only.
            raise ValueError(f"the emulator serves on loopback only, not {host!r}")
        self.catalog = catalog
        self._access_token = access_token
        self.shop_domain = shop_domain
        self.plan = plan_named(plan)
        self.plan_name = plan if isinstance(plan, str) else "custom"
        self.host = host
        self.clock = clock or SystemClock()
        self.latency = float(latency)
        self.port = port
        # keep_requests=True keeps the last REQUEST_HISTORY requests (bounded, so a long-running
        # emulator never grows); an int keeps that many; False none.
        self.stats = EmulatorStats(keep_requests=keep_requests)
        # Opt-in read-only route GET /__emulator/{stats,levels} for looking in from outside.
        self.inspect = inspect
        # Shop name, plan, granted scopes, oldest served version (Test Connection).
        self.profile = profile or ShopProfile.for_plan(self.plan_name)
        self.faults = FaultPlan()
        self.bucket = LeakyBucket(self.plan, self.clock)
        self.executor = Executor(
            catalog,
            self.bucket,
            self.stats,
            shop_domain=shop_domain,
            partial_apply=partial_apply,
            max_batch=max_batch,
            profile=self.profile,
        )
        self.rest = RestApi(catalog, self.stats, self.plan_name, self.clock, shop_domain)
        self.bulk = BulkOperations(self.clock, self.executor.run_bulk_query, self._bulk_url)
        self.executor.bulk_operations = self.bulk
        # Shop activity (orders, restocks, admin edits) played up to the clock's time before
        # each request; `virtual_latency` advances a FakeClock per request so activity also
        # happens during a run.
        self.activity: Any = None
        self.virtual_latency = 0.0
        # Documented: idempotency keys are kept 24 hours ("Implementing idempotency",
        # https://shopify.dev/docs/api/usage/implementing-idempotency: the retention window).
        self.executor.idempotency.clock = self.clock
        # OAuth (emulator/oauth.py): tokens that grants issue and that expire. The pasted
        # `access_token` is still accepted beside them (a legacy custom app's token).
        self.oauth = OAuthServer(oauth, self.clock, shop_domain) if oauth is not None else None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:  # never the token
        return f"Emulator({self.shop_domain!r}, plan={self.plan}, url={self.base_url if self._server else None!r})"

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> Emulator:
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="shopify-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start()")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def graphql_url(self, version: str = NEWEST_STABLE_VERSION) -> str:
        return f"{self.base_url}/admin/api/{version}/graphql.json"

    # -- test helpers --------------------------------------------------------------------
    def drain_bucket(self, to: float = 0.0) -> None:
        """Empty the cost bucket, as another app on the same shop would."""
        self.bucket.drain(to)

    def throttle_status(self) -> dict:
        return self.bucket.throttle_status()

    # -- requests ------------------------------------------------------------------------
    def _bulk_url(self, number: int) -> str:
        # A signed storage URL on Shopify; any GET without the token fetches it.
        return f"{self.base_url}/bulk-results/{number}.jsonl"

    def _authorized(self, token: str | None) -> bool:
        if token is not None and token == self._access_token:
            return True
        return self.oauth is not None and self.oauth.check(token) == "ok"

    def _oauth(self, handler: _Handler, path: str, query: str, raw: bytes | None) -> bool:
        """The OAuth routes; False when the path is not one of them."""
        if self.oauth is None or path not in (TOKEN_PATH, AUTHORIZE_PATH, APPROVE_PATH):
            return False
        if path == TOKEN_PATH and handler.command == "POST":
            status, body = self.oauth.token_request(raw, handler.headers.get("Content-Type", ""))
            handler.answer(status, json.dumps(body))
        elif path == AUTHORIZE_PATH and handler.command == "GET":
            status, page = self.oauth.authorize_page(query)
            handler.answer(status, page, "text/html; charset=utf-8")
        elif path == APPROVE_PATH and handler.command == "GET":
            handler.answer(302, "", "text/html; charset=utf-8", {"Location": self.oauth.approve(query)})
        else:
            handler.answer(405, json.dumps({"errors": "Method Not Allowed"}))
        return True

    def _handle_other(self, handler: _Handler) -> None:
        raw = handler.read_body()
        path, _, query = handler.path.partition("?")
        if self._oauth(handler, path, query, raw):
            return
        bulk = _BULK_PATH.match(path)
        if handler.command == "GET" and bulk:
            number = int(bulk.group(1))
            body = self.bulk.file(number)
            fault = self.bulk.download_fault(number)
            if body is None:
                handler.answer(404, status_body(404))
            elif fault is not None and fault[0] == "status":
                handler.answer(fault[1], status_body(fault[1]))
            elif fault is not None and fault[0] == "cut_off":
                # Cut inside a line: the whole length announced, half of it sent.
                handler.answer_truncated(200, body.decode(), len(body) // 2 + 1)
            else:
                handler.answer(200, body.decode(), "application/jsonl")
            return
        if handler.command == "GET" and self.inspect and path.startswith(INSPECT_PREFIX):
            self._inspect(handler, path[len(INSPECT_PREFIX) :], query)
            return
        if handler.command == "GET" and not _GRAPHQL_PATH.match(path) and self._rest(handler, path, raw):
            return
        handler.answer(404, status_body(404))

    def _inspect(self, handler: _Handler, what: str, query: str) -> None:
        """Counters, bucket and levels, for a person or a script looking at a running emulator.
        Needs no token: it is opt-in and the emulator serves loopback only."""
        if what == "stats":
            body = {**self.stats.snapshot(), "throttle_status": self.bucket.throttle_status()}
            handler.answer(200, json.dumps(body))
            return
        if what == "levels":
            params = parse_qs(query)
            wanted = [w for v in params.get("items", []) for w in v.split(",") if w.strip()]
            limit = int((params.get("limit") or ["1000"])[0] or 1000)
            levels: dict[str, dict[str, int]] = {}
            with self.catalog.lock:
                variants = (self.catalog.variant(w) for w in wanted) if wanted else self.catalog.variants
                for variant in variants:
                    if variant is None:
                        continue
                    levels[variant["inventory_item_id"]] = dict(variant["levels"])
                    if len(levels) >= limit:
                        break
            handler.answer(200, json.dumps({"levels": levels}))
            return
        handler.answer(404, status_body(404))

    @staticmethod
    def served_version(requested: str) -> str | None:
        """The version that answers a request for `requested`, or None (404).

        Documented: a request for a version that is no longer supported is answered by the
        oldest supported stable version ("falls forward"), and the X-Shopify-API-Version header
        says which version answered (https://shopify.dev/docs/api/usage/versioning). What
        Shopify does with a well-formed but never-released or future name is a guess: 404."""
        return _served_version(requested)

    def _rest(self, handler: _Handler, path: str, raw: bytes | None) -> bool:
        """The old connector's REST calls (benchmark only); False when the path is not REST."""
        match = REST_PATH.match(path)
        if match is None:
            return False
        served = self.served_version(match.group(1))
        if served is None:
            return False
        authorized = self._authorized(handler.headers.get("X-Shopify-Access-Token"))
        # A REST call moves virtual time as a GraphQL one does, so a per-item loop against a
        # FakeClock sees REST's bucket leak during its run (2 requests a second on Standard).
        self._play_activity()
        status, body, headers = self.rest.answer(handler.command, match.group(2), authorized, raw)
        headers = {**headers, VERSION_HEADER: served}
        if self.latency > 0:
            time.sleep(self.latency)
        handler.answer(status, body, _JSON, headers)
        return True

    def _handle_post(self, handler: _Handler) -> None:
        path, _, query = handler.path.partition("?")
        match = _GRAPHQL_PATH.match(path)
        raw = handler.read_body()
        if match is None and self._oauth(handler, path, query, raw):
            return
        if match is None:
            if not self._rest(handler, path, raw):
                handler.answer(404, status_body(404))
            return
        version = self.served_version(match.group(1))
        if version is None:
            handler.answer(404, status_body(404))
            return
        # The shop's own oldest version (ShopProfile, Test Connection) falls forward too.
        version = self.profile.served_version(version)

        try:
            payload = json.loads(raw) if raw is not None else None
        except (ValueError, UnicodeDecodeError):
            payload = None
        operation = operation_name_of(payload)
        self.stats.count_call(operation)
        self._play_activity()
        record = {
            "operation": operation,
            "variables": payload.get("variables") if isinstance(payload, dict) else None,
            "api_version": version,
            "idempotency_key": self.executor.peek_idempotency_key(version, payload),
            "status": None,
        }
        self.stats.record(record)

        if not self._authorized(handler.headers.get("X-Shopify-Access-Token")):
            # An expired token gets the body of an unknown one (a guess: Shopify documents no other).
            self._reply(handler, record, 401, status_body(401))
            return
        if raw is None:
            self._reply(handler, record, 411, json.dumps({"errors": "Length Required"}))
            return
        if payload is None:
            self._reply(
                handler, record, 400, json.dumps({"errors": "Bad Request: the body is not valid JSON"})
            )
            return

        key = record["idempotency_key"]
        fault = self.faults.next_for(operation)
        if fault is not None:
            self.stats.add(faults_injected=1)
            if fault.kind == "concurrent_request":
                self._reply(
                    handler, record, 200, json.dumps(self.executor.concurrent_request()), version=version
                )
                return
        # A key is "in progress" from the moment its request arrives until it is answered, so a
        # retry that overtakes a slow first attempt meets IDEMPOTENCY_CONCURRENT_REQUEST (the
        # code is documented; when Shopify starts and stops counting a request is a guess).
        if key is not None and not self.executor.idempotency.begin(key):
            self._reply(handler, record, 200, json.dumps(self.executor.concurrent_request()), version=version)
            return
        try:
            if fault is not None and self._inject(handler, record, fault, payload):
                return
            answer = self.executor.run(version, payload)
        finally:
            if key is not None:
                self.executor.idempotency.end(key)
        if fault is not None and fault.kind == "drop_after_apply":
            handler.drop()
            return
        if fault is not None and fault.kind == "truncated":
            record["status"] = answer.status
            handler.answer_truncated(answer.status, json.dumps(answer.body), int(fault.seconds))
            return
        self._send(handler, record, answer, version)

    def _play_activity(self) -> None:
        if self.virtual_latency and hasattr(self.clock, "advance"):
            self.clock.advance(self.virtual_latency)
        if self.activity is not None:
            self.activity.play_until(self.clock.now())

    def _inject(self, handler: _Handler, record: dict, fault: Fault, payload: Any) -> bool:
        """Act out a fault; True when the request is finished with."""
        if fault.kind == "drop":
            handler.drop()
            return True
        if fault.kind == "delay":
            time.sleep(fault.seconds)  # real time: the client's read timeout is real too
            return False
        if fault.kind == "throttled":
            requested = self.executor.requested_cost(record["api_version"], payload)
            self._reply(handler, record, 200, json.dumps(self.executor.throttled(requested)))
            return True
        if fault.kind == "graphql_error":
            self._reply(handler, record, 200, fault.body or "{}", version=record["api_version"])
            return True
        if fault.kind == "redirect":
            self._reply(handler, record, fault.code, "", headers={"Location": fault.body or "/"})
            return True
        if fault.kind in ("status", "html", "invalid_json"):
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else None
            self._reply(handler, record, fault.code, fault.body or "", fault.content_type, headers)
            return True
        return False  # drop_after_apply, truncated: run first, then cut the answer

    def _send(self, handler: _Handler, record: dict, answer: Answer, version: str | None = None) -> None:
        self._reply(handler, record, answer.status, json.dumps(answer.body), version=version)

    def _reply(
        self,
        handler: _Handler,
        record: dict,
        status: int,
        body: str,
        content_type: str = _JSON,
        headers: dict[str, str] | None = None,
        version: str | None = None,
    ) -> None:
        if version is not None:
            headers = {**(headers or {}), VERSION_HEADER: version}
        if self.latency > 0:
            time.sleep(self.latency)  # real time, so benchmarks see it; virtual time stands still
        record["status"] = status
        # Shopify names the version that served every Admin API answer (documented header).
        headers = {VERSION_HEADER: record["api_version"], **(headers or {})}
        try:
            handler.answer(status, body, content_type, headers)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True
