frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["Shopify Runs by Status"] = {
	method: "nexwave_inventory_sync.nexwave_inventory_sync.dashboard_chart_source.shopify_runs_by_status.shopify_runs_by_status.get",
	filters: [],
};
