// Copyright (c) 2026, Nexwave and contributors
// For license information, please see license.txt

// Shared by the Shopify Log and Shopify Reconciliation forms: hooks.py's doctype_js appends this
// file to each one's form script, so show_rows_for_reading is defined where they call it.

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
