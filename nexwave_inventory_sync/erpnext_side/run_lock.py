"""One inventory run per store at a time, with a lock that dies with its run.

Frappe's document lock (`Document.lock`) is a file that counts as held for 3 hours
(`DOCUMENT_LOCK_EXPIRY` in frappe/model/document.py, v15 and v16): a worker killed mid-run kept
its store from syncing that long, silently. This lock is a Redis key taken with SET NX that
expires with the job's timeout and names the process holding it (pid, its start time, host).
A second run on the same host asks whether that very process still runs: a SIGKILLed worker
(its work-horse, which is what runs the job) frees the store at once. A holder on another host
is trusted until the key expires, which is no later than its job could have run.

RQ's own view is not used for the lock: inside a Frappe v15 job `rq.get_current_job()` answers
None. Whether a store's queued job is still going is read from the job's own record (its worker
and that worker's heartbeat, job_in_progress), never by cleaning RQ's registries in a request.
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


def job_in_progress(job_id: str) -> bool:
    """Whether the background job with this (Frappe) id is queued, or started and still running.

    A started job counts as running while its worker is: RQ keeps a worker's key alive only
    while the worker sends heartbeats (every job_monitoring_interval, 30 s, with 60 s of slack),
    so a worker killed mid-job (OOM, a deploy's restart) loses it within about 90 s. Such a
    job's record is left "started" until a worker's maintenance (every 10 minutes) moves it to
    the failed registry; it is not running, and holding the store back for it would block
    Sync Inventory and Reconcile for those 10 minutes.

    Read-only on purpose: RQ's registry cleanup (StartedJobRegistry.cleanup) runs each dead
    job's failure callback under a SIGALRM timeout, which raises "signal only works in main
    thread" in a threaded web server (bench serve, gunicorn --threads). Cleaning is the
    workers' job."""
    from frappe.utils.background_jobs import get_job
    from rq.job import JobStatus

    job = get_job(job_id)
    if job is None:
        return False
    status = job.get_status(refresh=False)
    if status in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
        return True
    return status == JobStatus.STARTED and worker_alive(job)


def worker_alive(job) -> bool:
    """The started job's own record says which worker took it; that worker's key expires when
    its heartbeats stop. A record without a worker (written by hand, or by an RQ that does not
    name it) is trusted: RQ's own cleanup will settle it."""
    from rq.worker import Worker

    if not job.worker_name:
        return True
    return bool(job.connection.exists(Worker.redis_worker_namespace_prefix + job.worker_name))


def forget_dead_job(job_id: str) -> None:
    """Remove the record of our own job whose worker died, so the same stable id can be queued
    again. Only that one record: no registry cleanup, no failure callback (see job_in_progress);
    the run's own Shopify Log is marked Interrupted by the next run."""
    from frappe.utils.background_jobs import get_job
    from rq.job import JobStatus

    job = get_job(job_id)
    if job is not None and job.get_status(refresh=False) == JobStatus.STARTED and not worker_alive(job):
        job.delete()


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
