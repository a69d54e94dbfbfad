from nexwave_inventory_sync.erpnext_side.install import make_custom_fields


def execute():
    """The Item's Shopify section was inserted after `description`, so it took ERPNext's Brand
    field into its collapsed section; it now follows the UOM table, at the end of the Details
    tab (install.CUSTOM_FIELDS)."""
    make_custom_fields()
