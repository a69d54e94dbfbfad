// Copyright (c) 2026, Nexwave and contributors
// For license information, please see license.txt

// Why isn't this item on Shopify? Its state in each store, in words, and Push this item now.
frappe.ui.form.on("Item", {
	refresh(frm) {
		if (frm.is_new()) return;
		frappe
			.call("nexwave_inventory_sync.erpnext_side.item_state.item_shopify_states", {
				item_code: frm.doc.name,
			})
			.then((r) => {
				const states = r.message || [];
				if (!states.length) return;
				const esc = frappe.utils.escape_html;
				const rows = states
					.map(
						(s) =>
							`<tr><td>${esc(s.store)}</td><td><b>${esc(__(s.state))}</b></td><td>${esc(s.reason)}${
								s.log
									? ` (<a href="/app/shopify-log/${encodeURIComponent(s.log)}">${esc(s.log)}</a>)`
									: ""
							}</td></tr>`,
					)
					.join("");
				frm.dashboard.add_section(
					`<table class="table table-sm shopify-item-states"><thead><tr><th>${__(
						"Shopify Store",
					)}</th><th>${__("State")}</th><th>${__("Why")}</th></tr></thead><tbody>${rows}</tbody></table>`,
					__("Shopify"),
				);
				states
					.filter((s) => s.can_push)
					.forEach((s) =>
						frm.add_custom_button(
							states.length > 1
								? __("Push this item now to {0}", [s.store])
								: __("Push this item now"),
							() =>
								frappe
									.call(
										"nexwave_inventory_sync.erpnext_side.item_state.push_item_now",
										{ item_code: frm.doc.name, store: s.store },
									)
									.then((answer) => {
										const a = answer.message || {};
										frappe.show_alert({
											message: a.message,
											indicator: a.queued ? "blue" : "orange",
										});
									}),
							__("Shopify"),
						),
					);
			});
	},
});
