// Copyright (c) 2026, Nexwave and contributors
// For license information, please see license.txt

/* global show_rows_for_reading */ // public/js/read_only_grid.js, appended by hooks.py doctype_js

// A log records what a run did: nothing to edit, so no Save (the controller refuses a change
// anyway; System Manager and Administrator would otherwise see the button).
frappe.ui.form.on("Shopify Log", {
	refresh(frm) {
		frm.disable_save();
		frm.set_read_only();
		show_rows_for_reading(frm, ["failed_rows", "conflict_rows"]);
		const colour = {
			Success: "green",
			Partial: "orange",
			Failed: "red",
			Aborted: "red",
			Skipped: "gray",
			Held: "orange",
		}[frm.doc.status];
		if (colour) frm.page.set_indicator(__(frm.doc.status), colour);
		if (frm.doc.error && ["Failed", "Aborted", "Partial", "Held"].includes(frm.doc.status)) {
			frm.set_intro(
				frappe.utils.escape_html(frm.doc.error),
				colour === "red" ? "red" : "orange",
			);
		}
	},
});
