"""The app as Frappe's desk shows it: on Frappe 16 the desktop icon opening the Shopify
Inventory workspace is the app's own (its logo, tied to the app), not the grey letter Frappe
generates for a workspace; on both versions the apps screen lists the app with its logo and a
route into the desk."""

from __future__ import annotations

import re
from pathlib import Path

import frappe

from nexwave_inventory_sync.testing.compat import IntegrationTestCase

APP = Path(frappe.get_app_path("nexwave_inventory_sync"))
FRAPPE_MAJOR = int(frappe.__version__.split(".")[0])


def asset_file(url: str) -> Path:
    """The file behind /assets/nexwave_inventory_sync/... (the app's public folder)."""
    prefix = "/assets/nexwave_inventory_sync/"
    assert url.startswith(prefix), url
    return APP / "public" / url[len(prefix) :]


class TestDeskIcon(IntegrationTestCase):
    def test_the_apps_screen_lists_the_app_with_its_logo_and_a_desk_route(self):
        from frappe.apps import get_apps, is_desk_apps

        (entry,) = frappe.get_hooks("add_to_apps_screen", app_name="nexwave_inventory_sync")
        self.assertTrue(asset_file(entry["logo"]).is_file())
        self.assertTrue(entry["route"].endswith("/shopify-inventory"))
        # A route outside the desk would send every login to the apps screen.
        self.assertTrue(is_desk_apps([entry]), entry["route"])
        frappe.set_user("Administrator")
        self.assertIn("nexwave_inventory_sync", [app["name"] for app in get_apps()])

    def test_frappe_16_desktop_icon_is_the_apps_own(self):
        if FRAPPE_MAJOR < 16:
            self.skipTest("Frappe 15 has no desktop icons")
        icon = frappe.get_doc("Desktop Icon", "Shopify Inventory")
        self.assertEqual(
            (icon.app, icon.icon_type, icon.link_type, icon.link_to, icon.hidden),
            ("nexwave_inventory_sync", "Link", "Workspace Sidebar", "Shopify Inventory", 0),
        )
        self.assertTrue(asset_file(icon.logo_url).is_file())
        # Frappe's desktop draws assets/<app>/icons/desktop_icons/<style>/<scrubbed label>.svg.
        for style in ("solid", "subtle"):
            svg = APP / "public" / "icons" / "desktop_icons" / style / "shopify_inventory.svg"
            self.assertTrue(re.search(r"<svg\b", svg.read_text()), svg)
        # One icon for the workspace on the desktop, and the app's own icon hidden behind it.
        shown = frappe.get_all(
            "Desktop Icon", filters={"label": "Shopify Inventory", "hidden": 0}, pluck="name"
        )
        self.assertEqual(shown, ["Shopify Inventory"])
        self.assertEqual(frappe.db.get_value("Desktop Icon", "Nexwave Inventory Sync", "hidden"), 1)
