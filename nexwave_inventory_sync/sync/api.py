"""The engine's public face: everything the ERPNext side, the CLI and the doctype controllers
use, in one place. They import the engine from here alone (`from ..sync.api import ...`;
test_engine_api fails on any other `sync.<module>` import outside sync/), so the modules behind
it may move. No engine module imports this one: it imports them.

The rest of sync/ is the engine's inside: how a run prepares, batches, sends and accounts
(options, prepare, feed, sender, stale_ids, after_batches, checkpoints, tally, run_result),
how one call is paced and retried (client, transport, throttle, retry) and what it sends
(documents, push, settle, resolve, levels, bulk)."""

from __future__ import annotations

from . import webhooks
from .auth import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    GrantEndpoint,
    RenewingProvider,
    Token,
    TokenProvider,
    client_credentials_grant,
    exchange_authorization_code,
    redirect_hmac,
    redirect_signed,
    refresh_token_grant,
    token_url,
)
from .client import CallFailed, RunAborted
from .conflicts import DEFAULT_POLICY, ConflictPolicy, keeps_held
from .delta import ConfirmedLevel, DeltaSelection, LevelKey, row_key, select_delta, unsettled_rows, zeroed
from .drift import SHORTFALL_MIN_AGE_S, LevelDrift
from .endpoint import EndpointError, ShopifyEndpoint, check_endpoint_override, normalize_shop_domain
from .errors import AuthGrantError, EngineError, ErrorKind, ShopifyError
from .ids import IdError, to_gid
from .in_flight import InFlightCheck, InFlightLevel, check_in_flight
from .options import SyncOptions
from .preview import preview_rows, read_current
from .preview_in_flight import levels_after_check, summarise, with_in_flight_notes
from .quantity import QuantityError, check_safety_buffer, item_figure, shopify_quantity
from .reconcile import ReconcileOptions, ReconciliationResult, reconcile
from .resolve_rows import ResolvedRows, resolve_rows
from .results import Checkpoint, Resolution, RowFailure, RunResult, RunStatus, StockRow, commonest_failure
from .run import sync_inventory
from .settle import NOT_STOCKED
from .shop_info import (
    REQUIRED_SCOPES,
    ConnectionReport,
    ShopInfoError,
    ShopLocation,
    check_connection,
    fetch_locations,
)
from .versions import DEFAULT_API_VERSION, UnsupportedApiVersion, check_api_version, supported_api_versions
from .webhooks import ALL_LOCATIONS, MAX_BODY_BYTES, Verdict, sign

__all__ = [
    # a push: rows in, RunResult out (run.py, options.py, results.py)
    "sync_inventory",
    "SyncOptions",
    "StockRow",
    "RunResult",
    "RunStatus",
    "RowFailure",
    "Checkpoint",
    "Resolution",
    "commonest_failure",
    "NOT_STOCKED",
    # what to push: delta runs, the crash rule, conflicts, the quantity rule
    "select_delta",
    "unsettled_rows",
    "zeroed",
    "row_key",
    "ConfirmedLevel",
    "DeltaSelection",
    "LevelKey",
    "InFlightLevel",
    "InFlightCheck",
    "check_in_flight",
    "ConflictPolicy",
    "keeps_held",
    "DEFAULT_POLICY",
    "shopify_quantity",
    "item_figure",
    "check_safety_buffer",
    "QuantityError",
    # ids without a push, a dry run, a reconciliation
    "resolve_rows",
    "ResolvedRows",
    "preview_rows",
    "read_current",
    "levels_after_check",
    "summarise",
    "with_in_flight_notes",
    "reconcile",
    "ReconcileOptions",
    "ReconciliationResult",
    "LevelDrift",
    "SHORTFALL_MIN_AGE_S",
    # where and how to connect
    "ShopifyEndpoint",
    "EndpointError",
    "normalize_shop_domain",
    "check_endpoint_override",
    "to_gid",
    "IdError",
    "DEFAULT_API_VERSION",
    "check_api_version",
    "supported_api_versions",
    "UnsupportedApiVersion",
    "check_connection",
    "fetch_locations",
    "ConnectionReport",
    "ShopLocation",
    "ShopInfoError",
    "REQUIRED_SCOPES",
    # tokens (auth.py)
    "TokenProvider",
    "RenewingProvider",
    "Token",
    "GrantEndpoint",
    "CLIENT_CREDENTIALS",
    "AUTHORIZATION_CODE",
    "client_credentials_grant",
    "exchange_authorization_code",
    "refresh_token_grant",
    "redirect_signed",
    "redirect_hmac",
    "token_url",
    # Shopify's webhooks (the module, and the names the receiver uses)
    "webhooks",
    "Verdict",
    "ALL_LOCATIONS",
    "MAX_BODY_BYTES",
    "sign",
    # the error tree
    "EngineError",
    "ErrorKind",
    "ShopifyError",
    "AuthGrantError",
    "CallFailed",
    "RunAborted",
]
