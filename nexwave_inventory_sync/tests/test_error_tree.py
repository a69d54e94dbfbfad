"""One error tree (issue 20 §2): every error the engine raises is an EngineError with an
ErrorKind; the client raises the run abort itself, so no caller translates one into it."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import unittest

from nexwave_inventory_sync import sync
from nexwave_inventory_sync.emulator import Fault
from nexwave_inventory_sync.sync import documents
from nexwave_inventory_sync.sync.bulk import BulkReadFailed, run_bulk_query
from nexwave_inventory_sync.sync.client import CallFailed, RunAborted, ShopifyClient
from nexwave_inventory_sync.sync.errors import AuthError, EngineError, ErrorKind, InvalidRequest
from nexwave_inventory_sync.sync.retry import ACTIONS, EXHAUSTED, NO_WAIT, Action, RetryPolicy
from nexwave_inventory_sync.sync.shop_info import SHOP_INFO, ShopInfoError, check_connection

from .emulated_shop import EmulatedShopTest


def engine_exceptions() -> list[type[BaseException]]:
    found = []
    for module_info in pkgutil.iter_modules(sync.__path__):
        module = importlib.import_module(f"{sync.__name__}.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


class ErrorTreeTest(unittest.TestCase):
    def test_every_engine_error_descends_from_one_base_with_a_kind(self):
        errors = engine_exceptions()
        self.assertGreater(len(errors), 20)  # the walk found the tree, not nothing
        for cls in errors:
            with self.subTest(error=cls.__qualname__):
                self.assertTrue(issubclass(cls, EngineError), f"{cls.__module__}.{cls.__qualname__}")
                self.assertIsInstance(cls.kind, ErrorKind)
        self.assertIs(ShopInfoError, CallFailed)  # the app's name for a failed check

    def test_a_misspelt_kind_fails_loudly(self):
        with self.assertRaises(ValueError):
            ErrorKind("throtled")
        with self.assertRaises(ValueError):
            EngineError("a read failed", kind="faild")
        with self.assertRaises(AttributeError):
            ErrorKind.THROTLED  # noqa: B018
        for table in (ACTIONS, EXHAUSTED):
            self.assertTrue(all(isinstance(kind, ErrorKind) for kind in table))

    def test_a_kind_reads_logs_and_stores_as_its_name(self):
        kind = ErrorKind.AUTH
        self.assertEqual((str(kind), f"{kind}", f"{kind:>5}"), ("auth", "auth", " auth"))
        self.assertEqual(json.dumps({"kind": kind}), '{"kind": "auth"}')
        self.assertEqual(kind, "auth")
        self.assertEqual(BulkReadFailed("missing", "lost").kind, ErrorKind.BULK_MISSING)

    def test_every_retried_kind_has_a_budget(self):
        policy = RetryPolicy()
        for kind, action in ACTIONS.items():
            with self.subTest(kind=kind):
                self.assertEqual(action is Action.RETRY, policy.budget(kind) > 0)


class AbortIsAPropertyOfTheCallTest(EmulatedShopTest):
    items = 3

    def client(self, **kw) -> ShopifyClient:
        return ShopifyClient(self.endpoint(**kw), clock=self.clock, policy=NO_WAIT, timeout=(2.0, 5.0))

    def test_a_refused_token_raises_the_run_abort_from_execute(self):
        with self.client(token="shpat_wrong") as client, self.assertRaises(RunAborted) as caught:
            client.execute(SHOP_INFO, None, operation="ShopInfo")
        abort = caught.exception
        self.assertIsInstance(abort, CallFailed)
        self.assertIsInstance(abort.error, AuthError)
        self.assertEqual(
            (abort.kind, abort.action, abort.operation), (ErrorKind.AUTH, Action.ABORT_RUN, "ShopInfo")
        )
        self.assertIs(abort.failure, abort)  # the old spelling, abort.failure.error, still reads
        self.assertNotIn("shpat_wrong", str(abort))

    def test_a_call_that_fails_only_its_work_is_not_an_abort(self):
        self.emulator.faults.script(Fault.graphql_error("BAD_USER_INPUT"), operation="ShopInfo")
        with self.client() as client, self.assertRaises(CallFailed) as caught:
            client.execute(SHOP_INFO, None, operation="ShopInfo")
        self.assertNotIsInstance(caught.exception, RunAborted)
        self.assertIsInstance(caught.exception.error, InvalidRequest)
        self.assertIs(caught.exception.action, Action.FAIL_BATCH)

    def test_a_bulk_call_that_fails_is_a_bulk_read_failure_naming_the_call(self):
        self.emulator.faults.script(Fault.graphql_error("BAD_USER_INPUT"), operation="BulkRunQuery")
        with self.client() as client, self.assertRaises(BulkReadFailed) as caught:
            list(run_bulk_query(client, documents.BULK_LEVELS_QUERY))
        self.assertEqual(caught.exception.kind, ErrorKind.BULK_FAILED)
        self.assertIn("BulkRunQuery:", caught.exception.message)

    def test_a_bulk_read_stops_on_the_run_abort(self):
        with self.client(token="shpat_wrong") as client, self.assertRaises(RunAborted):
            list(run_bulk_query(client, documents.BULK_LEVELS_QUERY))

    def test_a_failed_connection_check_keeps_its_kind_and_status(self):
        with self.assertRaises(ShopInfoError) as caught:
            check_connection(self.endpoint(token="shpat_wrong"), clock=self.clock, policy=NO_WAIT)
        self.assertEqual(caught.exception.kind, "auth")
        self.assertIn("HTTP 401", caught.exception.message)
