"""The store-job tests' shared set-up: a store of the test's own against an emulated shop, the
emulator's two locations, and a job left behind dropped. Mixins, not base classes: each test
class names IntegrationTestCase (testing/compat.py) as its own direct base."""

from __future__ import annotations

import frappe

from nexwave_inventory_sync.erpnext_side import confirmed_levels
from nexwave_inventory_sync.erpnext_side.scheduling import job_id
from nexwave_inventory_sync.erpnext_side.store_sync import run_store_sync

from .fixtures import EmulatedShop, item, store, warehouse

LOC1, LOC2 = "gid://shopify/Location/1", "gid://shopify/Location/2"


def drop_job(store_name):
    from frappe.utils.background_jobs import get_job

    job = get_job(job_id(store_name))
    if job:
        job.delete()


class StoreSyncMixin:
    """Shared set-up for the store-job tests. A mixin, not a base class: each test class names
    IntegrationTestCase as its own direct base (see testing/compat.py)."""

    domain = "sync-shop.myshopify.com"
    warehouse_prefix = "Shopify"

    def setUp(self):
        super().setUp()
        # Warehouses of this test's own: the class shares one transaction, so stock from an
        # earlier test must not reach this test's store.
        tag = frappe.generate_hash(length=6)
        self.wh1, self.wh2, self.wh3 = (warehouse(f"{self.warehouse_prefix} {tag} {n}") for n in (1, 2, 3))
        self.shop = EmulatedShop(self.domain, items=0, locations=2)
        self.shop.__enter__()
        self.addCleanup(self.shop.__exit__, None, None, None)

    def variant(self, code):
        item(code)
        self.shop.catalog.add_variant(code)
        return code

    def make_store(self, **extra):
        return store(self.domain, [(self.wh1, "1"), (self.wh2, "1"), (self.wh3, "2")], **extra)

    def mark_last_run_success(self, name):
        """Give the store a last run of its own, so a test can see a skip leave it alone."""
        frappe.db.set_value("Shopify Store", name, "last_run_status", "Success")


class TruthStoreMixin(StoreSyncMixin):
    """A store of the test's own (its domain, warehouses and emulated shop), so nothing (levels,
    logs, stock) carries over from another test. A mixin: each test class names
    IntegrationTestCase as its direct base (see testing/compat.py)."""

    warehouse_prefix = "Truth"

    def setUp(self):
        self.domain = f"truth-{frappe.generate_hash(length=8)}.myshopify.com"
        super().setUp()

    def inventory_item(self, code):
        return next(v for v in self.shop.catalog.variants if v["sku"] == code)["inventory_item_id"]

    def sync(self, name, scope=None):
        return frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True, scope=scope))

    def levels(self, name):
        return {
            (level.ref, level.location_id): level.quantity for level in confirmed_levels.load(name).levels
        }

    def calls(self):
        return dict(self.shop.emulator.stats.calls_by_operation)
