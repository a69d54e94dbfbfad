// Copyright (c) 2026, Nexwave and contributors
// For license information, please see license.txt

frappe.ui.form.on("Shopify Store", {
	refresh(frm) {
		// The Notify field's autocomplete keeps a screen-reader status span at its static place,
		// just past the right column's edge: the whole form scrolled sideways by 2 px.
		if (!document.getElementById("shopify-store-form-style")) {
			$("<style id='shopify-store-form-style'>")
				.text(
					".frappe-control[data-fieldname='drift_notify_users'] .awesomplete > .visually-hidden" +
						" { left: 0; top: 0; }",
				)
				.appendTo("head");
		}
		// An API token or secret is not a password a person chose: no strength meter.
		for (const field of frm.fields) {
			if (field.df && field.df.fieldtype === "Password" && field.disable_password_checks) {
				field.disable_password_checks();
			}
		}
		if (frm.is_new()) {
			const health = frm.get_field("health_html");
			if (health)
				health.$wrapper.html(`<div class="text-muted">${__("No runs yet.")}</div>`);
			return;
		}
		if (frm.doc.backoff_until && frm.doc.backoff_until > frappe.datetime.now_datetime()) {
			// Said on the form, not only in the logs: the schedule has stopped trying for a while.
			frm.set_intro(
				frm.doc.backoff_reason ||
					__("Scheduled runs are paused until {0}", [frm.doc.backoff_until]),
				"orange",
			);
		}
		const health = (frm.doc.__onload || {}).health;
		if (health) {
			frm.page.set_indicator(health.label, health.color);
			render_health(frm, health);
		}
		show_ecommerce_integrations(frm);
		// Buttons act on Shopify or queue jobs: only for those who may change the store.
		if (frm.perm[0] && frm.perm[0].write) {
			frm.add_custom_button(
				__("Test Connection"),
				() => test_connection(frm),
				__("Shopify"),
			);
			frm.add_custom_button(
				__("Fetch Locations"),
				() => fetch_locations(frm),
				__("Shopify"),
			);
			if (frm.doc.auth_method && frm.doc.auth_method.startsWith("Authorization code")) {
				frm.add_custom_button(
					__("Install on Shopify"),
					() => install_on_shopify(frm),
					__("Shopify"),
				);
			}
			frm.add_custom_button(__("Sync Inventory"), () => sync_inventory(frm));
			frm.add_custom_button(__("Reconcile"), () => reconcile_inventory(frm));
			frm.add_custom_button(
				__("Preview Next Sync"),
				() => preview_next_sync(frm),
				__("Shopify"),
			);
			if (frm.doc.last_run_status === "Held") {
				frm.add_custom_button(__("Release Held Run"), () => release_held_run(frm));
			}
		}
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
		frm.add_custom_button(
			__("All Logs"),
			() => frappe.set_route("List", "Shopify Log", { shopify_store: frm.doc.name }),
			__("View"),
		);
		frappe.realtime.off("shopify_inventory_sync_progress");
		frappe.realtime.on("shopify_inventory_sync_progress", (data) => {
			if (data.store !== frm.doc.name) return;
			// An aborted run never reaches 100 %, which is what closes the progress dialog.
			frappe.hide_progress();
			frappe.show_alert(
				{
					message: __("Inventory sync {0}: see {1}", [
						data.status,
						`<a href="/app/shopify-log/${data.log}">${data.log}</a>`,
					]),
					indicator: data.status === "Success" ? "green" : "orange",
				},
				15,
			);
			frm.reload_doc();
		});
	},
});

// Unsaved edits (a new token, another API version) are saved first: the server reads the
// stored token, never the form's.
function saved(frm) {
	return frm.is_dirty() ? frm.save() : Promise.resolve();
}

function sync_inventory(frm) {
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
			description: __("Changed: rows whose figure differs from what Shopify last confirmed"),
		},
		({ scope }) => {
			frm.call("sync_inventory", { scope }).then((r) => {
				const answer = r.message || {};
				frappe.show_alert(
					{ message: answer.message, indicator: answer.queued ? "blue" : "orange" },
					10,
				);
				if (answer.log) frm.reload_doc();
			});
		},
		__("Sync Inventory"),
		__("Sync"),
	);
}

function preview_next_sync(frm) {
	const esc = frappe.utils.escape_html;
	const figure = (v) => (v === null || v === undefined ? "–" : esc(String(v)));
	frm.call({
		method: "preview_next_sync",
		doc: frm.doc,
		args: { scope: "changed" },
		freeze: true,
		freeze_message: __("Reading ERPNext and Shopify..."),
	}).then((r) => {
		const p = r.message || {};
		const head = [
			__("Item"),
			__("SKU"),
			__("Location"),
			__("Action"),
			__("ERPNext"),
			__("Confirmed"),
			__("Shopify"),
			__("Unit"),
			__("Note"),
		]
			.map((h) => `<th>${h}</th>`)
			.join("");
		const body = (p.rows || [])
			.map(
				(row) =>
					`<tr class="${row.conflict ? "text-danger" : ""}"><td>${esc(row.ref || "")}</td><td>${esc(row.sku || "")}</td><td>${esc(row.location_id)}</td><td>${esc(row.action)}</td><td>${figure(row.erpnext)}</td><td>${figure(row.confirmed)}</td><td>${figure(row.shopify)}</td><td>${esc(row.unit || "")}</td><td>${esc(row.note || "")}</td></tr>`,
			)
			.join("");
		const notes = [p.held, p.in_flight, p.shopify_note]
			.filter(Boolean)
			.map((n) => `<p class="text-warning">${esc(n)}</p>`)
			.join("");
		frappe.msgprint({
			title: __("Next sync: {0} rows would be sent", [p.total || 0]),
			wide: true,
			message:
				`<p>${esc(p.scope || "")}: ${__("{0} unchanged, {1} zeroed, {2} conflicts expected; nothing was sent", [p.unchanged || 0, p.zeroed || 0, p.conflicts || 0])}</p>` +
				notes +
				`<div style="overflow:auto;max-height:60vh"><table class="table table-bordered table-sm shopify-preview"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>` +
				(p.total > (p.rows || []).length
					? `<p>${__("The first {0} rows are shown", [(p.rows || []).length])}</p>`
					: ""),
		});
	});
}

function release_held_run(frm) {
	frappe.confirm(
		__(
			"The last run was held: it would have set many items to 0 on Shopify. Checked the warehouse mapping and the stock? The next run sends what it reads, zeros included.",
		),
		() =>
			frm.call("release_held_run").then((r) => {
				const answer = r.message || {};
				frappe.show_alert({
					message: answer.message,
					indicator: answer.queued ? "blue" : "orange",
				});
			}),
	);
}

function reconcile_inventory(frm) {
	frm.call("reconcile_inventory").then((r) => {
		const answer = r.message || {};
		frappe.show_alert({
			message: answer.message,
			indicator: answer.queued ? "blue" : "orange",
		});
	});
}

function install_on_shopify(frm) {
	// Shopify's approval page opens; it sends the admin back to this site's callback, which
	// checks the answer and keeps the token (erpnext_side/oauth_install.py).
	saved(frm)
		.then(() => frm.call({ method: "install_on_shopify", doc: frm.doc }))
		.then((r) => {
			if (r.message && r.message.url) window.location.href = r.message.url;
		});
}

function test_connection(frm) {
	saved(frm)
		.then(() =>
			frm.call({
				method: "test_connection",
				doc: frm.doc,
				freeze: true,
				freeze_message: __("Asking Shopify..."),
			}),
		)
		.then((r) => {
			const a = r.message || {};
			const rows = [];
			// How the store connects, when its token runs out, whether it was renewed just now.
			rows.push([__("Authentication"), frappe.utils.escape_html(a.auth_method || "")]);
			if (a.token_expires_at) {
				rows.push([__("Token expires"), frappe.utils.escape_html(a.token_expires_at)]);
			}
			// A Dev Dashboard store whose renewal failed is not "a pasted token": say it failed.
			const pasted = (a.auth_method || "").startsWith("Access token");
			rows.push([
				__("Token renewal"),
				a.renewable
					? __("renewed just now")
					: pasted
						? __("not renewable (a pasted token)")
						: __("failed: see below"),
			]);
			if (a.reached) {
				rows.push([
					__("Shop"),
					`${frappe.utils.escape_html(a.shop_name)} (${frappe.utils.escape_html(a.shop_domain)})`,
				]);
				rows.push([
					__("Plan"),
					frappe.utils.escape_html(a.plan) + (a.shopify_plus ? " · Shopify Plus" : ""),
				]);
				rows.push([
					__("API version"),
					a.served_version && a.served_version !== a.requested_version
						? __("asked {0}, Shopify served {1}", [
								a.requested_version,
								a.served_version,
							])
						: a.requested_version,
				]);
				rows.push([
					__("Granted scopes"),
					(a.granted_scopes || []).map(frappe.utils.escape_html).join(", ") ||
						__("none"),
				]);
				rows.push([
					__("Missing scopes"),
					(a.missing_scopes || []).map(frappe.utils.escape_html).join(", ") ||
						__("none"),
				]);
			}
			const table = rows.length
				? `<table class="table table-bordered shopify-connection">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("")}</table>`
				: "";
			const problems = (a.problems || [])
				.map((p) => `<li>${frappe.utils.escape_html(p)}</li>`)
				.join("");
			frappe.msgprint({
				title: a.ok ? __("Connected to Shopify") : __("Shopify connection has problems"),
				indicator: a.ok ? "green" : "red",
				message:
					table +
					(problems ? `<ul class="shopify-connection-problems">${problems}</ul>` : ""),
			});
			frm.reload_doc();
		});
}

function location_label(loc, duplicate_names) {
	const number = loc.id.split("/").pop();
	let label = duplicate_names.has(loc.name) ? `${loc.name} (${number})` : loc.name;
	if (!loc.active) label += ` (${__("inactive")})`;
	return label;
}

function fetch_locations(frm) {
	saved(frm)
		.then(() =>
			frm.call({
				method: "fetch_locations",
				doc: frm.doc,
				freeze: true,
				freeze_message: __("Asking Shopify..."),
			}),
		)
		.then((r) => {
			const locations = (r.message || {}).locations || [];
			if (!locations.length) {
				frappe.msgprint(__("Shopify lists no locations for this shop."));
				return;
			}
			const counts = {};
			locations.forEach((l) => (counts[l.name] = (counts[l.name] || 0) + 1));
			const duplicate_names = new Set(Object.keys(counts).filter((n) => counts[n] > 1));
			const by_label = {};
			const by_id = {};
			locations.forEach((l) => {
				const label = location_label(l, duplicate_names);
				by_label[label] = l;
				by_id[l.id] = label;
			});
			const listing = `<table class="table table-bordered shopify-locations">
				<tr><th>${__("Location")}</th><th>${__("ID")}</th><th>${__("Active")}</th><th>${__("Fulfils online orders")}</th></tr>
				${locations
					.map(
						(
							l,
						) => `<tr class="${l.active ? "" : "text-muted"}"><td>${frappe.utils.escape_html(l.name)}</td>
					<td>${l.id.split("/").pop()}</td><td>${l.active ? __("Yes") : __("No (inactive)")}</td>
					<td>${l.fulfills_online_orders ? __("Yes") : __("No")}</td></tr>`,
					)
					.join("")}
			</table>`;
			const current = (frm.doc.locations || []).map((row) => ({
				warehouse: row.warehouse,
				location: by_id[row.shopify_location_id] || "",
			}));
			const dialog = new frappe.ui.Dialog({
				title: __("Map Warehouses to Shopify Locations"),
				size: "large",
				fields: [
					{ fieldtype: "HTML", fieldname: "listing", options: listing },
					{
						fieldtype: "Table",
						fieldname: "mappings",
						label: __("Warehouse → Location"),
						cannot_add_rows: false,
						in_place_edit: true,
						data: current.length ? current : [{ warehouse: "", location: "" }],
						fields: [
							{
								fieldtype: "Link",
								fieldname: "warehouse",
								label: __("Warehouse"),
								options: "Warehouse",
								in_list_view: 1,
								reqd: 1,
								get_query: () => ({ filters: { is_group: 0 } }),
							},
							{
								fieldtype: "Select",
								fieldname: "location",
								label: __("Shopify Location"),
								in_list_view: 1,
								reqd: 1,
								options: [""].concat(Object.keys(by_label)).join("\n"),
							},
						],
					},
				],
				primary_action_label: __("Save Mapping"),
				primary_action(values) {
					const rows = (values.mappings || []).filter((m) => m.warehouse && m.location);
					frm.clear_table("locations");
					rows.forEach((m) => {
						const loc = by_label[m.location];
						frm.add_child("locations", {
							warehouse: m.warehouse,
							shopify_location_id: loc.id,
							location_name: loc.name,
						});
					});
					frm.refresh_field("locations");
					dialog.hide();
					frm.save();
				},
			});
			dialog.show();
		});
}

function render_health(frm, health) {
	const field = frm.get_field("health_html");
	if (!field) return;
	const runs = health.runs || [];
	const next = health.next_run
		? __("Next scheduled run: {0}", [frappe.datetime.str_to_user(health.next_run)])
		: __("No scheduled run: the store is {0}", [health.label.toLowerCase()]);
	const scheduler = health.scheduler_disabled
		? `<div class="text-danger">${__("The site's scheduler is disabled: no scheduled run will happen (bench enable-scheduler).")}</div>`
		: "";
	// Items not sold online are a state of the catalog, not a failure: a note, not a colour.
	const missing = health.not_on_shopify
		? `<div class="shopify-not-on-shopify text-muted">${__(
				"{0} items are not on Shopify (looked up again when the item changes, or daily).",
				[frappe.format(health.not_on_shopify, { fieldtype: "Int" }, { inline: true })],
			)} <a class="shopify-not-on-shopify-list">${__("See the list")}</a></div>`
		: "";
	field.$wrapper.html(`<div class="shopify-health">
		<div class="shopify-next-run text-muted">${next}</div>${scheduler}${missing}
		<div class="shopify-runs-chart"></div>
		${runs.length ? "" : `<div class="text-muted">${__("No runs yet.")}</div>`}
	</div>`);
	field.$wrapper.find(".shopify-not-on-shopify-list").on("click", () => {
		// Item's list filtered on its Shopify Stores rows (list view reads "Child.field" keys).
		frappe.route_options = {
			"Item Shopify Store.shopify_store": frm.doc.name,
			"Item Shopify Store.not_on_shopify": 1,
		};
		frappe.set_route("List", "Item");
	});
	if (!runs.length) return;
	// One scale for a full push of thousands of rows and a changed-items run of three: rows on a
	// log scale, the axis and the tooltips in plain counts.
	const scaled = (n) => Math.log10(1 + (n || 0));
	const count = (value) => Math.round(Math.pow(10, value) - 1);
	const labels = runs.map(
		(r) =>
			`${frappe.datetime.str_to_user(r.started_at)} · ${__(r.status)} · ${
				r.full_push ? __("full push") : __("changed items")
			} · ${Math.round((r.duration || 0) * 10) / 10} s`,
	);
	new frappe.Chart(field.$wrapper.find(".shopify-runs-chart")[0], {
		title: __("Last {0} runs: rows per run", [runs.length]),
		type: "bar",
		height: 220,
		// The Shopify Log list's indicator colours (Frappe's green, gray and red, as the workspace's
		// runs chart has them): green landed, red failed; grey for items not on Shopify.
		colors: ["#30a66d", "blue", "#999999", "#e03636"],
		data: {
			labels,
			datasets: [
				{
					name: __("Pushed: changed items"),
					values: runs.map((r) => (r.full_push ? 0 : scaled(r.pushed))),
				},
				{
					name: __("Pushed: full push"),
					values: runs.map((r) => (r.full_push ? scaled(r.pushed) : 0)),
				},
				{
					name: __("Not on Shopify"),
					values: runs.map((r) => scaled(r.skipped_unmapped)),
				},
				{ name: __("Failed or refused"), values: runs.map((r) => scaled(r.failed)) },
			],
		},
		axisOptions: {
			xIsSeries: 1,
			xAxisMode: "tick",
			shortenYAxisNumbers: 1,
			numberFormatter: (value) => format_count(count(value)),
		},
		tooltipOptions: { formatTooltipY: (value) => format_count(count(value)) },
	});
}

function format_count(n) {
	return n.toLocaleString();
}

function show_ecommerce_integrations(frm) {
	const handover = (frm.doc.__onload || {}).ecommerce_integrations;
	if (!handover) return;
	if (handover.competing_sync) {
		frm.set_intro(
			__(
				"ecommerce_integrations still pushes inventory to this shop (Shopify Setting: Update ERPNext stock levels to Shopify). Two connectors writing the same numbers overwrite each other: switch that off before enabling this store. See <a href='/shopify-sync-guide#coming-from-ecommerce_integrations' target='_blank'>the guide: Coming from ecommerce_integrations</a>.",
			),
			"red",
		);
	}
	if (handover.adoptable && frm.perm[0] && frm.perm[0].write) {
		frm.add_custom_button(
			__("Adopt ecommerce_integrations Links ({0})", [handover.adoptable]),
			() => {
				frm.call("adopt_ecommerce_item_links").then((r) => {
					frappe.show_alert({ message: (r.message || {}).message, indicator: "green" });
					frm.reload_doc();
				});
			},
			__("Shopify"),
		);
	}
}
