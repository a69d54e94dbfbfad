"""What differs between the Frappe/ERPNext versions this app supports (15 and 16), in one place:
today only what the tests need (their base class, the test-records attribute).

Checked against Frappe 15.74.1 / ERPNext 15.70.2 and Frappe 16.10.7 / ERPNext 16.7.3. Everything
else the app uses reads the same on both, so it is not wrapped here: the scheduler's cron hooks,
`frappe.enqueue(..., job_id=, deduplicate=)` and `is_job_enqueued`, `publish_progress` /
`publish_realtime`, `create_custom_fields` on Item, `has_permission`, and the Bin columns
(`actual_qty`, `reserved_qty`, `reserved_qty_for_production`, `reserved_qty_for_sub_contract`,
`reserved_qty_for_production_plan`, `reserved_stock`) and Stock Reservation Entry's fields.
"""

from __future__ import annotations

try:
    # Frappe 16: FrappeTestCase is deprecated (gone in 17). Its runner files a test under
    # "integration" (and runs before_tests for it) by isinstance on this class, and a class
    # that inherits FrappeTestCase through a base of ours lands in no category at all; so
    # each test class names this alias as its direct base, never a subclass of our own.
    from frappe.tests import IntegrationTestCase

    _IGNORE_RECORDS_ATTR = "IGNORE_TEST_RECORD_DEPENDENCIES"
except ImportError:  # Frappe 15
    from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

    _IGNORE_RECORDS_ATTR = "test_ignore"  # v16 still reads it, with a deprecation warning


def ignore_test_records(*doctypes: str) -> dict[str, list[str]]:
    """The test-module attribute that stops Frappe generating test records for these linked
    doctypes before a doctype's tests run (`globals().update(ignore_test_records(...))`).

    Our tests make the Items and Warehouses they need (testing/fixtures.py). Frappe's generated
    ones come from ERPNext's own test records, which on Frappe 16 fail outside ERPNext's suite
    ("Could not find Default Warehouse: _Test Warehouse - _TC" for the first class run).

    Only for test modules inside a doctype folder: Frappe makes no test records for one outside
    (erpnext_side/test_*.py), and Frappe 16 refuses the attribute there (NotImplementedError in
    IntegrationTestCase.setUpClass)."""
    return {_IGNORE_RECORDS_ATTR: list(doctypes)}


__all__ = ["IntegrationTestCase", "ignore_test_records"]
