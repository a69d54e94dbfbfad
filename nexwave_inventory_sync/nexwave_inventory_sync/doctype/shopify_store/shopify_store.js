// Copyright (c) 2026, Nexwave and contributors
// For license information, please see license.txt

frappe.ui.form.on("Shopify Store", {
	refresh(frm) {
		if (frm.is_new()) return;
		if (frm.doc.backoff_until && frm.doc.backoff_until > frappe.datetime.now_datetime()) {
			// Said on the form, not only in the logs: the schedule has stopped trying for a while.
			frm.set_intro(
				frm.doc.backoff_reason ||
					__("Scheduled runs are paused until {0}", [frm.doc.backoff_until]),
				"orange",
			);
		}
		frm.add_custom_button(__("Sync Inventory"), () => {
			frm.call("sync_inventory").then((r) => {
				const answer = r.message || {};
				frappe.show_alert({
					message: answer.message,
					indicator: answer.queued ? "blue" : "orange",
				});
				if (answer.log) frm.reload_doc();
			});
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
