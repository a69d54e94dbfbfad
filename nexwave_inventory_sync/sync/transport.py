"""gql transport over one requests.Session that classifies every answer itself.

gql's RequestsHTTPTransport drops the HTTP status of JSON answers and turns THROTTLED into a
generic TransportQueryError, both of which the retry policy needs; this transport hands the
raw answer to errors.classify_response and raises the typed error instead. Whatever the
network does (refused, unresolvable, TLS, cut-off body, a redirect) comes out as a
ShopifyError with words a person can act on, never as a requests exception.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import requests
from gql.graphql_request import GraphQLRequest
from gql.transport import Transport
from graphql import ExecutionResult

from .. import __version__
from .auth import StaticToken, TokenProvider
from .errors import BadResponse, ShopifyError, classify_response
from .network_errors import USER_AGENT, transport_error


class ShopifyTransport(Transport):
    """`credentials`: a pasted token, or a TokenProvider asked for the token before every call
    (a renewing one may have replaced it since the last call)."""

    def __init__(
        self, url: str, credentials: str | TokenProvider, *, timeout: tuple[float, float] = (5.0, 60.0)
    ):
        self.url = url
        self._provider: TokenProvider = (
            StaticToken(credentials) if isinstance(credentials, str) else credentials
        )
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
        # May renew (a grant) when the token is near its expiry; raises AuthGrantError if no
        # token can be had. The serial goes on a 401 so the client can renew that one token.
        issued = self._provider.current()
        try:
            # No redirects: requests would carry X-Shopify-Access-Token to whatever host a 3xx
            # names (it strips only Authorization). A 3xx is classified, never followed.
            response = self.session.post(
                self.url,
                data=json.dumps(request.payload),
                timeout=self.timeout,
                allow_redirects=False,
                headers={"X-Shopify-Access-Token": issued.value},
            )
            text = response.text
        except requests.RequestException as exc:
            raise transport_error(exc, self.url) from None
        self.response_headers = response.headers  # case-insensitive
        try:
            body, error = classify_response(response.status_code, response.headers, text)
        except Exception as exc:  # a body no rule foresaw must still fail as a bad answer
            raise BadResponse(f"Shopify's answer could not be read: {type(exc).__name__}: {exc}") from None
        if error is not None:
            error.token_serial = issued.serial
            raise error
        assert body is not None
        return ExecutionResult(data=body.get("data"), errors=None, extensions=body.get("extensions"))
