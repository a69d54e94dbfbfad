"""`nexwave-sync push --dry-run` and an earlier run's rows in flight (the crash rule): the dry
run shows what the next push really does, which settles those rows by Shopify's figure first,
and it writes nothing (the marks stay for the push)."""

from __future__ import annotations

import unittest

from nexwave_inventory_sync.cli.state import SyncState
from nexwave_inventory_sync.emulator import Fault
from nexwave_inventory_sync.sync.delta import ConfirmedLevel
from nexwave_inventory_sync.sync.in_flight import InFlightCheck, InFlightLevel, settle_marks
from nexwave_inventory_sync.sync.preview import PreviewRow
from nexwave_inventory_sync.sync.preview_in_flight import levels_after_check, summarise, with_in_flight_notes

from .test_cli_state import ITEM, LOC, SHOP, StateTestCase


class DryRunInFlightTest(StateTestCase):
    """The state file, the CSV and the push command are StateTestCase's."""

    def stock(self, changes=None) -> str:
        quantities = {i: 10 for i in range(1, 41)}
        quantities.update(changes or {})
        return self.csv(quantities, name=f"stock-{len(list(self.folder.iterdir()))}.csv")

    def leave_in_flight(self, *marks: InFlightLevel) -> None:
        """What a push killed while its batch was out leaves: the marks, the levels before."""
        with SyncState(self.state, SHOP, self.emulator.base_url.lower()) as state:
            state.mark_in_flight(marks)

    def marks(self) -> list[InFlightLevel]:
        with SyncState(self.state, SHOP, self.emulator.base_url.lower()) as state:
            return state.marks()

    def test_the_dry_run_settles_rows_in_flight_as_the_push_will(self):
        self.assertEqual(self.push(self.stock())[0], 0)  # Shopify 10 everywhere, confirmed
        # A push of 5 -> 3 and 6 -> 4 was killed with its batch out: 5's landed, 6's did not.
        self.leave_in_flight(
            InFlightLevel(ITEM.format(5), LOC, 3, 10, "SKU-000005"),
            InFlightLevel(ITEM.format(6), LOC, 4, 10, "SKU-000006"),
        )
        self.catalog.set_available(ITEM.format(5), LOC, 3)
        stock = self.stock({5: 3, 6: 4})
        code, out, _ = self.push(stock, "--dry-run")
        self.assertEqual(code, 0, out)
        # 5 is already at 3 on Shopify: the push settles it and sends nothing for it, and no
        # conflict (reading Shopify's 3 against the stale confirmed 10 would be one).
        self.assertIn("1 rows would be sent (0 zeroed), 39 unchanged, 0 conflicts expected", out)
        self.assertIn("2 rows were left in flight by an earlier run", out)
        self.assertIn("1 landed, 1 did not", out)
        row6 = next(line for line in out.splitlines() if line.startswith("SKU-000006"))
        self.assertEqual(row6.split()[2:6], ["change", "4", "10", "10"])
        self.assertIn("in flight in an earlier run (sent 4)", row6)
        self.assertFalse(any(line.startswith("SKU-000005") for line in out.splitlines()), out)
        self.assertEqual(len(self.marks()), 2, "the dry run settled nothing")
        # The push then does what the dry run said.
        code, out, _ = self.push(stock)
        self.assertEqual(code, 0, out)
        self.assertIn("1 changed", out)
        self.assertRegex(out, r"\nconflicts +0\n")
        self.assertEqual(self.marks(), [])
        self.assertEqual(self.catalog.available(ITEM.format(6), LOC), 4)

    def test_rows_in_flight_that_cannot_be_read_are_shown_in_doubt(self):
        self.assertEqual(self.push(self.stock())[0], 0)
        self.leave_in_flight(InFlightLevel(ITEM.format(6), LOC, 4, 10, "SKU-000006"))
        self.emulator.faults.script(Fault.status(403))  # the marks' read is refused
        code, out, _ = self.push(self.stock({6: 4}), "--dry-run")
        self.assertEqual(code, 0, out)
        self.assertIn("not read from Shopify", out)
        self.assertIn("nothing is sent until they are read", out)
        self.assertEqual(len(self.marks()), 1)


G1, G2, G3, G4 = (f"gid://shopify/InventoryItem/{n}" for n in range(1, 5))
L = "gid://shopify/Location/1"


class PureTest(unittest.TestCase):
    def test_the_levels_a_check_proves_replace_the_stored_ones(self):
        stored = [
            ConfirmedLevel(G1, L, 10, "a"),
            ConfirmedLevel(G2, L, 10, "b"),
            ConfirmedLevel(G3, L, 10, "c"),
        ]
        marks = [
            InFlightLevel(G1, L, 3, 10, "a"),  # landed
            InFlightLevel(G2, L, 4, 10, "b"),  # gone from Shopify
            InFlightLevel(G4, L, 6, None, "d"),  # never confirmed, landed
        ]
        check = settle_marks(marks, {(G1, L): 3, (G4, L): 6})
        after = {level.key: level.quantity for level in levels_after_check(stored, check)}
        self.assertEqual(after, {(G1, L): 3, (G3, L): 10, (G4, L): 6})
        summary = summarise(marks, check)
        self.assertEqual((summary.landed, summary.not_landed, summary.gone, summary.in_doubt), (2, 0, 1, 0))
        unread = InFlightCheck((), (), tuple(marks), error="HTTP 503")
        self.assertEqual(levels_after_check(stored, unread), stored)
        self.assertEqual(summarise(marks, unread).in_doubt, 3)
        self.assertIn("HTTP 503", summarise(marks, unread).describe())
        self.assertIsNone(summarise([], None).describe())

    def test_a_row_in_flight_carries_a_note(self):
        row = PreviewRow("a", "A", L, "change", 3, 10, 10, False)
        other = PreviewRow("z", "Z", L, "set", 1, None, None, False)
        marks = [InFlightLevel(G1, L, 3, 10, "a")]
        noted = with_in_flight_notes([row, other], marks, None)
        self.assertIn("in doubt", noted[0].note)
        self.assertEqual(noted[1], other)
        check = settle_marks(marks, {(G1, L): 10})
        self.assertIn("settled by Shopify's figure first", with_in_flight_notes([row], marks, check)[0].note)


if __name__ == "__main__":
    unittest.main()
