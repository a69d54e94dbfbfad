"""`nexwave-sync`: the demo on the embedded emulator, and a CSV push to a real store."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..sync.api import DEFAULT_API_VERSION, DEFAULT_POLICY, ConflictPolicy, SyncOptions
from .credentials import CLIENT_ID_ENV, CLIENT_SECRET_ENV, TOKEN_ENV
from .demo import run_demo
from .exit_codes import EXIT_SIGINT
from .push import delta_push, run_push
from .reconcile import run_reconcile_command
from .stock_csv import DEFAULT_ENCODING

# delta_push is also importable from here, where it lived before the CLI was split (the defect
# reproductions in ../shared/repro import it so).
__all__ = ["build_parser", "delta_push", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nexwave-sync", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    _add_demo(commands)
    _add_push(commands)
    _add_reconcile(commands)
    return parser


def _add_demo(commands) -> None:
    demo = commands.add_parser(
        "demo", help="cold and warm sync of a generated catalog against the embedded Shopify emulator"
    )
    demo.add_argument(
        "--items",
        type=int,
        default=7300,
        help="variants in the emulated shop (default 7300, the seed's store)",
    )
    demo.add_argument("--locations", type=int, default=1)
    demo.add_argument("--latency-ms", type=float, default=0.0, help="added to every emulated answer")
    # Plus by default: a cold 7,300-item resolution costs ~15,000 points, which a Standard
    # bucket (2,000 at 100/s) paces over ~2 minutes; --plan standard shows that pacing.
    demo.add_argument("--plan", choices=("standard", "plus"), default="plus")
    demo.add_argument("--api-version", default=DEFAULT_API_VERSION)
    demo.add_argument("--concurrency", type=int, default=SyncOptions().concurrency)
    demo.add_argument("--seed", type=int, default=1)
    demo.set_defaults(handler=run_demo)


def _add_push(commands) -> None:
    push = commands.add_parser(
        "push",
        help=f"push a CSV of sku,location_id,quantity; the token comes from ${TOKEN_ENV}, "
        f"or ${CLIENT_ID_ENV} and ${CLIENT_SECRET_ENV} (client credentials)",
    )
    push.add_argument("--shop", required=True, help="your-shop.myshopify.com")
    push.add_argument("--stock", required=True, help="CSV with header sku,location_id,quantity")
    push.add_argument("--api-version", default=DEFAULT_API_VERSION)
    push.add_argument(
        "--endpoint", help="base URL of an emulator on loopback, e.g. http://127.0.0.1:8080 (tests and demos)"
    )
    push.add_argument("--full", action="store_true", help="push every row, not only the changed ones")
    push.add_argument(
        "--no-zero",
        action="store_true",
        help="leave items that are no longer in the file as Shopify has them",
    )
    push.add_argument(
        "--dry-run", action="store_true", help="show what would be sent (one read of Shopify), send nothing"
    )
    _common_options(push)
    push.set_defaults(handler=run_push)


def _add_reconcile(commands) -> None:
    reconcile = commands.add_parser(
        "reconcile",
        help="compare Shopify's figures with a CSV, report the drift, and with --correct fix it",
    )
    reconcile.add_argument("--shop", required=True, help="your-shop.myshopify.com")
    reconcile.add_argument("--stock", required=True, help="CSV with header sku,location_id,quantity")
    reconcile.add_argument("--tolerance", type=int, default=0, help="units of difference that are not drift")
    reconcile.add_argument("--correct", action="store_true", help="push the drifted rows (compare-and-set)")
    reconcile.add_argument("--report", help="write every drifted row to this CSV")
    reconcile.add_argument("--read", choices=("auto", "pages", "bulk"), default="auto")
    reconcile.add_argument("--api-version", default=DEFAULT_API_VERSION)
    reconcile.add_argument("--endpoint", help="base URL of an emulator on loopback (tests and demos)")
    _common_options(reconcile)
    reconcile.set_defaults(handler=run_reconcile_command)


def _common_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--state",
        help="SQLite file of resolved ids and confirmed levels (default ~/.local/state/nexwave-sync/state.sqlite3)",
    )
    command.add_argument(
        "--conflict",
        choices=[p.value for p in ConflictPolicy],
        default=DEFAULT_POLICY.value,
        help="when Shopify's figure moved since it was confirmed (default: %(default)s)",
    )
    command.add_argument(
        "--quantity",
        choices=("available", "on_hand"),
        default="available",
        help="the Shopify quantity the CSV sets",
    )
    command.add_argument(
        "--safety-buffer", type=float, default=0, help="units held back from Shopify per row (0 or more)"
    )
    command.add_argument(
        "--encoding",
        default=DEFAULT_ENCODING,
        help="the CSV's text encoding (default UTF-8; a file saved by Excel may need cp1252)",
    )
    command.add_argument(
        "--deadline",
        type=float,
        default=None,
        help="seconds a push may take; rows not sent by then are listed and the exit code is 2",
    )
    command.add_argument("--concurrency", type=int, default=SyncOptions().concurrency)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:  # outside a push's batches (reading the file, a reconciliation)
        print("\ninterrupted", file=sys.stderr)
        return EXIT_SIGINT


if __name__ == "__main__":
    sys.exit(main())
