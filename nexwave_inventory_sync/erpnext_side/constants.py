"""Names the Frappe side shares: doctypes, site-config keys, the Item field we add."""

STORE_DOCTYPE = "Shopify Store"
STORE_LOCATION_DOCTYPE = "Shopify Store Location"
ITEM_STORE_DOCTYPE = "Item Shopify Store"
LOG_DOCTYPE = "Shopify Log"
LOG_ROW_DOCTYPE = "Shopify Log Row"

# Runs syncs and reads logs; only System Manager reads or sets the token.
MANAGER_ROLE = "Shopify Manager"

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
# The fast path (fast_path.py): a change in ERPNext queues this job, which runs the store job
# with this trigger (a fast run is never "not due"; back-off still holds it).
FAST_JOB_METHOD = "nexwave_inventory_sync.erpnext_side.fast_path.run_fast_sync"
FAST_TRIGGER = "Fast"
# A webhook from Shopify queues a targeted check of the levels it named (webhooks.py).
WEBHOOK_CHECK_METHOD = "nexwave_inventory_sync.erpnext_side.webhooks.run_webhook_check"
WEBHOOK_TRIGGER = "Webhook"
# Site config: the site's public https address Shopify can reach (webhooks are subscribed only
# when it is set), e.g. "https://erp.example.com".
WEBHOOK_BASE_URL_KEY = "nexwave_shopify_webhook_base_url"
# The engine stops a run at the store's deadline (default below); the job gets that plus a
# margin to read ERPNext's stock and write the log, and the run lock that plus a minute.
DEFAULT_RUN_DEADLINE_MINUTES = 15
JOB_TIMEOUT_MARGIN_S = 15 * 60
LOCK_GRACE_S = 60
# Rows that did not land kept per Shopify Log; the counts stay exact and the rest are
# summarised by code (a run where 100,000 x 5 rows fail must not write 500,000 child rows).
LOG_ROWS_KEPT = 200
# Scheduled runs of a store pause after this many runs in a row failed the same way...
BACKOFF_AFTER_RUNS = 3
# ...doubling the wait each time, up to this.
BACKOFF_CAP_MINUTES = 24 * 60
# Items cached as untracked on Shopify are looked up again this often (store setting default).
DEFAULT_RECHECK_UNTRACKED_HOURS = 24
PROGRESS_EVENT = "shopify_inventory_sync_progress"

CONFIRMED_LEVEL_DOCTYPE = "Shopify Confirmed Level"
RECONCILIATION_DOCTYPE = "Shopify Reconciliation"
RECONCILE_JOB_METHOD = "nexwave_inventory_sync.erpnext_side.reconciliation.run_store_reconciliation"
RECONCILE_PROGRESS_EVENT = "shopify_reconciliation_progress"
# ecommerce_integrations' order import writes the Shopify order id here: when Sales Order has
# this field, it is the default marker of a store's own orders (on_hand mode).
DEFAULT_ORDER_MARKER_FIELD = "shopify_order_id"

# How a store connects (Shopify Store's Authentication field). Since 2026-01-01 merchants can
# no longer create legacy custom apps; a store set up today uses a Dev Dashboard app.
AUTH_ACCESS_TOKEN = "Access token (app created before 2026)"
AUTH_CLIENT_CREDENTIALS = "Client credentials (Dev Dashboard app on your own store)"
AUTH_AUTHORIZATION_CODE = "Authorization code (app installed on a store of another organization)"
AUTH_METHODS = (AUTH_ACCESS_TOKEN, AUTH_CLIENT_CREDENTIALS, AUTH_AUTHORIZATION_CODE)
# The scopes the push needs (sync/shop_info.REQUIRED_SCOPES), asked for on Install on Shopify.
INSTALL_CALLBACK_METHOD = "nexwave_inventory_sync.erpnext_side.oauth_install.callback"
