"""Scaffolding for the Frappe suites and the browser walkthrough, never imported by product code:
the test base class of the Frappe version (compat.py), real ERPNext records (fixtures.py), the
store-job tests' mixins (stores.py) and the walkthrough's site data (desk_demo.py)."""
