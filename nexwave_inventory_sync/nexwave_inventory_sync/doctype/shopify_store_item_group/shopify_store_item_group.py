# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class ShopifyStoreItemGroup(Document):
    pass
