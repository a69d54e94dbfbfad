"""The soak, short: three seeded runs with random faults on about 30 % of requests, each
checked for every promise (benchmarks/soak.py has the checks; the long run writes
docs/reliability.md). No timing is asserted."""

import unittest
import unittest.mock

from .test_benchmarks_smoke import HAVE_BENCHMARKS


@unittest.skipUnless(HAVE_BENCHMARKS, "the benchmarks package sits beside the app, in a source checkout only")
class ShortSoakTest(unittest.TestCase):
    def test_no_row_lost_under_random_faults(self):
        from benchmarks.soak import soak

        results = soak(runs=3, items=300, rate=0.3, first_seed=101)
        injected = sum(sum(f.faults.values()) for f in results)
        self.assertGreater(injected, 0)  # the faults really struck
        for figures in results:
            with self.subTest(seed=figures.seed, status=figures.status, faults=dict(figures.faults)):
                self.assertEqual(
                    (
                        figures.unaccounted,
                        figures.pushed_but_wrong,
                        figures.written_twice,
                        figures.wrong_after_followup,
                    ),
                    (0, 0, 0, 0),
                )


# Causes of wrong rows the chaos soak found that are not fixed yet (docs/reliability.md,
# benchmarks/chaos_findings.py). Remove one when its fix lands: this test then holds the fix.
# (D1 and D10 were here until main fixed them; before that, seed 7 failed on D10's uncounted rows.)
KNOWN_OPEN: tuple[str, ...] = ()


@unittest.skipUnless(HAVE_BENCHMARKS, "the benchmarks package sits beside the app, in a source checkout only")
class ShortChaosSoakTest(unittest.TestCase):
    """A few rounds of benchmarks/chaos.py: runs killed in-process (before and after a
    checkpoint is saved, and as a batch is marked), faulted and plain, one batch in flight so
    the rounds replay exactly; after each, a settled run must leave every row as ERPNext and
    the policy call for. SIGKILL, two runs at once and deadlines are timing-bound: they run in
    the benchmark (python -m benchmarks.soak --chaos), not here."""

    def test_settled_runs_leave_shopify_as_called_for(self):
        from benchmarks.chaos import ChaosConfig, chaos_soak

        soak = chaos_soak(
            seed=7,
            rounds=12,
            config=ChaosConfig(items=120, latency=0.0, concurrency=(1,)),
            kinds=("kill in-process", "faults", "plain"),
        )
        rounds = [r for r in soak.rounds if r.round > 0]
        self.assertGreater(sum(1 for r in rounds if r.chaos_status == "killed"), 2)  # the kills struck
        self.assertGreater(soak.sales, 0)
        self.assertGreater(soak.recreated + soak.tracking_switches + soak.admin_edits, 0)
        wrong = [w for r in soak.rounds for w in r.wrong]
        unknown = [w for w in wrong if not w.cause.startswith(KNOWN_OPEN)]
        self.assertEqual(
            [(w.round, w.sku, w.location, w.expected, w.shopify_after, w.cause, w.story) for w in unknown], []
        )
        self.assertEqual(sum(r.double_applied for r in soak.rounds), 0)
        self.assertEqual(soak.unaccounted_runs, [])  # every row read has a fate (D10)
        # Every round settles within the limit (rows kept back by the in-flight rule aside).
        self.assertEqual([r.round for r in soak.rounds if r.runs_to_settle == 0], [])

    def test_the_check_sees_a_row_left_wrong(self):
        """The comparison is not vacuous: a settled run whose write is undone is caught."""
        from benchmarks import chaos

        original = chaos.run_once
        undone = []

        def run_then_undo(settings, state, erp, **kw):
            out = original(settings, state, erp, **kw)
            if settings.options.run_id.startswith("settle-") and not undone:
                world = self.world
                sku = world.skus[0]
                location = world.locations[0]
                world.catalog.adjust_available(world.item(sku), location, 3)
                undone.append((sku, location))
            return out

        original_world = chaos.World

        test = self

        class RecordingWorld(original_world):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                test.world = self

        with (
            unittest.mock.patch.object(chaos, "run_once", run_then_undo),
            unittest.mock.patch.object(chaos, "World", RecordingWorld),
        ):
            soak = chaos.chaos_soak(
                seed=3, rounds=0, config=chaos.ChaosConfig(items=20, latency=0.0, concurrency=(1,))
            )
        first = soak.rounds[0]
        self.assertEqual([(w.sku, w.location) for w in first.wrong], undone)
        self.assertEqual(first.wrong[0].shopify_after, first.wrong[0].expected + 3)
