// Copyright (c) 2026, Nexwave and contributors
// For license information, please see license.txt

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

// A record of what a run did: its grids are for reading. No row checkboxes or edit pencils (a
// click on a row still opens it), and each location by its name on the store instead of its gid.
function show_rows_for_reading(frm, tables) {
	if (!document.getElementById("shopify-read-only-grid-style")) {
		$("<style id='shopify-read-only-grid-style'>")
			.text(
				".shopify-read-only-grid .grid-row-check, .shopify-read-only-grid .btn-open-row" +
					" { visibility: hidden; }",
			)
			.appendTo("head");
	}
	for (const table of tables) {
		const field = frm.get_field(table);
		if (field && field.grid) field.grid.wrapper.addClass("shopify-read-only-grid");
	}
	if (!frm.doc.shopify_store) return;
	frappe.db.get_doc("Shopify Store", frm.doc.shopify_store).then((store) => {
		const names = {};
		for (const row of store.locations || []) {
			if (row.location_name) names[row.shopify_location_id] = row.location_name;
		}
		for (const table of tables) {
			const grid = frm.get_field(table) && frm.get_field(table).grid;
			if (!grid) continue;
			grid.update_docfield_property("shopify_location_id", "formatter", (value) =>
				frappe.utils.escape_html(names[value] || value || ""),
			);
			grid.refresh();
		}
	});
}
