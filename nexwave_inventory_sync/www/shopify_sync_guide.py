"""The app's guide, docs/frappe.md, served by the site at /shopify-sync-guide: the desk's help
texts link to its sections (GUIDE_ROUTE#section) instead of naming a file of the repository, so
the link opens on any site, in the version installed there. For logged-in users only.

Its screenshots (docs/screens, about 300 KB) are inlined as data: URLs: Frappe 16 serves no file
of www/ that resolves outside it, so a link to docs/ could not serve them."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import frappe
from frappe import _
from frappe.utils import md_to_html

GUIDE_ROUTE = "/shopify-sync-guide"
SCREENSHOT = re.compile(r"\]\((screens/[\w./-]+\.png)\)")

no_cache = 1


def guide_file() -> Path:
    return Path(frappe.get_app_path("nexwave_inventory_sync", "..", "docs", "frappe.md"))


def guide_html() -> str:
    """The guide in HTML; each heading has the id GitHub would give it (markdown2's header-ids)."""
    guide = guide_file()

    def inline(match: re.Match) -> str:
        png = guide.parent / match.group(1)
        if not png.is_file():
            return match.group(0)
        return f"](data:image/png;base64,{base64.b64encode(png.read_bytes()).decode()})"

    return md_to_html(SCREENSHOT.sub(inline, guide.read_text(encoding="utf-8")))


def get_context(context) -> None:
    if frappe.session.user == "Guest":
        frappe.throw(_("Log in to read the Shopify inventory sync guide."), frappe.PermissionError)
    context.no_cache = 1
    context.title = _("Shopify inventory sync: the guide")
    context.guide = guide_html()
