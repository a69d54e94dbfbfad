// Copyright (c) 2026, Nexwave and contributors
// For license information, please see license.txt

frappe.listview_settings["Shopify Log"] = {
	add_fields: ["status", "shopify_store", "pushed", "failed"],
	// Filter by store and status from the standard filters; new runs first.
	get_indicator(doc) {
		const colour =
			{
				Success: "green",
				Partial: "orange",
				Failed: "red",
				Aborted: "red",
				Skipped: "gray",
				Held: "orange",
			}[doc.status] || "gray";
		return [__(doc.status), colour, "status,=," + doc.status];
	},
};
