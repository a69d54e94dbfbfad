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

    def test_peer_loop_lands_every_row_over_several_runs(self):
        from benchmarks import scenarios

        # 300 items × 2 calls against REST's 40-deep bucket: no single run can land them all;
        # the failed rows land in later runs, and in the end every level is ERPNext's.
        peer, per_run = scenarios.peer_case(300, latency_ms=300)
        self.assertGreater(peer["runs until all land"], 1)
        self.assertEqual(sum(run["landed"] for run in per_run), 300)
        self.assertEqual(per_run[0]["pending"], 300)
        for before, after in zip(per_run, per_run[1:], strict=False):
            self.assertEqual(after["pending"], before["failed (next run)"])
        # Two calls per landed row; a 429 costs one call (on Variant.find) or two (on the set).
        landed_calls = 2 * 300
        self.assertGreaterEqual(peer["calls"], landed_calls + peer["429s"])
        self.assertLessEqual(peer["calls"], landed_calls + 2 * peer["429s"])
        self.assertGreater(peer["429s"], 0)
        self.assertEqual(peer["rows wrong at the end"], 0)

    def test_one_process_serves_many_shops_each_on_its_own(self):
        import json
        import subprocess
        import sys

        from benchmarks import scenarios
        from nexwave_inventory_sync.sync.endpoint import ShopifyEndpoint
        from nexwave_inventory_sync.sync.run import sync_inventory

        root = Path(__file__).resolve().parents[2]
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.shops_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
        )
        self.addCleanup(process.kill)
        request = {"shops": 3, "items": 20, "plan": "standard", "latency_ms": 0, "token": scenarios.TOKEN}
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        urls = json.loads(process.stdout.readline())
        self.assertEqual(len(urls), 3)
        self.assertEqual(len(set(urls.values())), 3)
        second = sorted(urls)[1]
        endpoint = ShopifyEndpoint(second, scenarios.TOKEN, endpoint_override=urls[second])
        result = sync_inventory(endpoint, scenarios._stock(20, 1, 0))
        self.assertEqual(result.pushed, 20)
        process.stdin.close()
        stats = json.loads(process.stdout.readline())
        process.wait(timeout=10)
        self.assertEqual(stats[second]["calls"], result.api_calls)
        self.assertEqual([stats[d]["calls"] for d in sorted(urls) if d != second], [0, 0])

    def test_report_is_written(self):
        from benchmarks.__main__ import main

        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        out = Path(folder.name) / "benchmarks.md"
        self.assertEqual(main(["--quick", "--only", "delta", "--out", str(out)]), 0)
        self.assertIn("## 3. Delta pushes", out.read_text())
