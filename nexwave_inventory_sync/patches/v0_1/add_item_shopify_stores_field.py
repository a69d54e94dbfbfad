from nexwave_inventory_sync.erpnext_side.install import make_custom_fields


def execute():
    """Sites that installed the app before the Item field existed get it on migrate."""
    make_custom_fields()
