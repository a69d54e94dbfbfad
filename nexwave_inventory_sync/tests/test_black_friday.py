"""A short Black-Friday simulation (benchmarks/black_friday.py) with the issue's bounds:
with Shopify as the only channel the best setting oversells nothing and undersells at most
twice what the snapshot push does; one reconciliation leaves at most 0.1 % of rows drifted."""

import importlib.util
import unittest
from pathlib import Path

HAVE_BENCHMARKS = (
    importlib.util.find_spec("benchmarks") is not None
    and (Path(__file__).resolve().parents[2] / "benchmarks").is_dir()
)


@unittest.skipUnless(HAVE_BENCHMARKS, "the benchmarks package sits beside the app, in a source checkout only")
class BlackFridayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from benchmarks import black_friday as bf

        cls.bf = bf
        cls.scenario = bf.Scenario(skus=500, hours=1.0, orders_per_second=0.3, seed=7)
        settings = {s.name[:2]: s for s in bf.SETTINGS}
        cls.snapshot = bf.simulate(cls.scenario, settings["a."])
        cls.best = bf.simulate(cls.scenario, settings["d."])

    def test_the_snapshot_push_oversells_and_the_best_setting_does_not(self):
        self.assertGreater(self.snapshot.shopify_oversold, 0)  # the race the seed describes
        self.assertEqual(self.best.shopify_oversold, 0)

    def test_undersold_within_twice_the_snapshot_push(self):
        self.assertGreater(self.snapshot.undersold_unit_minutes, 0)
        self.assertLessEqual(self.best.undersold_unit_minutes, 2 * self.snapshot.undersold_unit_minutes)

    def test_drift_after_a_reconciliation_is_at_most_a_thousandth_of_rows(self):
        self.assertEqual(self.best.reconciliations, 1)
        self.assertLessEqual(self.best.drifted_after_last_run, 0.001 * self.scenario.skus)

    def test_delta_runs_cost_fewer_calls_than_snapshots(self):
        self.assertLess(self.best.calls, self.snapshot.calls)

    def test_with_other_channels_the_import_lag_still_oversells_there(self):
        scenario = self.bf.Scenario(**{**self.scenario.__dict__, "skus": 300, "other_sales_per_second": 0.2})
        other = self.bf.simulate(scenario, [s for s in self.bf.SETTINGS if s.name.startswith("d.")][0])
        # Other channels sell on ERPNext's figure, blind to Shopify orders not imported yet.
        self.assertGreater(other.other_oversold, 0)
        self.assertLessEqual(other.drifted_after_last_run, 0.001 * scenario.skus)

    def test_admin_edits_are_found_and_corrected_by_the_reconciliation(self):
        scenario = self.bf.Scenario(**{**self.scenario.__dict__, "skus": 300, "admin_edits_per_hour": 30.0})
        settings = {s.name[:2]: s for s in self.bf.SETTINGS}
        without = self.bf.simulate(scenario, settings["c."])
        reconciled = self.bf.simulate(scenario, settings["d."])
        # A delta run skips rows ERPNext did not change: an edit stays until a read finds it.
        self.assertGreater(without.drifted_after_last_run, 0.001 * scenario.skus)
        self.assertLess(reconciled.drifted_after_last_run, without.drifted_after_last_run)
        # An edit up is corrected at once; an edit down looks like a fulfilment ERPNext has not
        # booked (on_hand) and waits for the next reconciliation (one in this hour): none is left
        # showing more than ERPNext's figure and the truth.
        self.assertLessEqual(reconciled.drifted_above_after_last_run, 0.001 * scenario.skus)
        self.assertGreater(without.drifted_above_after_last_run, 0.001 * scenario.skus)


@unittest.skipUnless(HAVE_BENCHMARKS, "the benchmarks package sits beside the app, in a source checkout only")
class FastPathSimulationTest(unittest.TestCase):
    """Issue 17 §3's settings: the fast path pushes ERPNext's changes seconds after them, webhook
    checks read the levels Shopify says moved."""

    @classmethod
    def setUpClass(cls):
        from benchmarks import black_friday as bf

        cls.bf = bf
        cls.settings = {s.name[:2]: s for s in bf.SETTINGS}
        cls.other = bf.Scenario(
            skus=300, hours=0.5, orders_per_second=0.3, other_sales_per_second=0.2, seed=7
        )

    def test_the_fast_path_oversells_less_than_the_ten_minute_interval_with_other_channels(self):
        from dataclasses import replace

        scheduled = self.bf.simulate(self.other, self.settings["c."])
        # Within a minute (the goal), not the contended bench's measured p95.
        fast = self.bf.simulate(self.other, replace(self.settings["e."], fast_latency=60.0))
        self.assertGreater(scheduled.shopify_oversold, 0)
        self.assertLessEqual(fast.shopify_oversold * 4, scheduled.shopify_oversold)
        self.assertGreater(fast.fast_runs, 0)

    def test_webhook_checks_correct_admin_edits_up_without_a_reconciliation(self):
        edits = self.bf.Scenario(
            skus=300, hours=0.5, orders_per_second=0.3, admin_edits_per_hour=30.0, seed=7
        )
        checked = self.bf.simulate(edits, self.settings["g."])
        self.assertEqual(checked.reconciliations, 0)
        self.assertGreater(checked.webhook_checks, 0)
        self.assertEqual(checked.drifted_above_after_last_run, 0)
