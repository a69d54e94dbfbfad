// Copyright (c) 2026, Nexwave and contributors
// For license information, please see license.txt

frappe.ui.form.on("Shopify Store", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Sync Inventory"), () => {
			frappe.prompt(
				{
					fieldname: "scope",
					fieldtype: "Select",
					label: __("Push"),
					options: [
						{ value: "changed", label: __("Changed items only") },
						{ value: "all", label: __("All items") },
					],
					default: "changed",
					description: __(
						"Changed: rows whose figure differs from what Shopify last confirmed",
					),
				},
				({ scope }) => {
					frm.call("sync_inventory", { scope }).then((r) => {
						const answer = r.message || {};
						frappe.show_alert({
							message: answer.message,
							indicator: answer.queued ? "blue" : "orange",
						});
						if (answer.log) frm.reload_doc();
					});
				},
				__("Sync Inventory"),
				__("Sync"),
			);
		});
		frm.add_custom_button(__("Reconcile"), () => {
			frm.call("reconcile_inventory").then((r) => {
				const answer = r.message || {};
				frappe.show_alert({
					message: answer.message,
					indicator: answer.queued ? "blue" : "orange",
				});
			});
		});
		if (frm.doc.last_reconciliation_doc) {
			frm.add_custom_button(
				__("Last Reconciliation"),
				() =>
					frappe.set_route(
						"Form",
						"Shopify Reconciliation",
						frm.doc.last_reconciliation_doc,
					),
				__("View"),
			);
		}
		frappe.realtime.off("shopify_reconciliation_progress");
		frappe.realtime.on("shopify_reconciliation_progress", (data) => {
			if (data.store !== frm.doc.name) return;
			frappe.hide_progress();
			frappe.show_alert({
				message: __("Reconciliation {0}: {1} drifted of {2} compared, see {3}", [
					data.status,
					data.drifted,
					data.compared,
					`<a href="/app/shopify-reconciliation/${data.reconciliation}">${data.reconciliation}</a>`,
				]),
				indicator: data.status === "Success" ? "green" : "orange",
			});
			frm.reload_doc();
		});
		if (frm.doc.last_log) {
			frm.add_custom_button(
				__("Last Log"),
				() => frappe.set_route("Form", "Shopify Log", frm.doc.last_log),
				__("View"),
			);
		}
		frappe.realtime.off("shopify_inventory_sync_progress");
		frappe.realtime.on("shopify_inventory_sync_progress", (data) => {
			if (data.store !== frm.doc.name) return;
			// An aborted run never reaches 100 %, which is what closes the progress dialog.
			frappe.hide_progress();
			frappe.show_alert({
				message: __("Inventory sync {0}: see {1}", [
					data.status,
					`<a href="/app/shopify-log/${data.log}">${data.log}</a>`,
				]),
				indicator: data.status === "Success" ? "green" : "orange",
			});
			frm.reload_doc();
		});
	},
});
