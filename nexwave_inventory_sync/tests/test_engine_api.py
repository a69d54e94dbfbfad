"""The engine's public face (sync/api.py) lists every engine name the ERPNext side, the CLI
and the doctype controllers use, and they import the engine through it alone, so the modules
behind it may move."""

from __future__ import annotations

import ast
import pathlib
import unittest

from nexwave_inventory_sync.sync import api

APP = pathlib.Path(__file__).resolve().parents[1]
SIDES = ("erpnext_side", "cli", "nexwave_inventory_sync/doctype")
# The sides that do not go through the façade: the engine itself, the emulator (it imports
# nothing from the engine, test_emulator_facts keeps it so) and the engine's own tests.
NOT_A_CALLER = ("sync", "emulator", "tests")
# A Frappe test that changes the engine's inside to drive a case imports that module; each is
# named here with what it changes. Everything else goes through sync.api.
PATCHES_THE_INSIDE = {
    ("nexwave_inventory_sync/doctype/shopify_store/test_reliability.py", "sync.sender"): "wraps send_batch",
    (
        "nexwave_inventory_sync/doctype/shopify_reconciliation/test_shopify_reconciliation.py",
        "sync.levels",
    ): "lowers BULK_THRESHOLD",
}


def engine_modules_imported_by(path: pathlib.Path) -> list[tuple[int, str, list[str]]]:
    """(line, "sync.<module>", names) for every import of the engine in a module of the app."""
    package = ["nexwave_inventory_sync", *path.relative_to(APP).parts[:-1]]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            parts = (node.module or "").split(".") if node.module else []
            if node.level:
                parts = package[: len(package) - node.level + 1] + parts
            names = [alias.name for alias in node.names]
            if parts[:2] != ["nexwave_inventory_sync", "sync"]:
                continue
            if len(parts) > 2:
                found.append((node.lineno, "sync." + ".".join(parts[2:]), names))
            else:  # from nexwave_inventory_sync.sync import run, api
                found.extend((node.lineno, f"sync.{name}", []) for name in names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[:2] == ["nexwave_inventory_sync", "sync"]:
                    found.append((node.lineno, "sync." + ".".join(parts[2:]), []))
    return found


def callers() -> list[pathlib.Path]:
    return [
        path
        for path in sorted(APP.rglob("*.py"))
        if path.relative_to(APP).parts[0] not in NOT_A_CALLER and ".venv" not in path.parts
    ]


class EngineApiTest(unittest.TestCase):
    def test_the_facade_lists_what_the_other_sides_import(self):
        used: dict[str, str] = {}
        for side in SIDES:
            for path in (APP / side).rglob("*.py"):
                if not path.name.startswith("test_"):
                    for _line, _module, names in engine_modules_imported_by(path):
                        for name in names:
                            used.setdefault(name, str(path.relative_to(APP)))
        self.assertGreater(len(used), 30)  # the walk found the imports, not nothing
        missing = {name: where for name, where in used.items() if name not in api.__all__}
        self.assertEqual(missing, {})

    def test_every_listed_name_is_there(self):
        for name in api.__all__:
            with self.subTest(name=name):
                self.assertTrue(hasattr(api, name))

    def test_the_other_sides_import_the_engine_through_the_facade(self):
        through_api = 0
        elsewhere = []
        for path in callers():
            where = str(path.relative_to(APP))
            for line, module, _names in engine_modules_imported_by(path):
                if module == "sync.api":
                    through_api += 1
                elif (where, module) not in PATCHES_THE_INSIDE:
                    elsewhere.append(f"{where}:{line} imports {module}")
        self.assertEqual(elsewhere, [])
        self.assertGreater(through_api, 40)  # the walk found the imports, not nothing

    def test_the_engine_never_imports_its_facade(self):
        # api.py imports the engine's modules; one importing api back would be a circle.
        for path in sorted((APP / "sync").rglob("*.py")):
            if path.name != "api.py":
                with self.subTest(module=path.name):
                    modules = {module for _line, module, _names in engine_modules_imported_by(path)}
                    self.assertNotIn("sync.api", modules)
