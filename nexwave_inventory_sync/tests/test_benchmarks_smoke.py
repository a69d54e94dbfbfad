"""A tiny run of every benchmark scenario: proves the harness works, asserts no timing."""

import importlib.util
import tempfile
import unittest
from pathlib import Path

HAVE_BENCHMARKS = (
    importlib.util.find_spec("benchmarks") is not None
    and (Path(__file__).resolve().parents[2] / "benchmarks").is_dir()
)


@unittest.skipUnless(HAVE_BENCHMARKS, "the benchmarks package sits beside the app, in a source checkout only")
class BenchmarkHarnessTest(unittest.TestCase):
    def test_seed_case_cold_then_warm(self):
        from benchmarks import scenarios

        rows, results = scenarios.seed_case(300, latency_ms=0, plan="plus", concurrency=2)
        self.assertEqual([r["run"] for r in rows], ["cold", "warm"])
        self.assertEqual(results["warm"].api_calls, 2)  # ceil(300 / 250)
        self.assertEqual(results["warm"].pushed, 300)
        self.assertGreater(results["cold"].api_calls, results["warm"].api_calls)

    def test_old_path_counts_two_calls_and_a_sleep_per_item(self):
        from benchmarks import scenarios

        old = scenarios.old_path_case(40, latency_ms=0, sample=20)
        self.assertEqual((old["measured_items"], old["calls"], old["failed"]), (20, 80, 0))
        self.assertGreaterEqual(old["wall_s_with_sleep"], 40)  # 40 items × the 1 s sleep, scaled

    def test_delta_and_scale(self):
        from benchmarks import scenarios

        self.assertEqual(scenarios.delta_case(1000, 50, latency_ms=0)["calls"], 1)
        scaled = scenarios.scale_case(600, 2, "plus", latency_ms=0, concurrency=1)
        self.assertEqual((scaled["calls"], scaled["ceil(rows/250)"], scaled["failed"]), (5, 5, 0))
        self.assertGreater(scaled["peak_rss_mb"], 0)

    def test_report_is_written(self):
        from benchmarks.__main__ import main

        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        out = Path(folder.name) / "benchmarks.md"
        self.assertEqual(main(["--quick", "--only", "delta", "--out", str(out)]), 0)
        self.assertIn("## 3. Delta pushes", out.read_text())
