# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, flt

from nexwave_inventory_sync.erpnext_side import confirmed_levels, store_checks
from nexwave_inventory_sync.erpnext_side.connection import (
    auth_method,
    fetch_store_locations,
    test_store_connection,
)
from nexwave_inventory_sync.erpnext_side.constants import (
    AUTH_ACCESS_TOKEN,
    AUTH_AUTHORIZATION_CODE,
    AUTH_METHODS,
)
from nexwave_inventory_sync.erpnext_side.ecommerce_handover import adopt_links, handover_status
from nexwave_inventory_sync.erpnext_side.health import store_health
from nexwave_inventory_sync.erpnext_side.preview import preview_next_sync
from nexwave_inventory_sync.erpnext_side.quantity_names import ON_HAND
from nexwave_inventory_sync.erpnext_side.scheduling import enqueue_store_reconciliation, enqueue_store_sync
from nexwave_inventory_sync.erpnext_side.stock_levels import order_marker_column, sku_column
from nexwave_inventory_sync.erpnext_side.store_job import refuse_manual_run


class ShopifyStore(Document):
    # begin: auto-generated types
    # This code is auto-generated. Do not modify anything in this block.

    from typing import TYPE_CHECKING

    if TYPE_CHECKING:
        from frappe.types import DF

        from nexwave_inventory_sync.nexwave_inventory_sync.doctype.shopify_store_brand.shopify_store_brand import (
            ShopifyStoreBrand,
        )
        from nexwave_inventory_sync.nexwave_inventory_sync.doctype.shopify_store_item_group.shopify_store_item_group import (
            ShopifyStoreItemGroup,
        )
        from nexwave_inventory_sync.nexwave_inventory_sync.doctype.shopify_store_location.shopify_store_location import (
            ShopifyStoreLocation,
        )
        from nexwave_inventory_sync.nexwave_inventory_sync.doctype.shopify_store_notify_user.shopify_store_notify_user import (
            ShopifyStoreNotifyUser,
        )

        access_token: DF.Password
        api_version: DF.Data  # Select: sync.versions.supported_api_versions()
        auth_method: DF.Data  # Select: erpnext_side.constants.AUTH_METHODS
        auto_correct: DF.Check
        client_id: DF.Password | None
        client_secret: DF.Password | None
        backoff_reason: DF.SmallText | None
        backoff_until: DF.Datetime | None
        conflict_policy: DF.Data  # Select: Keep Shopify's sales | ERPNext wins | Hold
        connect_items_to_locations: DF.Check
        connection_checked_at: DF.Datetime | None
        connection_problems: DF.SmallText | None
        consecutive_failures: DF.Int
        drift_notify_users: DF.TableMultiSelect[ShopifyStoreNotifyUser]
        drift_threshold: DF.Percent
        drift_tolerance: DF.Int
        enabled: DF.Check
        failure_signature: DF.Data | None
        figure_settings: DF.LongText | None
        full_push_interval: DF.Int
        inventory_sync_enabled: DF.Check
        last_full_push: DF.Datetime | None
        last_inventory_sync: DF.Datetime | None
        last_log: DF.Link | None
        last_reconciliation: DF.Datetime | None
        last_reconciliation_doc: DF.Link | None
        last_run_status: DF.Data | None
        locations: DF.Table[ShopifyStoreLocation]
        order_marker_field: DF.Data | None
        order_marker_value: DF.Data | None
        quantity_name: DF.Data  # Select: available | on_hand
        recheck_untracked_hours: DF.Int
        reconcile_enabled: DF.Check
        reconcile_interval: DF.Int
        run_deadline: DF.Int
        safety_buffer: DF.Float
        shop_domain: DF.Data
        shop_name: DF.Data | None
        shop_plan: DF.Data | None
        sku_field: DF.Data | None
        stock_read_at: DF.Datetime | None
        stock_recheck: DF.LongText | None
        sync_brands: DF.TableMultiSelect[ShopifyStoreBrand]
        sync_interval: DF.Int
        sync_item_groups: DF.TableMultiSelect[ShopifyStoreItemGroup]
        sync_items: DF.Data  # Select: All stock items with a SKU | Only chosen Item Groups or Brands
        zero_dropped_items: DF.Check
        zero_guard_min_items: DF.Int
        zero_guard_percent: DF.Percent
        zero_guard_released: DF.Check
    # end: auto-generated types

    def onload(self) -> None:
        """What the form shows beside the fields: health, recent runs, next scheduled run, and
        the hand-over from ecommerce_integrations when that app is installed."""
        self.set_onload("health", store_health(self))
        self.set_onload("ecommerce_integrations", handover_status(self.name, self.shop_domain))

    def before_insert(self) -> None:
        # The domain is the document's name, set before validate() runs: normalize it first.
        self.normalize_domain()

    def normalize_domain(self) -> None:
        self.shop_domain = store_checks.shop_domain(self.shop_domain)

    def validate(self) -> None:
        self.normalize_domain()
        store_checks.api_version(self.api_version)
        if self.sync_interval is not None and cint(self.sync_interval) < 1:
            frappe.throw(_("Sync Interval must be at least 1 minute"))
        if flt(self.safety_buffer) < 0:
            frappe.throw(_("Safety Buffer cannot be negative"))
        if cint(self.run_deadline) < 0 or cint(self.recheck_untracked_hours) < 0:
            frappe.throw(_("Run Deadline and Re-check Untracked Items cannot be negative"))
        self.sku_field = sku_column(self.sku_field)
        self.validate_authentication()
        self.validate_locations()
        self.validate_stock_truth()

    def validate_authentication(self) -> None:
        """A pasted token, or the app's client ID and secret: whichever the method needs."""
        if (
            self.is_new()
            and self.access_token
            and not (self.client_id or self.client_secret)
            and self.auth_method != AUTH_ACCESS_TOKEN
        ):
            # A store given only a pasted token (the API, fixtures, scripts written before 2026)
            # connects with it; the form shows that field only under "Access token".
            self.auth_method = AUTH_ACCESS_TOKEN
        method = auth_method(self)
        if method not in AUTH_METHODS:
            frappe.throw(
                _("Choose how the store connects (Authentication)"), title=_("Invalid Shopify Store")
            )
        if method == AUTH_ACCESS_TOKEN:
            if not (self.access_token or self.get_password("access_token", raise_exception=False)):
                frappe.throw(_("Enter the Admin API access token"), title=_("Invalid Shopify Store"))
        else:
            for field, label in (("client_id", _("Client ID")), ("client_secret", _("Client Secret"))):
                if not (self.get(field) or self.get_password(field, raise_exception=False)):
                    frappe.throw(
                        _("Enter the {0} of the store's Dev Dashboard app").format(label),
                        title=_("Invalid Shopify Store"),
                    )
        # A token got for another method or another app is not this one's: renew from scratch.
        if not self.is_new() and (
            self.has_value_changed("auth_method") or self._changed_password("client_id")
        ):
            self.flags.forget_token = True

    def _changed_password(self, field: str) -> bool:
        value = self.get(field)
        return bool(value) and value != "*" * len(value)

    def on_update(self) -> None:
        if self.flags.forget_token:
            from nexwave_inventory_sync.erpnext_side.store_tokens import StoreTokenStore

            StoreTokenStore(self.name).forget()

    @frappe.whitelist()
    def install_on_shopify(self) -> dict:
        """The Install on Shopify button: Shopify's authorize URL with a one-time state."""
        self.check_permission("write")
        if auth_method(self) != AUTH_AUTHORIZATION_CODE:
            frappe.throw(_("Install on Shopify is for the authorization code method"))
        return {"url": store_checks.install_url(self)}

    def validate_locations(self) -> None:
        seen: dict[str, str] = {}
        for row in self.locations:
            if frappe.db.get_value("Warehouse", row.warehouse, "is_group"):
                frappe.throw(
                    _("Row {0}: {1} is a group warehouse; map the warehouses inside it instead").format(
                        row.idx, row.warehouse
                    )
                )
            row.shopify_location_id = store_checks.location_gid(row)
            if row.warehouse in seen and seen[row.warehouse] != row.shopify_location_id:
                frappe.throw(
                    _(
                        "Row {0}: warehouse {1} already feeds {2}; one warehouse can feed only one location of a store"
                    ).format(row.idx, row.warehouse, seen[row.warehouse])
                )
            if row.warehouse in seen:
                frappe.throw(_("Row {0}: warehouse {1} is listed twice").format(row.idx, row.warehouse))
            seen[row.warehouse] = row.shopify_location_id

    @frappe.whitelist()
    def test_connection(self) -> dict:
        """The Test Connection button: one call; shop, plan, missing scopes, served version."""
        self.check_permission("write")
        return test_store_connection(self)

    @frappe.whitelist()
    def fetch_locations(self) -> dict:
        """The Fetch Locations button: every Shopify location and the warehouses one may map."""
        self.check_permission("write")
        return {"locations": fetch_store_locations(self)}

    @frappe.whitelist()
    def adopt_ecommerce_item_links(self) -> dict:
        """Cache ecommerce_integrations' variant ids for this store's items."""
        self.check_permission("write")
        adopted = adopt_links(self)
        return {
            "adopted": adopted,
            "message": _("Adopted {0} Shopify variant links from ecommerce_integrations").format(adopted),
        }

    @frappe.whitelist()
    def sync_inventory(self, scope: str = "changed") -> dict:
        """The Sync Inventory button: bypasses the interval, never the kill switch or the lock.
        `scope`: "changed" (rows that differ from what Shopify confirmed) or "all"."""
        self.check_permission("write")
        refused = refuse_manual_run(self)
        if refused:
            return refused
        if scope not in ("changed", "all"):
            frappe.throw(_("Choose changed items or all items"))
        queued = enqueue_store_sync(self.name, trigger="Manual", force=True, scope=scope)
        message = (
            _("Inventory sync queued; progress shows here and the result lands in a Shopify Log")
            if queued
            else _("An inventory sync of this store is already queued or running")
        )
        return {"queued": queued, "message": message}

    @frappe.whitelist()
    def preview_next_sync(self, scope: str = "changed") -> dict:
        """Preview Next Sync: what the next run would send, with the confirmed and Shopify's
        figures and the conflicts expected; writes nothing (one read of Shopify)."""
        self.check_permission("write")
        if scope not in ("changed", "all"):
            frappe.throw(_("Choose changed items or all items"))
        return preview_next_sync(self, scope)

    @frappe.whitelist()
    def release_held_run(self) -> dict:
        """Release Held Run: after checking why the zero guard held the last run, the next run
        (queued now, all items) sends what it reads, zeros included. Same permission and kill
        switch as Sync Inventory."""
        self.check_permission("write")
        refused = refuse_manual_run(self)
        if refused:
            return refused
        frappe.db.set_value(self.doctype, self.name, "zero_guard_released", 1, update_modified=False)
        return self.sync_inventory("all")

    # -- stock truth: on_hand mode, delta, conflicts, reconciliation ------------------------

    def validate_stock_truth(self) -> None:
        if self.quantity_name == ON_HAND:
            self.order_marker_field = order_marker_column(self.order_marker_field)
            if not self.order_marker_field:
                frappe.throw(
                    _(
                        "on_hand needs the Sales Order field that marks this store's orders "
                        "(Sales Order has no shopify_order_id field to use by default)"
                    )
                )
        if self.reconcile_interval is not None and cint(self.reconcile_interval) < 1:
            frappe.throw(_("Reconcile Every must be at least 1 minute"))
        if not 0 <= flt(self.drift_threshold) <= 100:
            frappe.throw(_("Notify Above Drift is a percentage between 0 and 100"))

    def on_trash(self) -> None:
        confirmed_levels.forget(self.name)
        from nexwave_inventory_sync.erpnext_side.store_tokens import StoreTokenStore

        StoreTokenStore(self.name).forget()

    @frappe.whitelist()
    def reconcile_inventory(self) -> dict:
        """The Reconcile button: compares now (bypasses the interval), never the kill switch."""
        self.check_permission("write")
        refused = refuse_manual_run(self, skipped_log=False)
        if refused:
            return refused
        queued = enqueue_store_reconciliation(self.name, trigger="Manual", force=True)
        message = (
            _("Reconciliation queued; progress shows here and the result lands in a Shopify Reconciliation")
            if queued
            else _("A reconciliation of this store is already queued or running")
        )
        return {"queued": queued, "message": message}
