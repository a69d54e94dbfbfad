"""One inventory run per store at a time, with a lock that dies with its run.

Frappe's document lock (`Document.lock`) is a file that counts as held for 3 hours
(`DOCUMENT_LOCK_EXPIRY` in frappe/model/document.py, v15 and v16): a worker killed mid-run kept
its store from syncing that long, silently. This lock is a Redis key taken with SET NX that
expires with the job's timeout and names the process holding it (pid, its start time, host).
A second run on the same host asks whether that very process still runs: a SIGKILLed worker
(its work-horse, which is what runs the job) frees the store at once. A holder on another host
is trusted until the key expires, which is no later than its job could have run.

RQ's own view is not used: inside a Frappe v15 job `rq.get_current_job()` answers None, and a
job whose whole worker was killed reads "started" for up to 10 minutes.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

import frappe

# Compare-and-delete / compare-and-set, so a run never frees or steals a lock another run
# took after its own expired.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
_REPLACE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) end return nil"
)


@dataclass(frozen=True)
class Holder:
    token: str
    since: str
    pid: int
    host: str
    started: float = 0.0  # the process's start time: a reused pid is another process

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}, since {self.since}"


@dataclass(frozen=True)
class Acquired:
    ok: bool
    holder: Holder | None  # ok: ours; not ok: the live holder that keeps us out
    replaced: Holder | None = None  # a dead holder whose lock we took over


def _key(store_name: str) -> str:
    return frappe.cache.make_key(f"nexwave_inventory_sync:run_lock:{store_name}")


def _process_started(pid: int) -> float:
    import psutil

    return psutil.Process(pid).create_time()


def _me() -> Holder:
    return Holder(
        token=uuid.uuid4().hex,
        # UTC from the OS clock: no database call, so any thread can take the lock.
        since=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        pid=os.getpid(),
        host=socket.gethostname(),
        started=_process_started(os.getpid()),
    )


def _parse(raw) -> Holder | None:
    if raw is None:
        return None
    try:
        return Holder(**json.loads(raw))
    except (TypeError, ValueError):
        return Holder(token=str(raw), since="?", pid=0, host="?")  # foreign value: trust the expiry


def current_holder(store_name: str) -> Holder | None:
    return _parse(frappe.cache.get(_key(store_name)))


def is_alive(holder: Holder) -> bool:
    if holder.host != socket.gethostname() or holder.pid <= 0:
        return True
    import psutil

    try:
        process = psutil.Process(holder.pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False  # killed, not yet reaped (a container's PID 1 may never reap it)
        return not holder.started or process.create_time() == holder.started
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def forget_abandoned_jobs(queue_name: str) -> None:
    """Jobs whose worker died stay "started" until a live worker's maintenance (every 10 min)
    cleans the started registry; clean it now, so they read as failed at once."""
    from frappe.utils.background_jobs import get_redis_conn
    from rq.registry import StartedJobRegistry

    StartedJobRegistry(queue_name, connection=get_redis_conn()).cleanup()


def acquire(store_name: str, ttl_seconds: int) -> Acquired:
    me = _me()
    key, value, ttl_ms = _key(store_name), json.dumps(asdict(me)), int(ttl_seconds * 1000)
    for _attempt in range(3):
        if frappe.cache.set(key, value, nx=True, px=ttl_ms):
            return Acquired(True, me)
        raw = frappe.cache.get(key)
        if raw is None:
            continue  # freed between the two calls: try again
        other = _parse(raw)
        if is_alive(other):
            return Acquired(False, other)
        if frappe.cache.eval(_REPLACE, 1, key, raw, value, ttl_ms):
            return Acquired(True, me, replaced=other)
    return Acquired(False, current_holder(store_name))


def release(store_name: str, holder: Holder) -> None:
    key = _key(store_name)
    raw = frappe.cache.get(key)
    if raw is not None and _parse(raw).token == holder.token:
        frappe.cache.eval(_RELEASE, 1, key, raw)
