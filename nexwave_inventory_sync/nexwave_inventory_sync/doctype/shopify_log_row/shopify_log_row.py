# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class ShopifyLogRow(Document):
    # begin: auto-generated types
    # This code is auto-generated. Do not modify anything in this block.

    from typing import TYPE_CHECKING

    if TYPE_CHECKING:
        from frappe.types import DF

        code: DF.Data | None
        item_code: DF.Link | None
        message: DF.SmallText | None
        parent: DF.Data
        parentfield: DF.Data
        parenttype: DF.Data
        quantity: DF.Int
        shopify_location_id: DF.Data | None
        sku: DF.Data | None
    # end: auto-generated types

    pass
