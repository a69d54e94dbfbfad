"""The emulator's schema per API version, built from its own SDL (emulator/sdl/), not the
client's: a document is validated against what the emulated Shopify serves."""

from __future__ import annotations

from functools import cache
from importlib import resources

from graphql import GraphQLSchema, build_schema

from .shopify_facts import uses_idempotency


def sdl_for(version: str) -> str:
    files = resources.files(__package__) / "sdl"
    shape = "admin_2026_04.graphql" if uses_idempotency(version) else "admin_2025_01.graphql"
    return (files / "_common.graphql").read_text() + "\n" + (files / shape).read_text()


@cache
def _schema_for_sdl(sdl: str) -> GraphQLSchema:
    return build_schema(sdl)


def schema_for(version: str) -> GraphQLSchema:
    """The built schema for a served version (cached: every 2026-04+ version shares one)."""
    return _schema_for_sdl(sdl_for(version))
