"""What `push` and `reconcile` make of their arguments: the endpoint, the stock rows and the
run's options, every mistake reported in one line before anything is sent."""

from __future__ import annotations

import argparse
import os
import sys

from ..sync.api import (
    ConflictPolicy,
    EndpointError,
    ShopifyEndpoint,
    StockRow,
    SyncOptions,
    UnsupportedApiVersion,
    check_safety_buffer,
)
from .credentials import CLIENT_ID_ENV, CLIENT_SECRET_ENV, MISSING, TOKEN_ENV, endpoint_from_env
from .exit_codes import EXIT_ABORTED
from .stock_csv import StockFileError, read_stock_csv


def endpoint_and_rows(args: argparse.Namespace) -> tuple[ShopifyEndpoint, list[StockRow]] | int:
    if not os.environ.get(TOKEN_ENV, "").strip() and not (
        os.environ.get(CLIENT_ID_ENV, "").strip() and os.environ.get(CLIENT_SECRET_ENV, "").strip()
    ):
        print(f"error: {MISSING}", file=sys.stderr)
        return EXIT_ABORTED
    try:
        check_safety_buffer(args.safety_buffer)
        if args.deadline is not None and args.deadline <= 0:
            raise ValueError(f"--deadline must be a positive number of seconds, not {args.deadline}")
        endpoint = endpoint_from_env(args.shop, args.api_version, args.endpoint, os.environ)
        # The whole file, checked before anything is pushed: a delta needs every row to know
        # which confirmed items left the file (zeroing), so it is not streamed.
        rows = read_stock_csv(args.stock, args.encoding)
    except (EndpointError, UnsupportedApiVersion, StockFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ABORTED
    return endpoint, rows


def sync_options(args: argparse.Namespace) -> SyncOptions:
    return SyncOptions(
        safety_buffer=args.safety_buffer,
        concurrency=args.concurrency,
        conflict_policy=ConflictPolicy.parse(args.conflict),
        quantity_name=args.quantity,
        deadline_s=args.deadline,
    )
