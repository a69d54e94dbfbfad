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

SYNC_JOB_METHOD = "nexwave_inventory_sync.erpnext_side.store_sync.run_store_sync"
SYNC_QUEUE = "long"
# A warm 100,000-row push takes minutes; a cold one on a Standard plan is bucket-bound.
SYNC_TIMEOUT = 60 * 60
PROGRESS_EVENT = "shopify_inventory_sync_progress"

CONFIRMED_LEVEL_DOCTYPE = "Shopify Confirmed Level"
RECONCILIATION_DOCTYPE = "Shopify Reconciliation"
RECONCILE_JOB_METHOD = "nexwave_inventory_sync.erpnext_side.reconciliation.run_store_reconciliation"
RECONCILE_PROGRESS_EVENT = "shopify_reconciliation_progress"
# ecommerce_integrations' order import writes the Shopify order id here: when Sales Order has
# this field, it is the default marker of a store's own orders (on_hand mode).
DEFAULT_ORDER_MARKER_FIELD = "shopify_order_id"
