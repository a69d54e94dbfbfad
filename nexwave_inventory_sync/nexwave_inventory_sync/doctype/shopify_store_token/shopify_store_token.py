# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class ShopifyStoreToken(Document):
    """One row per store that renews its token, named as the store. Written only by
    erpnext_side/store_tokens.py on a database connection of its own (a renewal commits at
    once, whatever the run's transaction does); no role may read it."""

    # begin: auto-generated types
    # This code is auto-generated. Do not modify anything in this block.

    from typing import TYPE_CHECKING

    if TYPE_CHECKING:
        from frappe.types import DF

        token_state: DF.LongText | None
    # end: auto-generated types
