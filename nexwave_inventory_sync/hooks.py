app_name = "nexwave_inventory_sync"
app_title = "Nexwave Inventory Sync"
app_publisher = "Nexwave"
app_description = (
    "Keeps Shopify stock levels equal to ERPNext's: batched, throttle-aware, never double-applied."
)
app_email = "dev@nexwave.example"
app_license = "MIT"
# "org/repo" form: a bare "erpnext" makes install-app look the org up on GitHub.
required_apps = ["frappe/erpnext"]
