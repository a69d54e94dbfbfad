"""The SDL this app ships for the inventory surface of the Admin API, per API version.

The engine validates every document against it before sending (gql's Client(schema=...)).
The emulator states its own SDL (emulator/sdl/); tests/test_schema_official.py checks this
one against Shopify's published schema, tests/test_emulator_facts.py the emulator's.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from graphql import GraphQLSchema, build_schema

from .versions import uses_idempotency


def sdl_for(version: str) -> str:
    files = resources.files(__package__) / "sdl"
    shape = "admin_2026_04.graphql" if uses_idempotency(version) else "admin_2025_01.graphql"
    return (files / "_common.graphql").read_text() + "\n" + (files / shape).read_text()


@cache
def _schema_for_sdl(sdl: str) -> GraphQLSchema:
    return build_schema(sdl)


def schema_for(version: str) -> GraphQLSchema:
    """The built schema for an API version (cached: every 2026-04+ version shares one)."""
    return _schema_for_sdl(sdl_for(version))
