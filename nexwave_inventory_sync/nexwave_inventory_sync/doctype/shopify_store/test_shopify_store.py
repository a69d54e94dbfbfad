# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt

import frappe

from nexwave_inventory_sync.erpnext_side.constants import KILL_SWITCH_KEY
from nexwave_inventory_sync.erpnext_side.scheduling import job_id
from nexwave_inventory_sync.testing.compat import IntegrationTestCase, ignore_test_records
from nexwave_inventory_sync.testing.fixtures import (
    clear_site_config,
    set_site_config,
    store,
    warehouse,
)

# Frappe would first make test records for every doctype linked from this one; ours make
# their own (see testing/compat.py).
# The store links Item Groups and Brands (which items sync): our tests make their own.
globals().update(ignore_test_records("Warehouse", "Shopify Log", "Item", "Item Group", "Brand"))


def drop_job(store_name):
    from frappe.utils.background_jobs import get_job

    job = get_job(job_id(store_name))
    if job:
        job.delete()


class TestShopifyStore(IntegrationTestCase):
    def setUp(self):
        super().setUp()
        self.wh1 = warehouse("Shopify WH 1")
        self.wh2 = warehouse("Shopify WH 2")

    def test_domain_is_validated_and_normalized(self):
        name = store("https://Valid-Shop.myshopify.com/", [(self.wh1, "11")])
        self.assertEqual(name, "valid-shop.myshopify.com")
        doc = frappe.get_doc("Shopify Store", name)
        self.assertEqual(doc.locations[0].shopify_location_id, "gid://shopify/Location/11")
        for bad in ("not-a-shop.com", "shop.myshopify.com.evil.com", "http://x.myshopify.com"):
            with self.subTest(domain=bad), self.assertRaises(frappe.ValidationError):
                store(bad, [(self.wh1, "1")])

    def test_domain_is_unique(self):
        store("unique-shop.myshopify.com", [(self.wh1, "1")])
        with self.assertRaises((frappe.DuplicateEntryError, frappe.UniqueValidationError)):
            frappe.get_doc(
                {"doctype": "Shopify Store", "shop_domain": "unique-shop.myshopify.com", "access_token": "x"}
            ).insert()

    def test_a_warehouse_may_not_feed_two_locations(self):
        with self.assertRaisesRegex(frappe.ValidationError, "only one location"):
            store("dup-shop.myshopify.com", [(self.wh1, "1"), (self.wh1, "2")])

    def test_several_warehouses_may_feed_one_location(self):
        name = store("sum-shop.myshopify.com", [(self.wh1, "1"), (self.wh2, "1")])
        self.assertEqual(len(frappe.get_doc("Shopify Store", name).locations), 2)

    def test_group_warehouses_are_refused(self):
        group = warehouse("Shopify Group WH", is_group=1)
        with self.assertRaisesRegex(frappe.ValidationError, "group warehouse"):
            store("group-shop.myshopify.com", [(group, "1")])

    def test_bad_location_id_and_api_version_are_refused(self):
        with self.assertRaises(frappe.ValidationError):
            store("loc-shop.myshopify.com", [(self.wh1, "gid://shopify/Product/1")])
        with self.assertRaises(frappe.ValidationError):
            store("ver-shop.myshopify.com", [(self.wh1, "1")], api_version="2023-13")

    def test_numbers_typed_in_the_desk_as_text_are_validated_as_numbers(self):
        # The desk sends a new store's defaults as text ("60", "1"): saving one from the form
        # failed with "'<=' not supported between instances of 'int' and 'str'" (found by the
        # browser walkthrough), while documents built in Python carried numbers.
        doc = frappe.get_doc(
            {
                "doctype": "Shopify Store",
                "shop_domain": "text-shop.myshopify.com",
                "access_token": "x",
                "sync_interval": "60",
                "safety_buffer": "0",
                "run_deadline": "15",
                "recheck_untracked_hours": "24",
                "reconcile_interval": "60",
                "drift_threshold": "1",
                "locations": [{"warehouse": self.wh1, "shopify_location_id": "1"}],
            }
        ).insert()
        self.assertEqual(doc.name, "text-shop.myshopify.com")
        doc.drift_threshold = "101"
        with self.assertRaisesRegex(frappe.ValidationError, "between 0 and 100"):
            doc.save()

    def test_sku_field_must_exist_on_item(self):
        with self.assertRaisesRegex(frappe.ValidationError, "no field"):
            store("sku-shop.myshopify.com", [(self.wh1, "1")], sku_field="no_such_field")


class TestSyncInventoryButton(IntegrationTestCase):
    def setUp(self):
        super().setUp()
        self.name = store("button-shop.myshopify.com", [(warehouse("Shopify WH 1"), "1")])
        drop_job(self.name)
        self.addCleanup(drop_job, self.name)

    def test_queues_a_forced_run_once(self):
        doc = frappe.get_doc("Shopify Store", self.name)
        first = doc.sync_inventory()
        self.assertTrue(first["queued"])
        from frappe.utils.background_jobs import get_job

        job = get_job(job_id(self.name))
        self.assertEqual(job.kwargs["kwargs"]["force"], True)
        self.assertEqual(job.kwargs["kwargs"]["trigger"], "Manual")
        second = doc.sync_inventory()
        self.assertFalse(second["queued"])  # deduplicated: never queued twice

    def test_user_without_write_permission_is_refused(self):
        user = "shopify-reader@example.com"
        if not frappe.db.exists("User", user):
            frappe.get_doc(
                {"doctype": "User", "email": user, "first_name": "Reader", "send_welcome_email": 0}
            ).insert(ignore_permissions=True)
        frappe.set_user(user)
        self.addCleanup(frappe.set_user, "Administrator")
        doc = frappe.get_doc("Shopify Store", self.name)
        with self.assertRaises(frappe.PermissionError):
            doc.sync_inventory()

    def test_kill_switch_skips_with_a_log_and_a_message(self):
        set_site_config(KILL_SWITCH_KEY, ["button-shop.myshopify.com"])
        self.addCleanup(clear_site_config, KILL_SWITCH_KEY)
        answer = frappe.get_doc("Shopify Store", self.name).sync_inventory()
        self.assertFalse(answer["queued"])
        self.assertIn("switched off", answer["message"])
        log = frappe.get_doc("Shopify Log", answer["log"])
        self.assertEqual((log.status, log.trigger), ("Skipped", "Manual"))
        from frappe.utils.background_jobs import is_job_enqueued

        self.assertFalse(is_job_enqueued(job_id(self.name)))


class TestInstall(IntegrationTestCase):
    def test_item_carries_the_shopify_stores_table(self):
        field = frappe.db.get_value(
            "Custom Field",
            {"dt": "Item", "fieldname": "shopify_stores"},
            ["fieldtype", "options"],
            as_dict=True,
        )
        self.assertEqual((field.fieldtype, field.options), ("Table", "Item Shopify Store"))

    def test_the_shopify_section_moves_no_field_of_erpnext(self):
        # Inserted after `description`, the collapsed section took Brand (the next field) in.
        from nexwave_inventory_sync.erpnext_side.install import make_custom_fields

        make_custom_fields()  # what install-app and the patches apply
        frappe.clear_cache(doctype="Item")
        meta = frappe.get_meta("Item")
        ours = {"shopify_section", "shopify_stores"}
        section, moved = None, []
        for df in meta.fields:
            if df.fieldtype in ("Section Break", "Tab Break"):
                section = df.fieldname
            elif section == "shopify_section" and df.fieldname not in ours:
                moved.append(df.fieldname)
        self.assertEqual(moved, [])
        self.assertEqual(meta.get_field("shopify_stores").options, "Item Shopify Store")

    def test_the_patch_moves_the_section_on_existing_sites(self):
        from nexwave_inventory_sync.patches.v0_3.move_item_shopify_section import execute

        name = frappe.db.get_value("Custom Field", {"dt": "Item", "fieldname": "shopify_section"})
        frappe.db.set_value("Custom Field", name, "insert_after", "description")
        execute()
        self.assertEqual(frappe.db.get_value("Custom Field", name, "insert_after"), "uoms")

    def test_the_cron_hook_is_a_scheduled_job(self):
        job = frappe.db.get_value(
            "Scheduled Job Type",
            {"method": "nexwave_inventory_sync.erpnext_side.scheduling.enqueue_due_stores"},
            ["frequency", "cron_format"],
            as_dict=True,
        )
        self.assertEqual((job.frequency, job.cron_format), ("Cron", "*/10 * * * *"))


DEAD_WORKER = "nexwave-test-dead-worker"


def dead_started_job(frappe_job_id: str):
    """A long-queue job whose worker was SIGKILLed: status "started", its worker gone, and an
    expired entry in the started registry (what RQ's cleanup would settle, running the job's
    failure callback under SIGALRM). Frappe's enqueue gives every job that callback."""
    import rq
    from frappe.utils.background_jobs import get_queue
    from rq.job import JobStatus
    from rq.registry import StartedJobRegistry

    queue = get_queue("long")
    job = frappe.enqueue("frappe.ping", queue="long", job_id=frappe_job_id)
    queue.remove(job)
    job.set_status(JobStatus.STARTED)
    job.worker_name = DEAD_WORKER
    job.save()
    registry = StartedJobRegistry(queue.name, connection=queue.connection)
    # The score is when the job's heartbeat expires: 1970. RQ 2.x keys its entries by execution.
    member = job.id if rq.__version__.startswith("1.") else f"{job.id}:dead"
    queue.connection.zadd(registry.key, {member: 1})
    return job


def forget_test_jobs(*frappe_job_ids: str) -> None:
    from frappe.utils.background_jobs import get_job, get_queue
    from rq.registry import StartedJobRegistry

    queue = get_queue("long")
    registry = StartedJobRegistry(queue.name, connection=queue.connection)
    for frappe_job_id in frappe_job_ids:
        job = get_job(frappe_job_id)
        if job is not None:
            queue.connection.zrem(registry.key, job.id, f"{job.id}:dead")
            job.delete()


def in_a_thread(call):
    """Run `call` in another thread with this request's context (frappe.local, the database
    connection), as a threaded web server (bench serve, gunicorn --threads) runs a request.
    Returns (result, exception)."""
    import contextvars
    import threading

    outcome = {}

    def run():
        try:
            outcome["result"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=contextvars.copy_context().run, args=(run,))
    thread.start()
    thread.join(60)
    return outcome.get("result"), outcome.get("error")


class TestButtonsAfterAWorkerDied(IntegrationTestCase):
    """A long-queue worker killed mid-job (any app's job) leaves it "started" for up to 10
    minutes. The buttons, answered by a web server's thread, must neither clean RQ's
    registries (its failure callbacks need the main thread's SIGALRM) nor refuse the store."""

    def setUp(self):
        super().setUp()
        from nexwave_inventory_sync.erpnext_side.scheduling import reconcile_job_id

        self.name = store("dead-worker-shop.myshopify.com", [(warehouse("Shopify WH 1"), "1")])
        other_app = f"some_other_app_job::{frappe.generate_hash(length=6)}"
        ours = (job_id(self.name), reconcile_job_id(self.name))
        forget_test_jobs(*ours)
        self.addCleanup(forget_test_jobs, other_app, *ours)
        for dead in (other_app, *ours):
            dead_started_job(dead)

    def test_sync_and_reconcile_answer_from_a_server_thread(self):
        doc = frappe.get_doc("Shopify Store", self.name)
        synced, error = in_a_thread(doc.sync_inventory)
        self.assertIsNone(error, repr(error))
        self.assertTrue(synced["queued"], synced)  # the dead run does not hold the store back
        reconciled, error = in_a_thread(doc.reconcile_inventory)
        self.assertIsNone(error, repr(error))
        self.assertTrue(reconciled["queued"], reconciled)
        # Queued once: a live queued job still refuses a second one.
        again, error = in_a_thread(doc.sync_inventory)
        self.assertIsNone(error, repr(error))
        self.assertFalse(again["queued"])

    def test_a_job_whose_worker_is_alive_still_counts_as_running(self):
        from frappe.utils.background_jobs import get_job
        from rq.worker import Worker

        from nexwave_inventory_sync.erpnext_side.run_lock import job_in_progress

        job = get_job(job_id(self.name))
        self.assertFalse(job_in_progress(job_id(self.name)))
        live = Worker.redis_worker_namespace_prefix + DEAD_WORKER
        job.connection.set(live, "1", ex=60)
        self.addCleanup(job.connection.delete, live)
        self.assertTrue(job_in_progress(job_id(self.name)))
        self.assertFalse(frappe.get_doc("Shopify Store", self.name).sync_inventory()["queued"])


class TestShopifyManagerWorkspace(IntegrationTestCase):
    """The docs tell admins to hand out Shopify Manager: with it alone, the whole Shopify
    Inventory workspace shows (its number cards had no document type, so only a System
    Manager could read them)."""

    user = "shopify-manager@example.com"

    def setUp(self):
        super().setUp()
        # The cards as shipped (migrate keeps a record whose database copy is newer).
        from glob import glob

        from frappe.modules.import_file import import_file_by_path

        folder = frappe.get_app_path("nexwave_inventory_sync", "nexwave_inventory_sync", "number_card")
        for path in glob(f"{folder}/*/*.json"):
            import_file_by_path(path, force=True)
        if not frappe.db.exists("User", self.user):
            frappe.get_doc(
                {"doctype": "User", "email": self.user, "first_name": "Manager", "send_welcome_email": 0}
            ).insert(ignore_permissions=True)
        user = frappe.get_doc("User", self.user)
        user.set("roles", [])
        user.append("roles", {"role": "Shopify Manager"})
        user.save(ignore_permissions=True)
        frappe.set_user(self.user)
        self.addCleanup(frappe.set_user, "Administrator")

    def test_sees_every_card_and_chart_of_the_workspace(self):
        import json

        from frappe.desk.desktop import get_desktop_page

        self.assertNotIn("System Manager", frappe.get_roles())
        workspace = frappe.get_doc("Workspace", "Shopify Inventory")
        page = get_desktop_page(json.dumps({"name": workspace.name, "title": workspace.title}))
        self.assertEqual(
            sorted(card.number_card_name for card in page["number_cards"]["items"]),
            sorted(card.number_card_name for card in workspace.number_cards),
        )
        self.assertEqual(
            [chart.chart_name for chart in page["charts"]["items"]],
            [chart.chart_name for chart in workspace.charts],
        )
        for card in workspace.number_cards:
            method = frappe.db.get_value("Number Card", card.number_card_name, "method")
            self.assertEqual(frappe.get_attr(method)()["fieldtype"], "Int")
