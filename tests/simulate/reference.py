"""A small reference reading of PRODUCT.md's default rule pack, to check the simulator's truth.

Deliberately plain and independent of rules/: events in time order, watermark = largest event
time − 5 s, timers fire when the watermark reaches their deadline. Where the contract can be
read two ways (ebike_corridor_parking's "lasting 10 min") it takes the reading that raises
more, so traffic it finds silent is silent under both.
"""

from __future__ import annotations

import heapq
from collections import defaultdict, deque
from collections.abc import Iterable
from typing import Any

from ingest.event import Event
from ingest.registry import Registry
from zhian.simulate.clock import is_night

S = 1000
MIN = 60 * S
LATENESS = 5 * S


class Reference:
    """Feed events with `step`, then `finish`; `raised` lists (rule, device, subject, port, ts)."""

    def __init__(self, registry: Registry) -> None:
        self.reg = registry
        self.tz = registry.community.tz
        self.raised: list[tuple[str, str | None, str | None, int | None, int]] = []
        self.active: set[tuple[str, Any]] = set()
        self.timers: list[tuple[int, int, str, Any, int]] = []
        self.version: dict[tuple[str, Any], int] = defaultdict(int)
        self.seq = 0
        self.max_ts: int | None = None
        self.last_grant: dict[str, int] = {}
        self.denials: dict[str, deque[int]] = defaultdict(deque)
        self.strangers: dict[str, deque[int]] = defaultdict(deque)
        self.gate_grants: dict[str, tuple[str, int]] = {}
        self.lock_grants: dict[str, deque[tuple[int, str]]] = defaultdict(deque)
        self.dwell: dict[str, tuple[int, int]] = {}  # camera -> (first, last)
        self.power_run: dict[str, int] = {}  # socket -> start of >= 50 W
        self.watch = {w.subject: int(w.max_quiet_h * 3600 * S) for w in registry.watchlist}

    # ---- plumbing ------------------------------------------------------------------------------
    def raise_(
        self,
        rule: str,
        ts: int,
        device: str | None = None,
        subject: str | None = None,
        port: int | None = None,
    ) -> None:
        key = (rule, (device, subject, port))
        if key not in self.active:
            self.active.add(key)
            self.raised.append((rule, device, subject, port, ts))

    def clear(
        self,
        rule: str,
        device: str | None = None,
        subject: str | None = None,
        port: int | None = None,
    ) -> None:
        self.active.discard((rule, (device, subject, port)))

    def timer(self, deadline: int, kind: str, key: Any) -> None:
        self.version[(kind, key)] += 1
        self.seq += 1
        heapq.heappush(self.timers, (deadline, self.seq, kind, key, self.version[(kind, key)]))

    def cancel(self, kind: str, key: Any) -> None:
        self.version[(kind, key)] += 1

    def advance(self, watermark: int) -> None:
        while self.timers and self.timers[0][0] <= watermark:
            deadline, _, kind, key, version = heapq.heappop(self.timers)
            if self.version[(kind, key)] == version:
                self.fire(deadline, kind, key)

    # ---- timers ---------------------------------------------------------------------------------
    def fire(self, deadline: int, kind: str, key: Any) -> None:
        if kind == "held":
            self.raise_("door_held_open", deadline, device=key)
        elif kind == "denials_quiet":
            self.clear("repeated_denials", device=key)
        elif kind == "care":
            self.raise_("care_no_activity", deadline, subject=key)
        elif kind == "offline":
            self.raise_("device_offline", deadline, device=key)
        elif kind == "elev_quiet":
            self.clear("ebike_in_elevator", device=key)
        elif kind == "dwell":
            first, last = self.dwell.get(key, (None, None))
            if first is not None and deadline - last <= 120 * S:
                self.raise_("ebike_corridor_parking", deadline, device=key)
        elif kind == "dwell_quiet":
            self.dwell.pop(key, None)
            self.clear("ebike_corridor_parking", device=key)
        elif kind == "power":
            if self.power_run.get(key) == deadline - 5 * MIN and self.parking_near(key, deadline):
                self.raise_("ebike_indoor_charging", deadline, device=key)

    def parking_near(self, socket: str, at: int) -> bool:
        s = self.reg.by_id[socket]
        for cam, (_, last) in self.dwell.items():
            c = self.reg.by_id[cam]
            if (c.building, c.unit, c.floor) == (
                s.building,
                s.unit,
                s.floor,
            ) and at - last <= 120 * S:
                return True
        return False

    # ---- events ---------------------------------------------------------------------------------
    def step(self, e: Event) -> None:
        if self.max_ts is None:
            for d in self.reg.devices:  # "a device never heard from counts from the first event"
                self.timer(e.ts_ms + 3 * self.reg.heartbeat_s(d) * S, "offline", d.id)
            for subject, quiet in self.watch.items():
                self.timer(e.ts_ms + quiet, "care", subject)
        self.max_ts = e.ts_ms if self.max_ts is None else max(self.max_ts, e.ts_ms)
        self.advance(self.max_ts - LATENESS)
        dev = self.reg.get(e.device)
        ts, t = e.ts_ms, e.type
        if dev is None:
            self.raise_("unknown_device", ts, device=e.device)
            return
        self.clear("device_offline", device=dev.id)
        self.timer(ts + 3 * self.reg.heartbeat_s(dev) * S, "offline", dev.id)
        sid = e.subject_id
        if sid in self.watch:
            self.clear("care_no_activity", subject=sid)
            self.timer(ts + self.watch[sid], "care", sid)
        if t == "access.granted":
            self.last_grant[dev.id] = ts
            if dev.zone == "gate" and sid is not None:
                prev = self.gate_grants.get(sid)
                if prev and prev[0] != dev.id and ts - prev[1] <= 30 * S:
                    self.raise_("credential_shared", ts, subject=sid)
                self.gate_grants[sid] = (dev.id, ts)
            if dev.zone == "household" and dev.occupants is not None and sid is not None:
                grants = self.lock_grants[dev.id]
                grants.append((ts, sid))
                while grants[0][0] < ts - 7 * 24 * 60 * MIN:
                    grants.popleft()
                if len({s for _, s in grants}) > dev.occupants:
                    self.raise_("rental_occupancy", ts, device=dev.id)
        elif t == "access.denied":
            q = self.denials[dev.id]
            q.append(ts)
            while q[0] <= ts - 60 * S:
                q.popleft()
            if len(q) >= 5:
                self.raise_("repeated_denials", ts, device=dev.id)
            self.timer(ts + 10 * MIN, "denials_quiet", dev.id)
            if e.subject is not None and e.subject.kind == "stranger":
                q = self.strangers[dev.id]
                q.append(ts)
                while q[0] < ts - 30 * MIN:
                    q.popleft()
                if len(q) >= 3 and is_night(ts, self.tz):
                    self.raise_("stranger_loitering", ts, device=dev.id)
        elif t == "door.opened":
            if ts - self.last_grant.get(dev.id, -(10**15)) > 10 * S:
                self.raise_("door_forced", ts, device=dev.id)
            self.timer(ts + 120 * S, "held", dev.id)
        elif t == "door.closed":
            self.cancel("held", dev.id)
            self.clear("door_forced", device=dev.id)
            self.clear("door_held_open", device=dev.id)
        elif t == "door.forced":
            self.raise_("door_forced", ts, device=dev.id)
        elif t == "door.held_open":
            self.raise_("door_held_open", ts, device=dev.id)
        elif t == "door.tailgating":
            self.raise_("door_tailgating", ts, device=dev.id)
        elif t == "door.duress":
            self.raise_("door_duress", ts, device=dev.id)
        elif t in ("charger.alarm", "smoke.alarm"):
            self.raise_("charger_alarm", ts, device=dev.id)
        elif t == "camera.tamper":
            self.raise_("camera_tamper", ts, device=dev.id)
        elif t == "throwing.detected":
            self.raise_("object_thrown", ts, device=dev.id)
        elif t == "charger.telemetry":
            temp, port = e.data.get("temp_c"), e.data["port"]
            if temp is not None and temp >= 65:
                self.raise_("charger_over_temp", ts, device=dev.id, port=port)
            elif temp is not None and temp < 55:
                self.clear("charger_over_temp", device=dev.id, port=port)
        elif t == "socket.power":
            if e.data["power_w"] >= 50:
                if dev.id not in self.power_run:
                    self.power_run[dev.id] = ts
                    self.timer(ts + 5 * MIN, "power", dev.id)
            else:
                self.power_run.pop(dev.id, None)
                self.clear("ebike_indoor_charging", device=dev.id)
        elif t == "object.detected" and e.data["label"] == "ebike" and e.data["confidence"] >= 0.6:
            if dev.zone == "elevator":
                self.raise_("ebike_in_elevator", ts, device=dev.id)
                self.timer(ts + 60 * S, "elev_quiet", dev.id)
            elif dev.zone in ("corridor", "stairwell"):
                first, last = self.dwell.get(dev.id, (None, None))
                if first is None or ts - last > 120 * S:
                    first = ts
                    self.timer(ts + 10 * MIN, "dwell", dev.id)
                self.dwell[dev.id] = (first, ts)
                self.timer(ts + 120 * S, "dwell_quiet", dev.id)

    def finish(self) -> None:
        if self.max_ts is not None:
            self.advance(self.max_ts - LATENESS)


def reference_alerts(registry: Registry, events: Iterable[Event]) -> list[tuple[Any, ...]]:
    """Raised alerts of the reference reading for events in time order."""
    ref = Reference(registry)
    for event in events:
        ref.step(event)
    ref.finish()
    return ref.raised
