"""The sync engine: plain Python on gql + requests. Never import frappe here."""
