"""The store as an admin meets it, in Debian's Chromium driven by Selenium: log in, create a
store pointed at the emulator, Test Connection, Fetch Locations, map a warehouse, Sync
Inventory (progress dialog, end alert), open the log and read its counts (items not on Shopify
on their own line), the store's health and the workspace (Frappe 16: its desktop icon), the
kill switch's message, a Shopify Manager's workspace, and a user without write permission who
sees no button. Screenshots of the main
steps go to docs/screens/ (or --screens). Run by scripts/browser-test.sh, which starts the servers.

Every step asserts what the admin would see; the first failure of any kind stops the walk with
a screenshot named after the step. The browser and its helpers are in walk.py, the steps in
the steps_*.py modules: a new module's STEPS go in the list below."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import steps_access
import steps_catalog
import steps_connect
import steps_health
import steps_setup
import steps_sync
from walk import SCREENS, Walk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--bench", required=True)
    parser.add_argument("--site", required=True)
    parser.add_argument("--shop", default="desk-demo.myshopify.com")
    parser.add_argument("--token", required=True)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--admin-password", default=os.environ.get("ADMIN_PASSWORD", "admin"))
    parser.add_argument("--viewer", default="shopify-viewer@example.com")
    parser.add_argument("--viewer-password", default="viewer-Pass-123")
    parser.add_argument("--manager", default="shopify-manager@example.com")
    parser.add_argument("--manager-password", default="manager-Pass-123")
    parser.add_argument(
        "--offline-items",
        default="DESK-OFFLINE-1,DESK-OFFLINE-2,DESK-OFFLINE-3",
        help="the stock items the shop does not sell (comma-separated)",
    )
    parser.add_argument("--newest-version", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--screens", type=Path, default=SCREENS, help="where the screenshots go")
    steps_connect.add_arguments(parser)
    args = parser.parse_args()
    args.offline_item_codes = [code for code in args.offline_items.split(",") if code]
    args.offline_items = len(args.offline_item_codes)

    steps = [
        *steps_setup.STEPS,
        *steps_sync.STEPS,
        *steps_health.STEPS,
        ("kill-switch", steps_sync.kill_switch),
        *steps_access.STEPS,
    ]
    walk = Walk(args)
    print("Browser walkthrough:", flush=True)
    walk.run(steps)
    # Issue 18's catalog and issue 16's connect steps, each in a browser of its own.
    for module in (steps_catalog, steps_connect):
        more = Walk(args)
        module.run(more)
        walk.steps += more.steps
    print(f"PASSED: {len(walk.steps)} steps; screenshots in {args.screens}/", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
