"""The engine's public face (sync/api.py) lists every engine name the ERPNext side, the CLI
and the doctype controllers import, so they can import it from one place."""

from __future__ import annotations

import ast
import pathlib
import unittest

from nexwave_inventory_sync.sync import api

APP = pathlib.Path(__file__).resolve().parents[1]
SIDES = ("erpnext_side", "cli", "nexwave_inventory_sync/doctype")


def engine_names_imported_by(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        module = node.module or ""
        absolute = module.startswith("nexwave_inventory_sync.sync")
        relative = node.level >= 2 and module.split(".")[0] == "sync"
        if absolute or relative:
            names.update(alias.name for alias in node.names)
    return names


class EngineApiTest(unittest.TestCase):
    def test_the_facade_lists_what_the_other_sides_import(self):
        used: dict[str, str] = {}
        for side in SIDES:
            for path in (APP / side).rglob("*.py"):
                if not path.name.startswith("test_"):
                    for name in engine_names_imported_by(path):
                        used.setdefault(name, str(path.relative_to(APP)))
        self.assertGreater(len(used), 30)  # the walk found the imports, not nothing
        missing = {name: where for name, where in used.items() if name not in api.__all__}
        self.assertEqual(missing, {})

    def test_every_listed_name_is_there(self):
        for name in api.__all__:
            with self.subTest(name=name):
                self.assertTrue(hasattr(api, name))
