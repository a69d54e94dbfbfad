"""The access token never appears in a log line, an exception text or a result."""

import logging

from nexwave_inventory_sync.emulator import Fault
from nexwave_inventory_sync.sync.client import ShopifyClient
from nexwave_inventory_sync.sync.transport import ShopifyTransport

from .emulated_shop import TOKEN, EmulatedShopTest


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


class TokenNeverLeaksTest(EmulatedShopTest):
    items = 500

    def test_token_absent_from_logs_errors_and_results(self):
        handler = _Collect()
        root = logging.getLogger()
        previous = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        self.addCleanup(root.removeHandler, handler)
        self.addCleanup(root.setLevel, previous)

        self.emulator.faults.script(
            Fault.status(500), Fault.html(502), Fault.status(422), operation="SetInventoryQuantities"
        )
        mixed = self.sync(self.warm_rows() + self.sku_rows(20))
        self.emulator.faults.script(Fault.status(401), operation="SetInventoryQuantities")
        aborted = self.sync(self.warm_rows())

        self.assertTrue(handler.lines, "the run logged nothing at DEBUG: the check would prove nothing")
        texts = handler.lines + [repr(mixed), repr(aborted), str(aborted.abort_reason)]
        texts += [f.message for f in mixed.failures]
        texts += [
            repr(self.endpoint()),
            repr(ShopifyClient(self.endpoint())),
            repr(ShopifyTransport("http://127.0.0.1", TOKEN)),
        ]
        self.assertTrue(any(f.message for f in mixed.failures))
        self.assertEqual([t for t in texts if TOKEN in t], [])
