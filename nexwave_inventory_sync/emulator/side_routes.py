"""Every route of the emulator besides the GraphQL endpoint: OAuth (token, authorize,
approve), the bulk operation result files, the opt-in inspection route and the few REST
calls the per-item peers make. Mixed into Emulator (server.py), whose parts they use."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qs

from .faults import status_body
from .http_server import JSON, RequestHandler
from .oauth import APPROVE_PATH, AUTHORIZE_PATH, TOKEN_PATH
from .rest import REST_PATH
from .shopify_facts import VERSION_HEADER

GRAPHQL_PATH = re.compile(r"^/admin/api/([^/]+)/graphql\.json$")
_BULK_PATH = re.compile(r"^/bulk-results/(\d+)\.jsonl$")
INSPECT_PREFIX = "/__emulator/"


class SideRoutes:
    """OAuth, bulk result files, inspection and REST (mixed into Emulator)."""

    def _oauth(self, handler: RequestHandler, path: str, query: str, raw: bytes | None) -> bool:
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

    def _handle_other(self, handler: RequestHandler) -> None:
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
        if handler.command == "GET" and not GRAPHQL_PATH.match(path) and self._rest(handler, path, raw):
            return
        handler.answer(404, status_body(404))

    def _inspect(self, handler: RequestHandler, what: str, query: str) -> None:
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

    def _rest(self, handler: RequestHandler, path: str, raw: bytes | None) -> bool:
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
        handler.answer(status, body, JSON, headers)
        return True
