"""The traffic generator: seeded normal life merged with injected incidents, in time order.

Normal traffic is produced one community day at a time and merged through a heap with
the injected events. Incidents reserve keys (a door, a subject, a charger port) over a
window; normal traffic carrying a reserved key is dropped when it is popped, a door
passage as a whole, so that every incident yields exactly the alert of its truth.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from collections.abc import Iterator
from typing import Any

from ingest.registry import Registry
from zhian.simulate.ambient import chargers, heartbeats, sockets
from zhian.simulate.clock import MINUTE, is_night, is_weekend, local_midnight, rfc3339_formatter
from zhian.simulate.model import Ev, Incident, Traffic, Truth
from zhian.simulate.routines import Batch, DayLife
from zhian.simulate.world import EPOCH_MS_TYPES, World, build_world

_INJECTED = object()  # marks heap entries that bypass reservations and guards


class _Group:
    __slots__ = ("keys", "t0", "t1", "keep")

    def __init__(self, keys: tuple[str, ...], t0: int, t1: int) -> None:
        self.keys, self.t0, self.t1 = keys, t0, t1
        self.keep: bool | None = None


class TrafficGenerator:
    """Iterates (ts_ms, topic, payload) of a compound in time order; incidents can be added."""

    def __init__(
        self,
        registry: Registry,
        start_ms: int,
        seed: int,
        duration_ms: int | None = None,
        *,
        normal: bool = True,
        world: World | None = None,
    ) -> None:
        self.registry = registry
        self.world = world if world is not None else build_world(registry, seed)
        self.start_ms = start_ms
        self.end_ms = None if duration_ms is None else start_ms + duration_ms
        self.seed = seed
        self.normal = normal
        self.frontier = start_ms  # no event before this may still be added
        self.count = 0
        self._heap: list[tuple[int, int, Ev, Any]] = []
        self._seq = 0
        self._reserved: dict[str, list[tuple[int, int]]] = {}
        self._denials: dict[str, deque[int]] = {}
        self._strangers: dict[str, int] = {}
        self._ids: dict[str, int] = {}
        self._run = _base36(start_ms // 1000)
        self._fmt = rfc3339_formatter(self.world.tz)
        community = self.world.community
        self._topic = {d.id: f"zhian/{community}/{d.id}/events" for d in registry.devices}
        self._epoch_ms = {d.id for d in registry.devices if d.type in EPOCH_MS_TYPES}

    def add(self, incident: Incident) -> list[Truth]:
        """Inject an incident (not before the frontier); returns the alerts it must raise."""
        if incident.start_ms < self.frontier:
            raise ValueError(f"{incident.name} starts before events already generated")
        for r in incident.reservations:
            self._reserved.setdefault(r.key, []).append((r.from_ms, r.to_ms))
        for ev in incident.events:
            self._push(ev, _INJECTED)
        return incident.truth

    def __iter__(self) -> Iterator[Traffic]:
        """Traffic in time order, one community day at a time; endless without a duration."""
        tz = self.world.tz
        day = local_midnight(self.start_ms, tz)
        while self.end_ms is None or day < self.end_ms:
            next_day = local_midnight(day, tz, 1)
            if self.normal:
                self._produce(day, next_day)
            limit = next_day if self.end_ms is None else min(next_day, self.end_ms)
            yield from self._drain(limit)
            day = next_day

    # ---- production ---------------------------------------------------------------------
    def _produce(self, day: int, next_day: int) -> None:
        batch = Batch()
        lo = max(day, self.start_ms)
        heartbeats(self.world, self.seed, self.start_ms, lo, next_day, batch)
        sockets(self.world, self.seed, day, batch)
        chargers(self.world, self.seed, day, batch)
        rng = random.Random(f"{self.seed}:{day}:life")
        DayLife(self.world, day, is_weekend(day, self.world.tz), rng, batch).run()
        for events, keys in batch.groups:
            t0 = min(e[0] for e in events)
            if t0 < lo:
                continue
            group = _Group(keys, t0, max(e[0] for e in events))
            for ev in events:
                self._push(ev, group)
        for ev in batch.singles:
            if ev[0] >= lo:
                self._push(ev, None)

    def _push(self, ev: Ev, tag: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (ev[0], self._seq, ev, tag))

    # ---- merging ---------------------------------------------------------------------------
    def _drain(self, limit: int) -> Iterator[Traffic]:
        heap = self._heap
        while heap and heap[0][0] < limit:
            ts, _, ev, tag = heapq.heappop(heap)
            self.frontier = ts
            if tag is not _INJECTED and not self._keep(ev, tag):
                continue
            if ev[2] == "access.denied" and not self._denial_ok(ev, tag is _INJECTED):
                continue
            yield self._wire(ev)
        self.frontier = max(self.frontier, limit)

    def _keep(self, ev: Ev, group: _Group | None) -> bool:
        if not self._reserved:
            return True
        if group is not None:
            if group.keep is None:
                group.keep = not any(self._hit(k, group.t0, group.t1) for k in group.keys)
            return group.keep
        ts, device, type_ = ev[0], ev[1], ev[2]
        if type_ == "device.heartbeat":
            return not self._hit("h:" + device, ts, ts)
        if (
            type_ == "charger.telemetry"
            and ev[4] is not None
            and self._hit(f"p:{device}:{ev[4]['port']}", ts, ts)
        ):
            return False
        return not self._hit("d:" + device, ts, ts)

    def _hit(self, key: str, t0: int, t1: int) -> bool:
        spans = self._reserved.get(key)
        return spans is not None and any(a <= t1 and t0 < b for a, b in spans)

    def _denial_ok(self, ev: Ev, injected: bool) -> bool:
        """Keep benign denials benign: ≤ 2 per door in 60 s, one stranger per 30 min, by day."""
        ts, device, subject = ev[0], ev[1], ev[3]
        recent = self._denials.setdefault(device, deque())
        while recent and recent[0] <= ts - MINUTE:
            recent.popleft()
        stranger = subject is not None and subject[1] == "stranger"
        if not injected:
            if len(recent) >= 2:
                return False
            if stranger and (
                ts - self._strangers.get(device, -(10**15)) < 30 * MINUTE
                or is_night(ts, self.world.tz)
            ):
                return False
        recent.append(ts)
        if stranger:
            self._strangers[device] = ts
        return True

    def _wire(self, ev: Ev) -> Traffic:
        ts, device, type_, subject, data = ev
        n = self._ids.get(device, 0) + 1
        self._ids[device] = n
        self.count += 1
        payload: dict[str, Any] = {
            "v": 1,
            "id": f"{device}-{self._run}-{n}",
            "ts": ts if device in self._epoch_ms else self._fmt(ts),
            "device": device,
            "type": type_,
        }
        if subject is not None:
            sid, kind, credential = subject
            payload["subject"] = (
                {"id": sid, "kind": kind}
                if credential is None
                else {"id": sid, "kind": kind, "credential": credential}
            )
        if data:
            payload["data"] = dict(data)
        topic = self._topic.get(device) or f"zhian/{self.world.community}/{device}/events"
        return ts, topic, payload


def generate_traffic(
    registry: Registry,
    start_ms: int,
    duration_ms: int,
    seed: int,
    incidents: tuple[Incident, ...] = (),
    *,
    normal: bool = True,
) -> Iterator[Traffic]:
    """Normal traffic of `duration_ms` from `start_ms` (plus `incidents`), seeded, in time order."""
    gen = TrafficGenerator(registry, start_ms, seed, duration_ms, normal=normal)
    for incident in incidents:
        gen.add(incident)
    return iter(gen)


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out
