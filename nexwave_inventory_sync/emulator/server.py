"""The emulated shop on 127.0.0.1: POST /admin/api/{version}/graphql.json with its token
check, fault injection, idempotency keys in progress and latency, all in front of the
Executor. The other routes (OAuth, bulk result files, inspection, REST) are in
side_routes.py, the HTTP plumbing in http_server.py."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from .bucket import LeakyBucket, Plan, plan_named
from .bulk import BulkOperations
from .catalog import Catalog
from .clock import SystemClock
from .executor import Answer, Executor, operation_name_of
from .faults import Fault, FaultPlan, status_body
from .http_server import JSON, EmulatorHTTPServer, RequestHandler
from .oauth import OAuthApp, OAuthServer
from .rest import RestApi
from .shop_profile import ShopProfile
from .shopify_facts import MAX_QUANTITIES_PER_SET, NEWEST_STABLE_VERSION, VERSION_HEADER
from .shopify_facts import served_version as _served_version
from .side_routes import GRAPHQL_PATH, SideRoutes
from .stats import EmulatorStats

_LOOPBACK = ("127.0.0.1", "localhost")


class Emulator(SideRoutes):
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
        """Wire the shop's parts once. Longer than 60 lines only by its keyword arguments and
        the comment on each part; splitting it would scatter what an Emulator is made of."""
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
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:  # never the token
        return f"Emulator({self.shop_domain!r}, plan={self.plan}, url={self.base_url if self._server else None!r})"

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> Emulator:
        if self._server is not None:
            return self
        self._server = EmulatorHTTPServer((self.host, self.port), self)
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

    @staticmethod
    def served_version(requested: str) -> str | None:
        """The version that answers a request for `requested`, or None (404).

        Documented: a request for a version that is no longer supported is answered by the
        oldest supported stable version ("falls forward"), and the X-Shopify-API-Version header
        says which version answered (https://shopify.dev/docs/api/usage/versioning). What
        Shopify does with a well-formed but never-released or future name is a guess: 404."""
        return _served_version(requested)

    def _handle_post(self, handler: RequestHandler) -> None:
        path, _, query = handler.path.partition("?")
        match = GRAPHQL_PATH.match(path)
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
        self._graphql(handler, self.profile.served_version(version), raw)

    def _graphql(self, handler: RequestHandler, version: str, raw: bytes | None) -> None:
        """A GraphQL request to a served version: counted and recorded, then refused (token,
        body) or run."""
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
        self._run_graphql(handler, record, payload, version)

    def _run_graphql(self, handler: RequestHandler, record: dict, payload: Any, version: str) -> None:
        """Run an accepted request, acting out the fault planned for it, and answer."""
        key = record["idempotency_key"]
        fault = self.faults.next_for(record["operation"])
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

    def _inject(self, handler: RequestHandler, record: dict, fault: Fault, payload: Any) -> bool:
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

    def _send(
        self, handler: RequestHandler, record: dict, answer: Answer, version: str | None = None
    ) -> None:
        self._reply(handler, record, answer.status, json.dumps(answer.body), version=version)

    def _reply(
        self,
        handler: RequestHandler,
        record: dict,
        status: int,
        body: str,
        content_type: str = JSON,
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
