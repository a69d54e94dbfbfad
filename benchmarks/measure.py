"""How a scenario is measured: wall time, calls, throttling, and peak memory of a child process."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Timer:
    seconds: float = 0.0


@contextmanager
def timed():
    timer = Timer()
    start = time.perf_counter()
    try:
        yield timer
    finally:
        timer.seconds = time.perf_counter() - start


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_in_child(module: str, args: dict, timeout: float = 3600) -> dict:
    """Run `python -m module` with JSON args on stdin and read its JSON answer from stdout, so
    the child's peak RSS is the engine's alone (the emulator lives in another process)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run(
        [sys.executable, "-m", module],
        input=json.dumps(args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def best_of(runs: int, work: Callable[[], dict], key: str = "wall_s") -> dict:
    """Repeat a short measurement and keep the fastest: the least disturbed by the machine."""
    results = [work() for _ in range(runs)]
    return min(results, key=lambda r: r[key])
