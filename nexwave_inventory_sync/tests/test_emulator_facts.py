"""The emulator states Shopify's facts itself (emulator/shopify_facts.py, emulator/sdl/) and
imports nothing from the client it checks. These tests hold the two statements against each
other and the emulator's SDL against Shopify's published schema, so a wrong fact shows as a
disagreement instead of being shared by both sides."""

import ast
import unittest
from pathlib import Path

from graphql import parse, validate

from nexwave_inventory_sync.emulator import schema as emulator_schema
from nexwave_inventory_sync.emulator import shopify_facts as facts
from nexwave_inventory_sync.sync import auth, limits, shop_info, versions
from nexwave_inventory_sync.sync import schema as client_schema
from nexwave_inventory_sync.sync.documents import all_documents
from nexwave_inventory_sync.tests.test_schema_official import ERAS, OFFICIAL, differences, load_official

EMULATOR = Path(facts.__file__).resolve().parent


def imports_of(path: Path) -> list[str]:
    """Every module a file imports, relative ones written as in the file (`..sync.limits`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append("." * node.level + (node.module or ""))
    return found


def reaches_sync(module: str) -> bool:
    """True for an import of the engine: `..sync…` from inside emulator/, or the absolute name."""
    if module.startswith("..") and not module.startswith("..."):
        return module[2:].split(".")[0] == "sync"
    return module == "nexwave_inventory_sync.sync" or module.startswith("nexwave_inventory_sync.sync.")


class EmulatorImportsNothingFromSyncTest(unittest.TestCase):
    def test_no_emulator_module_imports_sync(self):
        offending = {
            f"{path.relative_to(EMULATOR)}: {module}"
            for path in sorted(EMULATOR.rglob("*.py"))
            for module in imports_of(path)
            if reaches_sync(module)
        }
        self.assertEqual(offending, set())

    def test_the_check_sees_each_spelling_of_an_engine_import(self):
        for module in ("..sync", "..sync.limits", "nexwave_inventory_sync.sync.auth"):
            self.assertTrue(reaches_sync(module), module)
        for module in (".clock", "graphql", "..emulator.clock", "nexwave_inventory_sync.syncing"):
            self.assertFalse(reaches_sync(module), module)


class FactsAgreeWithTheClientTest(unittest.TestCase):
    def test_per_call_limits(self):
        self.assertEqual(facts.MAX_QUANTITIES_PER_SET, limits.BATCH_SIZE)
        self.assertEqual(facts.MAX_NODE_IDS, limits.MAX_NODES_PER_QUERY)
        self.assertEqual(facts.MAX_PAGE_SIZE, limits.MAX_PAGE_SIZE)
        self.assertEqual(facts.MAX_QUERY_COST, limits.MAX_QUERY_COST)

    def test_the_default_grant_is_what_the_client_requires(self):
        self.assertEqual(shop_info.missing_scopes(facts.DEFAULT_GRANTED_SCOPES), ())
        self.assertEqual(set(facts.DEFAULT_GRANTED_SCOPES), set(shop_info.REQUIRED_SCOPES))

    def test_version_header_and_versions(self):
        self.assertEqual(facts.VERSION_HEADER.lower(), shop_info.VERSION_HEADER.lower())
        self.assertEqual(facts.IDEMPOTENT_SINCE, versions.IDEMPOTENT_SINCE)
        self.assertEqual(facts.NEWEST_STABLE_VERSION, versions.DEFAULT_API_VERSION)
        self.assertEqual(facts.OLDEST_SERVED_VERSION, versions.OLDEST_API_VERSION)

    def test_every_version_the_client_speaks_is_served_as_itself_in_the_same_shape(self):
        for version in versions.supported_api_versions():
            with self.subTest(version=version):
                self.assertEqual(facts.served_version(version), version)
                self.assertEqual(facts.uses_idempotency(version), versions.uses_idempotency(version))

    def test_versions_the_client_refuses(self):
        """An older release falls forward to the oldest served; a name that is no release is
        a 404 (None), where the client refuses it too."""
        self.assertEqual(facts.served_version("2024-10"), facts.OLDEST_SERVED_VERSION)
        for name in ("2026-05", "unstable", "latest", "", "2026-1"):
            with self.subTest(name=name):
                self.assertIsNone(facts.served_version(name))
                with self.assertRaises(versions.UnsupportedApiVersion):
                    versions.check_api_version(name)

    def test_redirect_hmac_matches_the_clients_check(self):
        secret = "hush"
        for params in (
            {"code": "abc", "shop": "a.myshopify.com", "state": "s", "timestamp": "1700000000"},
            {"shop": "a.myshopify.com", "weird=key": "v&w", "pct": "100%", "hmac": "ignored"},
        ):
            with self.subTest(params=params):
                signed = {**params, "hmac": facts.redirect_hmac(params, secret)}
                self.assertEqual(facts.redirect_hmac(params, secret), auth.redirect_hmac(params, secret))
                self.assertTrue(auth.redirect_signed(signed, secret))

    def test_every_fact_says_where_it_comes_from(self):
        public = {
            name
            for name, value in vars(facts).items()
            if not name.startswith("_")
            and getattr(value, "__module__", facts.__name__) == facts.__name__
            and name not in ("SOURCES", "annotations")
            and not isinstance(value, type(facts))
        }
        self.assertEqual(public - set(facts.SOURCES), set())
        for name, (kind, where) in facts.SOURCES.items():
            with self.subTest(fact=name):
                self.assertIn(kind, ("documented", "guess"))
                self.assertTrue(where)
                if kind == "documented":
                    self.assertIn("https://shopify.dev/", where)


class EmulatorSdlTest(unittest.TestCase):
    def test_every_document_the_client_sends_validates_against_the_emulators_sdl(self):
        for version in versions.supported_api_versions():
            served = emulator_schema.schema_for(version)
            for name, text in {**all_documents(version), **shop_info.documents(version)}.items():
                with self.subTest(version=version, document=name):
                    self.assertEqual([e.message for e in validate(served, parse(text))], [])

    def test_the_client_sdl_asks_for_nothing_the_emulator_does_not_serve(self):
        for version in ("2025-01", "2026-04", versions.DEFAULT_API_VERSION):
            with self.subTest(version=version):
                self.assertEqual(
                    differences(client_schema.schema_for(version), emulator_schema.schema_for(version)), []
                )

    def test_the_emulator_builds_its_own_schema(self):
        for version in ("2025-01", versions.DEFAULT_API_VERSION):
            self.assertIsNot(emulator_schema.schema_for(version), client_schema.schema_for(version))


@unittest.skipUnless(OFFICIAL.is_dir(), f"Shopify's schema files are not at {OFFICIAL}")
class EmulatorSdlAgainstShopifyTest(unittest.TestCase):
    def test_the_emulators_sdl_is_a_subset_of_the_official_schema(self):
        for version, name in ERAS.items():
            with self.subTest(version=version):
                self.assertEqual(differences(emulator_schema.schema_for(version), load_official(name)), [])
