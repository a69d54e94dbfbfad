"""The desk's help texts link to the guide the site serves (/shopify-sync-guide#section), never
to a file of the repository ("see docs/frappe.md" meant nothing on a site), and every link
opens a section the guide has."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import frappe
from frappe.utils import set_request
from frappe.website.serve import get_response

from nexwave_inventory_sync.testing.compat import IntegrationTestCase, ignore_test_records
from nexwave_inventory_sync.www.shopify_sync_guide import GUIDE_ROUTE, guide_html

# No records of the store's linked doctypes (see testing.compat): this test makes none.
globals().update(ignore_test_records("Item", "Shopify Store", "User", "Warehouse", "Item Group", "Brand"))

APP = Path(frappe.get_app_path("nexwave_inventory_sync"))
# A path of the repository ("docs/frappe.md"), not a web address's /docs/ (shopify.dev/docs/...).
FILE_PATH = re.compile(r"(?<![\w./])docs/|\b[\w-]+\.md\b")
GUIDE_LINK = re.compile(r"""href=['"]""" + re.escape(GUIDE_ROUTE) + r"""(#[^'"]*)?['"]""")


def help_texts() -> dict[str, str]:
    """Every text an admin reads as help: field and doctype descriptions in the app's JSON
    (doctypes, workspace, cards, charts) and the strings of the app's desk scripts."""
    texts: dict[str, str] = {}
    for path in APP.rglob("*.json"):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        fields = [record, *[f for f in record.get("fields", []) if isinstance(f, dict)]]
        for field in fields:
            if field.get("description"):
                texts[f"{path.name}:{field.get('fieldname', 'doctype')}"] = field["description"]
        if record.get("content"):
            texts[f"{path.name}:content"] = record["content"]
    for path in APP.rglob("*.js"):
        if "node_modules" not in path.parts:
            texts[str(path.relative_to(APP))] = path.read_text(encoding="utf-8")
    return texts


class TestGuideLinks(IntegrationTestCase):
    def test_help_texts_name_no_file_and_link_to_sections_the_guide_has(self):
        texts = help_texts()
        self.assertIn("shopify_store.json:quantity_name", texts)
        naming_files = {where: text for where, text in texts.items() if FILE_PATH.search(text)}
        self.assertEqual(naming_files, {})
        sections = set(re.findall(r'<h\d id="([^"]+)"', guide_html()))
        self.assertIn("stock-that-stays-true", sections)
        links = {where: GUIDE_LINK.findall(text) for where, text in texts.items()}
        links = {where: found for where, found in links.items() if found}
        # The quantity rule's help and the ecommerce_integrations warning link to the guide.
        self.assertEqual(links["shopify_store.json:quantity_name"], ["#stock-that-stays-true"])
        self.assertIn(
            "#coming-from-ecommerce_integrations",
            links[str(Path("nexwave_inventory_sync/doctype/shopify_store/shopify_store.js"))],
        )
        for where, anchors in links.items():
            for anchor in anchors:
                self.assertIn(anchor.lstrip("#"), sections | {""}, f"{where} links to {anchor}")

    def test_the_site_serves_the_guide_with_its_screenshots_to_a_logged_in_user_only(self):
        self.addCleanup(frappe.set_user, "Administrator")
        frappe.set_user("Administrator")
        set_request(method="GET", path=GUIDE_ROUTE)
        page = get_response()
        self.assertEqual(page.status_code, 200)
        html = page.get_data(as_text=True)
        self.assertTrue('id="coming-from-ecommerce_integrations"' in html, "no such section")
        screenshots = re.findall(r'<img src="([^"]+)"', html)
        self.assertGreaterEqual(len(screenshots), 10)
        # Each inlined as a PNG; one left as a path is a screenshot the guide names and lacks.
        missing = [s for s in screenshots if not s.startswith("data:")]
        self.assertEqual(missing, [])
        for screenshot in screenshots:
            prefix, _, data = screenshot.partition(",")
            self.assertEqual(prefix, "data:image/png;base64")
            self.assertEqual(base64.b64decode(data)[:8], b"\x89PNG\r\n\x1a\n")

        frappe.set_user("Guest")
        set_request(method="GET", path=GUIDE_ROUTE)
        self.assertEqual(get_response().status_code, 403)
