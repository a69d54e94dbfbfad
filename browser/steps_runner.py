"""Runs a list of walkthrough steps in one Walk (browser/desk_walkthrough.py) as Walk.run does:
each step in turn; the first failure leaves a screenshot and the page's HTML named after the
step, and the browser is closed whatever happens. Used by the steps_*.py modules."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from selenium.common.exceptions import TimeoutException


def run_steps(walk, steps: Iterable[tuple[str, Callable[[], None]]]) -> None:
    current = "start"
    try:
        for name, action in steps:
            current = name
            action()
    except (AssertionError, TimeoutException):
        walk.shot(f"failed-{current}")
        Path(tempfile.gettempdir(), f"desk-walkthrough-failed-{current}.html").write_text(
            walk.driver.page_source
        )
        print(f"FAILED at step {current}; screenshot {walk.screens}/failed-{current}.png", file=sys.stderr)
        raise
    finally:
        walk.driver.quit()


def bench_execute(walk, method: str, **kwargs) -> dict:
    """A site fixture (testing/...) through `bench execute`; its JSON answer."""
    bench = Path(walk.args.bench)
    done = subprocess.run(
        [str(bench / "env" / "bin" / "python"), "-m", "frappe.utils.bench_helper", "frappe"]
        # `bench execute` evaluates --kwargs as Python (True, not true).
        + ["--site", walk.args.site, "execute", method, "--kwargs", repr(kwargs)],
        cwd=bench / "sites",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"bench execute {method} failed: {done.stderr[-2000:]}"
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}
