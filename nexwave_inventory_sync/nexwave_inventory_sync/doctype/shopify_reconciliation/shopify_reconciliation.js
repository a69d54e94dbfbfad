// Copyright (c) 2026, Nexwave and contributors
// For license information, please see license.txt

frappe.ui.form.on("Shopify Reconciliation", {
	refresh(frm) {
		frm.disable_save();
	},
});
