"""What every harness that drives a real bench does from this checkout's venv: point the bench's
app at this checkout (and back), call a site script (stores_site.py, fast_path_site.py,
fast_fifty_site.py) in the bench's Python and read its JSON answer, start and stop
`bench worker --queue long`, and the emulated catalog and tick timings they share. Used by
fifty_stores.py, fast_path_latency.py, fast_path_fifty.py and profile_store_run.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from nexwave_inventory_sync.emulator import Catalog

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "shpat_benchmark_token"


def bench_env() -> dict[str, str]:
    """The bench's processes as on a merchant's bench: Python caches compiled modules. (Some
    shells set PYTHONDONTWRITEBYTECODE; then every work horse compiles Frappe's and our modules
    again: about 0.4 CPU-s a job here.)"""
    return {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def bench_site(bench: Path, site: str | None) -> str:
    """`site`, or the bench's default site."""
    return site or json.loads((bench / "sites/common_site_config.json").read_text())["default_site"]


def app_target(bench: Path) -> Path:
    """Where the bench's app link points now: what to put back at the end (link_app)."""
    return Path(os.readlink(bench / "apps/nexwave_inventory_sync"))


def link_app(bench: Path, site: str, checkout: Path) -> None:
    """Point the bench's app at `checkout` (scripts/bench-lock.sh's link_checkout, as the bench
    scripts do) and migrate."""
    subprocess.run(
        ["bash", "-c", '. "$0/scripts/bench-lock.sh" && cd "$1" && link_checkout "$2" --no-deps']
        + [str(ROOT), str(bench), str(checkout)],
        check=True,
        env={**os.environ, "PIP_IGNORE_REQUIRES_PYTHON": "1"},
    )
    subprocess.run(
        [str(bench / "env/bin/python"), "-m", "frappe.utils.bench_helper", "frappe", "--site", site]
        + ["migrate", "--skip-search-index"],
        cwd=bench / "sites",
        check=True,
        stdout=subprocess.DEVNULL,
    )


def checkout_commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()


def site_command(
    bench: Path, site: str, script: str, command: str, args: dict | None = None
) -> subprocess.Popen:
    """benchmarks/`script` COMMAND in the bench's Python, started: its stdout and stderr piped."""
    return subprocess.Popen(
        [str(bench / "env/bin/python"), str(ROOT / "benchmarks" / script), site, command]
        + [json.dumps(args or {})],
        cwd=bench / "sites",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=bench_env(),
    )


def site_answer(script: str, command: str, returncode: int, stdout: str, stderr: str) -> dict:
    """A site script's answer: its last line, JSON; its stderr's end when it failed."""
    if returncode != 0:
        raise RuntimeError(f"{Path(script).stem} {command}: {stderr.strip()[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1])


def site_json(bench: Path, site: str, script: str, command: str, args: dict | None = None) -> dict:
    process = site_command(bench, site, script, command, args)
    out, err = process.communicate()
    return site_answer(script, command, process.returncode, out, err)


def start_shops(request: dict) -> tuple[subprocess.Popen, dict[str, str]]:
    """benchmarks/shops_process.py serving `request`'s shops: the process (close its stdin to
    stop it; it then prints each shop's calls) and {shop domain: base url}."""
    shops = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.shops_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    shops.stdin.write(json.dumps({**request, "token": TOKEN}) + "\n")
    shops.stdin.flush()
    return shops, json.loads(shops.stdout.readline())


def start_workers(bench: Path, count: int) -> list[subprocess.Popen]:
    """`bench worker --queue long`, as the bench CLI runs it (frappe's bench_helper)."""
    return [
        subprocess.Popen(
            [
                str(bench / "env/bin/python"),
                "-m",
                "frappe.utils.bench_helper",
                "frappe",
                "worker",
                "--queue",
                "long",
            ],
            cwd=bench / "sites",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # stopped as a group at the end
            env=bench_env(),
        )
        for _ in range(count)
    ]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    """Each worker's process group (the worker and its work horse): SIGTERM, then SIGKILL for
    one still there after 30 s."""
    for worker in workers:
        try:
            os.killpg(worker.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


def numbered_catalog(items: int, sku: Callable[[int], str]) -> Catalog:
    """One location; variant and inventory item i (1 to `items`) numbered i, SKU `sku(i)`, at 0."""
    return Catalog.from_dict(
        {
            "locations": [{"id": 1, "name": "Location 1"}],
            "variants": [{"id": i, "sku": sku(i), "levels": {"1": 0}} for i in range(1, items + 1)],
        }
    )


def tick_timing(ticked: dict, done: list[dict]) -> tuple[dict, list[float]]:
    """A tick's first figures (stores enqueued, runs finished, tick to the last log, run
    times) from stores_site.py's `tick` answer and the finished runs' logs; and each log's
    finish in seconds after the tick, in order."""
    tick_at = dt.datetime.fromisoformat(ticked["tick"])
    offsets = sorted(
        round((dt.datetime.fromisoformat(log["finished_at"]) - tick_at).total_seconds(), 1) for log in done
    )
    durations = sorted(float(log["duration"] or 0) for log in done)
    return {
        "enqueued": ticked["enqueued"],
        "finished": len(done),
        "tick_to_last_log_s": offsets[-1] if offsets else None,
        "run_s_median": durations[len(durations) // 2] if durations else None,
        "run_s_max": durations[-1] if durations else None,
    }, offsets
