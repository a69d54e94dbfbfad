from nexwave_inventory_sync.erpnext_side.install import make_manager_role


def execute():
    make_manager_role()
