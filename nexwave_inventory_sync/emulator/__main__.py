"""Serve an emulated shop until Ctrl-C:

python -m nexwave_inventory_sync.emulator --items 7300 --locations 1 --token T --plan standard
"""

from __future__ import annotations

import argparse
import sys
import threading

from .activity import ShopActivity
from .bucket import PLANS
from .catalog import Catalog
from .oauth import OAuthApp
from .server import Emulator
from .webhooks import WebhookFaults, WebhookSender


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    catalog = (
        Catalog.from_file(args.catalog)
        if args.catalog
        else Catalog.generate(args.items, args.locations, seed=args.seed)
    )
    for name in args.inactive_location:
        catalog.add_location(name, active=False)
    emulator = Emulator(
        catalog,
        access_token=args.token,
        plan=args.plan,
        latency=args.latency_ms / 1000,
        partial_apply=args.partial_apply,
        port=args.port,
        inspect=args.inspect,
        keep_requests=args.keep_requests,
        oauth=_oauth_app(args),
    )
    if args.orders_per_second or args.edits_per_hour:
        attach_activity(emulator, args.orders_per_second, args.edits_per_hour, args.seed)
    sender = _webhook_sender(args, emulator)
    with emulator:
        print(emulator.base_url, flush=True)
        print(
            f"{catalog.variant_count:,} variants x {len(catalog.location_ids)} location(s), plan {args.plan}; "
            f"GraphQL at {emulator.graphql_url()}. Ctrl-C stops.",
            file=sys.stderr,
            flush=True,
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    if sender is not None:
        sender.stop()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nexwave_inventory_sync.emulator", description=__doc__.splitlines()[0]
    )
    _add_shop_options(parser)
    _add_oauth_options(parser)
    _add_webhook_options(parser)
    return parser


def _add_shop_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--items", type=int, default=7300, help="variants to generate (default 7300)")
    parser.add_argument("--locations", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--catalog", help="load the shop from a JSON catalog file instead of generating one")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default="shpat_test_token", help="the access token clients must send")
    parser.add_argument("--plan", choices=sorted(PLANS), default="standard")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    parser.add_argument(
        "--partial-apply", action="store_true", help="apply the good rows of a batch with bad ones"
    )
    parser.add_argument(
        "--inspect",
        action="store_true",
        help="serve GET /__emulator/stats and /__emulator/levels[?items=1,2] (read-only, no token)",
    )
    parser.add_argument(
        "--keep-requests", type=int, default=0, help="keep the last N requests in memory (default none)"
    )
    parser.add_argument(
        "--orders-per-second",
        type=float,
        default=0.0,
        help="seeded Shopify orders at the first location (available down, committed up) while it serves",
    )
    parser.add_argument("--edits-per-hour", type=float, default=0.0, help="seeded admin edits of `available`")
    parser.add_argument(
        "--inactive-location",
        action="append",
        default=[],
        metavar="NAME",
        help="add a deactivated location (repeatable); Fetch Locations marks it inactive",
    )


def _add_oauth_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--client-id", help="serve OAuth for a Dev Dashboard app with this client ID (with --client-secret)"
    )
    parser.add_argument("--client-secret", help="the app's client secret (OAuth)")
    parser.add_argument(
        "--token-lifetime",
        type=float,
        default=None,
        help="seconds an OAuth access token lives (default: Shopify's)",
    )
    parser.add_argument(
        "--other-organization",
        action="store_true",
        help="the shop is not the app's organization's: client credentials are refused (shop_not_permitted)",
    )


def _add_webhook_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--webhook-url", help="send inventory_levels/update webhooks here as levels move")
    parser.add_argument("--webhook-secret", default="", help="the app secret the webhooks are signed with")
    parser.add_argument(
        "--webhook-fault",
        action="append",
        default=[],
        choices=["duplicate", "reorder", "corrupt"],
        help="deliver each webhook twice / newest first / with a wrong signature (repeatable)",
    )
    parser.add_argument("--webhook-delay-s", type=float, default=0.0, help="hold each webhook this long")


def _oauth_app(args: argparse.Namespace) -> OAuthApp | None:
    """The Dev Dashboard app OAuth is served for, when --client-id and --client-secret name one."""
    if not (args.client_id and args.client_secret):
        return None
    oauth = OAuthApp(args.client_id, args.client_secret, own_organization=not args.other_organization)
    if args.token_lifetime:
        oauth.client_credentials_lifetime = oauth.offline_lifetime = args.token_lifetime
    return oauth


def _webhook_sender(args: argparse.Namespace, emulator: Emulator) -> WebhookSender | None:
    """Webhooks to --webhook-url as levels move, started; None without one."""
    if not args.webhook_url:
        return None
    faults = WebhookFaults(
        duplicate="duplicate" in args.webhook_fault,
        reorder="reorder" in args.webhook_fault,
        corrupt="corrupt" in args.webhook_fault,
        delay_s=args.webhook_delay_s,
    )
    return WebhookSender(
        emulator.catalog,
        args.webhook_url,
        args.webhook_secret,
        shop_domain=emulator.shop_domain,
        faults=faults,
    ).start()


def attach_activity(
    emulator: Emulator, orders_per_second: float, edits_per_hour: float, seed: int
) -> ShopActivity:
    """Shop activity on the emulator's own clock, played before each request it answers."""
    catalog = emulator.catalog
    location = catalog.location_ids[0]
    items = [v["inventory_item_id"] for v in catalog.variants if location in v["levels"]]
    emulator.activity = ShopActivity(
        catalog,
        items,
        location,
        seed=seed,
        start=emulator.clock.now(),
        orders_per_second=orders_per_second,
        edits_per_hour=edits_per_hour,
    )
    return emulator.activity


if __name__ == "__main__":
    sys.exit(main())
