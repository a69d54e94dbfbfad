"""The ERPNext side: reads stock from ERPNext, schedules and runs each store's job, writes its log.

Everything here may import frappe; the engine (`..sync`) never imports from here."""
