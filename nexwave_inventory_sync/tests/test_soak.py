"""The soak, short: three seeded runs with random faults on about 30 % of requests, each
checked for every promise (benchmarks/soak.py has the checks; the long run writes
docs/reliability.md). No timing is asserted."""

import unittest

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
