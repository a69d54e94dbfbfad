# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class ItemShopifyStore(Document):
    # begin: auto-generated types
    # This code is auto-generated. Do not modify anything in this block.

    from typing import TYPE_CHECKING

    if TYPE_CHECKING:
        from frappe.types import DF

        inventory_item_id: DF.Data | None
        last_resolved: DF.Datetime | None
        parent: DF.Data
        parentfield: DF.Data
        parenttype: DF.Data
        resolved_variant_id: DF.Data | None
        shopify_store: DF.Link
        tracked: DF.Check
        variant_id: DF.Data | None
    # end: auto-generated types

    pass
