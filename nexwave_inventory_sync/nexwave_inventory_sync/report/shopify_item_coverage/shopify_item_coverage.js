// Copyright (c) 2026, Nexwave and contributors
// For license information, please see license.txt

frappe.query_reports["Shopify Item Coverage"] = {
	filters: [
		{
			fieldname: "shopify_store",
			label: __("Shopify Store"),
			fieldtype: "Link",
			options: "Shopify Store",
			reqd: 1,
		},
		{
			fieldname: "state",
			label: __("State"),
			fieldtype: "Select",
			options: [
				"",
				"Pushed",
				"Waiting for the next run",
				"Not found on Shopify",
				"SKU on two variants",
				"SKU on two items",
				"No SKU",
				"Untracked in Shopify",
				"Shopify bundle",
				"Taken out of sync",
				"No mapped warehouse holds it",
				"Held conflict",
				"Refused",
			].join("\n"),
		},
	],
};
