"""Names the Frappe side shares: doctypes, site-config keys, the Item field we add."""

STORE_DOCTYPE = "Shopify Store"
STORE_LOCATION_DOCTYPE = "Shopify Store Location"
ITEM_STORE_DOCTYPE = "Item Shopify Store"
LOG_DOCTYPE = "Shopify Log"
LOG_ROW_DOCTYPE = "Shopify Log Row"

# The Table field this app adds to Item (a Custom Field, so ERPNext's Item stays untouched).
ITEM_STORES_FIELD = "shopify_stores"

# Site config: a list of shop domains whose inventory sync is switched off. The nexwave
# connector's users already know this key.
KILL_SWITCH_KEY = "nexwave_shopify_disable_graphql_inventory_sync"
# Site config, tests and demos only: {shop domain: "http://127.0.0.1:PORT"} sends a store's
# calls to an emulator. The engine refuses any plain-http address off this machine.
ENDPOINT_OVERRIDES_KEY = "nexwave_shopify_endpoint_overrides"

# hooks.py registers the due-stores check on this schedule; the store form shows the next tick.
SCHEDULE_CRON = "*/10 * * * *"
SYNC_JOB_METHOD = "nexwave_inventory_sync.erpnext_side.store_sync.run_store_sync"
SYNC_QUEUE = "long"
# A warm 100,000-row push takes minutes; a cold one on a Standard plan is bucket-bound.
SYNC_TIMEOUT = 60 * 60
PROGRESS_EVENT = "shopify_inventory_sync_progress"
