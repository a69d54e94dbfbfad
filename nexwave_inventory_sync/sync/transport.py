"""gql transport over one requests.Session that classifies every answer itself.

gql's RequestsHTTPTransport drops the HTTP status of JSON answers and turns THROTTLED into a
generic TransportQueryError, both of which the retry policy needs; this transport hands the
raw answer to errors.classify_response and raises the typed error instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import requests
from gql.graphql_request import GraphQLRequest
from gql.transport import Transport
from graphql import ExecutionResult

from .. import __version__
from .errors import ConnectionFailed, ShopifyError, classify_response

USER_AGENT = "nexwave_inventory_sync"


class ShopifyTransport(Transport):
    def __init__(self, url: str, access_token: str, *, timeout: tuple[float, float] = (5.0, 60.0)):
        self.url = url
        self._access_token = access_token
        self.timeout = timeout
        self.session: requests.Session | None = None
        # The last answer's headers, as gql's own transports keep them: Test Connection reads
        # X-Shopify-API-Version from here.
        self.response_headers: Mapping[str, str] = {}

    def __repr__(self) -> str:  # never the token
        return f"ShopifyTransport(url={self.url!r})"

    def connect(self) -> None:
        session = requests.Session()
        session.headers.update(
            {
                "X-Shopify-Access-Token": self._access_token,
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": f"{USER_AGENT}/{__version__}",
            }
        )
        # requests retries nothing by default; keep it so: every retry decision is retry.py's.
        self.session = session

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def execute(self, request: GraphQLRequest, *args, **kwargs) -> ExecutionResult:
        if self.session is None:
            raise ShopifyError("transport is not connected")
        try:
            response = self.session.post(self.url, data=json.dumps(request.payload), timeout=self.timeout)
        except requests.Timeout as exc:
            raise ConnectionFailed(f"no answer in time: {type(exc).__name__}") from None
        except requests.ConnectionError as exc:
            raise ConnectionFailed(f"connection failed: {type(exc).__name__}") from None
        self.response_headers = response.headers  # case-insensitive
        body, error = classify_response(response.status_code, response.headers, response.text)
        if error is not None:
            raise error
        assert body is not None
        return ExecutionResult(data=body.get("data"), errors=None, extensions=body.get("extensions"))
