"""Seeded shop activity: what happens on Shopify without the connector, between and during
runs. Orders (available down, committed up; refused when available is short), restocks
(available up) and admin edits (available set to a nearby figure), each a Poisson stream
over the emulator's clock, so a FakeClock plays hours of trading in no wall time.

Attach to an emulator (`emulator.activity = ShopActivity(...)`): every request first plays
the activity up to the clock's time; with `emulator.virtual_latency` each request also moves
a FakeClock on, so orders land between the calls of one run. Or call `play_until(t)`.

What is documented: a Shopify order of a tracked item that does not continue selling is
refused at checkout when `available` is short, and the units move from available to
committed until fulfilled ("available = on_hand - committed - reserved - ...", Shopify's
inventory states). What is ours: the rates, the popularity skew, order sizes.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .catalog import Catalog


class Popularity:
    """Zipf-like weights over items in a seeded random order: item rank r gets 1 / r**s, so a
    few items take most orders; which items are popular is independent of their numbering."""

    def __init__(self, items: Sequence[str], exponent: float, rng: random.Random):
        order = list(items)
        rng.shuffle(order)
        self.items = order
        weights = [1.0 / (rank**exponent) for rank in range(1, len(order) + 1)]
        self._cumulative = list(itertools.accumulate(weights))

    def pick(self, rng: random.Random) -> str:
        point = rng.random() * self._cumulative[-1]
        return self.items[min(bisect.bisect_right(self._cumulative, point), len(self.items) - 1)]

    def rank_of(self) -> dict[str, int]:
        return {item: rank for rank, item in enumerate(self.items, start=1)}


@dataclass(frozen=True)
class ShopEvent:
    at: float
    kind: str  # "order" | "restock" | "edit"
    inventory_item_id: str
    location_id: str
    units: int
    accepted: bool = True


class ShopActivity:
    def __init__(
        self,
        catalog: Catalog,
        items: Sequence[str],
        location_id: str,
        *,
        seed: int = 0,
        start: float = 0.0,
        orders_per_second: float = 1.0,
        restocks_per_hour: float = 0.0,
        edits_per_hour: float = 0.0,
        popularity_exponent: float = 1.0,
        two_unit_share: float = 0.1,
        listener: Callable[[ShopEvent], None] | None = None,
    ):
        self.catalog = catalog
        self.location_id = location_id
        self.rng = random.Random(seed)
        self.popularity = Popularity(items, popularity_exponent, self.rng)
        self.items = list(items)
        self.rates = {
            "order": orders_per_second,
            "restock": restocks_per_hour / 3600.0,
            "edit": edits_per_hour / 3600.0,
        }
        self.two_unit_share = two_unit_share
        self.listener = listener
        self.now = start
        self._next = {kind: self._after(start, rate) for kind, rate in self.rates.items()}
        self._lock = threading.Lock()
        self.counts = {"orders": 0, "refused": 0, "units_sold": 0, "restocks": 0, "edits": 0}

    def _after(self, t: float, rate: float) -> float:
        return t + self.rng.expovariate(rate) if rate > 0 else math.inf

    def play_until(self, now: float) -> None:
        with self._lock:
            while True:
                kind = min(self._next, key=self._next.get)
                at = self._next[kind]
                if at > now:
                    break
                self._next[kind] = self._after(at, self.rates[kind])
                self._apply(kind, at)
            self.now = max(self.now, now)

    def _apply(self, kind: str, at: float) -> None:
        rng = self.rng
        if kind == "order":
            item = self.popularity.pick(rng)
            units = 2 if rng.random() < self.two_unit_share else 1
            accepted = self.catalog.sell(item, self.location_id, units)
            self.counts["orders" if accepted else "refused"] += 1
            if accepted:
                self.counts["units_sold"] += units
            event = ShopEvent(at, "order", item, self.location_id, units, accepted)
        elif kind == "restock":
            item = rng.choice(self.items)
            units = rng.randint(5, 20)
            self.catalog.adjust_available(item, self.location_id, units)
            self.counts["restocks"] += 1
            event = ShopEvent(at, "restock", item, self.location_id, units)
        else:
            item = rng.choice(self.items)
            current = self.catalog.available(item, self.location_id) or 0
            figure = max(0, current + rng.choice((-3, -2, -1, 1, 2, 3, 5)))
            self.catalog.set_available(item, self.location_id, figure)
            self.counts["edits"] += 1
            event = ShopEvent(at, "edit", item, self.location_id, figure - current)
        if self.listener is not None:
            self.listener(event)
