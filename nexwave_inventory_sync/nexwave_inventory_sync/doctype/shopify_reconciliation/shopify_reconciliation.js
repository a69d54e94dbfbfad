// Copyright (c) 2026, Nexwave and contributors
// For license information, please see license.txt

/* global show_rows_for_reading */ // public/js/read_only_grid.js, appended by hooks.py doctype_js

frappe.ui.form.on("Shopify Reconciliation", {
	refresh(frm) {
		frm.disable_save();
		show_rows_for_reading(frm, ["differences"]);
	},
});
