"""Runs a list of walkthrough steps in one Walk (browser/walk.py) through Walk.run, and runs the
site's fixtures through `bench execute`. Used by the steps_connect and steps_catalog modules."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path


def run_steps(walk, steps: Iterable[tuple[str, Callable[[], None]]]) -> None:
    """Walk.run over steps that take no argument (they close over their Walk): the first failure
    of any kind leaves its screenshot and page, and the browser is closed whatever happens."""
    walk.run([(name, lambda _walk, action=action: action()) for name, action in steps])


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
