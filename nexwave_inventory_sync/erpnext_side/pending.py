"""A per-store set of things to look at soon, in Redis, with at most one job armed for it.

Marking adds members and arms the store (SET NX with a TTL): only the caller that armed it
enqueues a job, so a thousand marks make one job. The job takes the whole set and disarms in
one MULTI; a mark that comes after that arms the store again and enqueues the next job, which
waits for the run lock while this one runs. Nothing is lost when a job dies: its marks stay in
the set, the armed key expires (ARMED_TTL_S), and the per-minute sweep arms the store again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import frappe

# Longer than a job waits in a busy queue plus its coalescing wait; a dead job's store is armed
# again by the sweep after this.
ARMED_TTL_S = 10 * 60


class PendingSet:
    def __init__(self, kind: str):
        self.kind = kind

    def _keys(self, store_name: str) -> tuple[str, str]:
        base = f"nexwave_inventory_sync:{self.kind}:{store_name}"
        return frappe.cache.make_key(f"{base}:pending"), frappe.cache.make_key(f"{base}:armed")

    def mark(self, store_name: str, members: Iterable[str]) -> str | None:
        """Add members; returns an arming token when this call armed the store (the caller then
        enqueues the job), None when a job is armed already."""
        members = [m for m in members if m]
        pending, armed = self._keys(store_name)
        token = uuid.uuid4().hex
        pipe = _raw()
        if members:
            pipe.sadd(pending, *members)
        pipe.set(armed, token, nx=True, ex=ARMED_TTL_S)
        answers = pipe.execute()
        return token if answers[-1] else None

    def rearm(self, store_name: str) -> str | None:
        """The sweep: arm a store whose set is not empty and whose job is gone."""
        pending, armed = self._keys(store_name)
        if not self.size(store_name):
            return None
        token = uuid.uuid4().hex
        pipe = _raw()
        pipe.set(armed, token, nx=True, ex=ARMED_TTL_S)
        return token if pipe.execute()[0] else None

    def size(self, store_name: str) -> int:
        pipe = _raw()
        pipe.scard(self._keys(store_name)[0])
        return int(pipe.execute()[0] or 0)

    def take(self, store_name: str) -> set[str]:
        """Everything marked so far, and the store disarmed: one MULTI, so a mark lands either
        in what is taken here or in a new set that arms the next job."""
        pending, armed = self._keys(store_name)
        pipe = _raw(transaction=True)
        pipe.smembers(pending)
        pipe.delete(pending)
        pipe.delete(armed)
        members = pipe.execute()[0] or set()
        return {m.decode() if isinstance(m, bytes) else str(m) for m in members}

    def put_back(self, store_name: str, members: Iterable[str]) -> None:
        """A job that could not act keeps its marks for the sweep (the store stays disarmed)."""
        members = list(members)
        if members:
            pipe = _raw()
            pipe.sadd(self._keys(store_name)[0], *members)
            pipe.execute()

    def forget(self, store_name: str) -> None:
        pipe = _raw()
        pipe.delete(*self._keys(store_name))
        pipe.execute()


def _raw(transaction: bool = False):
    """A plain redis pipeline: frappe.cache's own sadd/smembers prefix the key again (v15 and
    v16 wrap some set commands and not others); keys here are made once, by make_key."""
    return frappe.cache.pipeline(transaction=transaction)
