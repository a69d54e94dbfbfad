"""One inventory run per store at a time, with a lock that dies with its run.

Frappe's document lock (`Document.lock`) is a file that counts as held for 3 hours
(`DOCUMENT_LOCK_EXPIRY` in frappe/model/document.py, v15 and v16): a worker killed mid-run kept
its store from syncing that long, silently. This lock is a Redis key taken with SET NX, which
expires with the job's timeout and names its holder, so a second run can ask whether the holder
still runs:
- a run inside an RQ job is alive while RQ has that very job (same id, same start time) started
  and its heartbeat fresh. A killed work-horse is marked failed by its worker at once; a worker
  killed whole stops heart-beating and RQ's started registry lets the job go after about 90 s
  (rq 1.15: heartbeat TTL = job_monitoring_interval 30 s + 60 s; cleanup() moves it to failed).
- a run outside a worker (bench execute, tests) is alive while its process is, on this host.
A holder on another host that is not an RQ job is trusted until the key expires.
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
    job_id: str | None = None  # the RQ job's full id (site::...), when the run is a job
    job_started_at: str | None = None

    def describe(self) -> str:
        where = f"background job {self.job_id}" if self.job_id else f"process {self.pid} on {self.host}"
        return f"{where}, since {self.since}"


@dataclass(frozen=True)
class Acquired:
    ok: bool
    holder: Holder | None  # ok: ours; not ok: the live holder that keeps us out
    replaced: Holder | None = None  # a dead holder whose lock we took over


def _key(store_name: str) -> str:
    return frappe.cache.make_key(f"nexwave_inventory_sync:run_lock:{store_name}")


def current_job():
    try:
        from rq import getcurrent_job
    except ImportError:  # pragma: no cover - rq ships with frappe
        return None
    return getcurrent_job()


def _me() -> Holder:
    job = current_job()
    return Holder(
        token=uuid.uuid4().hex,
        # UTC from the OS clock: no database call, so any thread can take the lock.
        since=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        pid=os.getpid(),
        host=socket.gethostname(),
        job_id=job.id if job else None,
        job_started_at=job.started_at.isoformat() if job and job.started_at else None,
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
    if holder.job_id:
        return _job_alive(holder)
    if holder.host == socket.gethostname():
        return _pid_alive(holder.pid)
    return True


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _job_alive(holder: Holder) -> bool:
    from frappe.utils.background_jobs import get_redis_conn
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    me = current_job()
    if me is not None and me.id == holder.job_id:
        # Job ids are stable per store: the holder was an earlier job under our id, and RQ
        # runs one job per id at a time, so it is gone.
        return False
    connection = get_redis_conn()
    try:
        job = Job.fetch(holder.job_id, connection=connection)
    except NoSuchJobError:
        return False
    forget_abandoned_jobs(job.origin)
    if job.get_status(refresh=True) != JobStatus.STARTED:
        return False
    started = job.started_at.isoformat() if job.started_at else None
    return started == holder.job_started_at


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
