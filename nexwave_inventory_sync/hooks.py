# Underscored: Frappe reads every public name of this module as a hook.
from frappe import __version__ as _frappe_version

from nexwave_inventory_sync.erpnext_side.constants import SCHEDULE_CRON as _SCHEDULE_CRON

app_name = "nexwave_inventory_sync"
app_title = "Nexwave Inventory Sync"
app_publisher = "Nexwave"
app_description = (
    "Keeps Shopify stock levels equal to ERPNext's: batched, throttle-aware, never double-applied."
)
app_email = "dev@nexwave.example"
app_license = "MIT"
app_logo_url = "/assets/nexwave_inventory_sync/images/shopify-inventory.svg"
# The workspace is the app's home: /app/... on Frappe 15, /desk/... on 16 (where a route outside
# /desk would send every login to the apps screen instead of the desk).
app_home = ("/desk" if int(_frappe_version.split(".")[0]) >= 16 else "/app") + "/shopify-inventory"
# The apps screen (/apps) and Frappe 16's desktop show the app with its own logo; the desktop
# icons themselves are in desktop_icon/ (Frappe 16 syncs them on migrate).
add_to_apps_screen = [
    {
        "name": app_name,
        "logo": app_logo_url,
        "title": "Shopify Inventory",
        "route": app_home,
        "has_permission": "nexwave_inventory_sync.nexwave_inventory_sync.apps_screen.has_app_permission",
    }
]
# "org/repo" form: a bare "erpnext" makes install-app look the org up on GitHub.
required_apps = ["frappe/erpnext"]

after_install = "nexwave_inventory_sync.erpnext_side.install.after_install"
after_migrate = "nexwave_inventory_sync.erpnext_side.install.after_migrate"
before_tests = "nexwave_inventory_sync.erpnext_side.install.before_tests"

# Every 10 minutes: one background job per store that is due (its own interval decides), and
# one reconciliation per store whose reconciliation interval has passed.
scheduler_events = {
    "cron": {
        _SCHEDULE_CRON: [
            "nexwave_inventory_sync.erpnext_side.scheduling.enqueue_due_stores",
            "nexwave_inventory_sync.erpnext_side.scheduling.enqueue_due_reconciliations",
        ],
        # The fast path's and the webhooks' safety net: marks whose job died are queued again.
        "* * * * *": [
            "nexwave_inventory_sync.erpnext_side.fast_path.sweep",
            "nexwave_inventory_sync.erpnext_side.webhooks.sweep",
        ],
    },
}

# The Item form says why an item is (not) on Shopify, per store, and pushes it on demand. The
# run records' forms share one read-only grid helper (appended to their own form scripts).
doctype_js = {
    "Item": "public/js/item.js",
    "Shopify Log": "public/js/read_only_grid.js",
    "Shopify Reconciliation": "public/js/read_only_grid.js",
}

# Per-item Shopify settings (Item Shopify Store rows) are checked when the Item is saved. The fast
# path (erpnext_side/fast_path.py): these collect what changed; after the commit the stores that
# show it are marked and a run is queued within seconds.
_FAST = "nexwave_inventory_sync.erpnext_side.fast_path."
doc_events = {
    "Stock Ledger Entry": {"on_submit": _FAST + "note_stock_ledger_entry"},
    "Sales Order": {"on_change": _FAST + "note_reservation"},
    "Stock Reservation Entry": {"on_change": _FAST + "note_reservation"},
    "Item": {
        "validate": "nexwave_inventory_sync.erpnext_side.item_choice.validate_item",
        "on_update": _FAST + "note_item",
        "on_trash": _FAST + "note_item",
    },
}

# Log Settings clears Shopify Logs older than 90 days (the admin can change it there).
default_log_clearing_doctypes = {"Shopify Log": 90, "Shopify Reconciliation": 90}
