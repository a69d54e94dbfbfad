"""The sync engine: plain Python on gql + requests. Never import frappe here. What the other
sides use is listed in api.py (the engine's public face)."""
