"""The event-time engine: reorder buffer, watermark, timers and keyed state.

Processors are pure: `step(state, event, key) -> (state, outputs)` and
`on_timer(state, key, name, deadline_ms) -> (state, outputs)`; no I/O, no clock. The
engine owns ordering and state, so the same processors can run here, in a replay, or in
a Faust agent whose Table holds the keyed state.

Ordering. Events are buffered and released in (event time, arrival) order once the
watermark — the largest event time seen minus the allowed lateness (5 s) — reaches
them. A timer fires when the watermark reaches its deadline; events stamped at or
before a deadline are applied before the timer fires.

Late events. An event stamped before the current watermark arrived later than the
allowed lateness. Up to 10 minutes behind the watermark it is counted (`late`), flagged
to the caller (`is_late`), and still applied at once so that a critical event (a forced
door) is never swallowed; decisions already taken (timers already fired) are not
revisited. Further behind — a device whose clock is hours slow, or one uploading records
it kept while offline — it is counted (`too_late`) and not applied: its timers would be
due at once and raise false absence alerts (every opening of a slow door terminal would
look "held open"). The caller still stores it, so timelines show it. Nothing is dropped.

Early raises. Holding every event for the reorder window would delay a forced door or an
e-bike entering an elevator (whose doors must be held now) by 5 s. A processor may offer
`early(state, event, key)`: called on arrival for the types in its `early_types`, once the
event is buffered, it returns what cannot depend on the events still in the buffer (the
raise of a one-event rule) and records it in its state, so that the in-order `step`
adopts that alert instead of raising it again. The desk's acknowledgement is early too: it
stops the alarm and escalation on arrival; a clear it causes still waits its turn. Early
outputs are numbered like the others and a recovery from the log reproduces them, since
they depend only on arrival order. The
live processor turns them on (`early_raises`); `zhian replay` and rule tests keep strict
event-time order, so the two differ in one case only: when an earlier event of the same
key arrives after the early raise, live keeps the early alert (its id and time) and adopts
the earlier event into it, where a replay raises at the earlier event's time.

State and outputs must be JSON-serialisable (dicts, lists, str, numbers) so snapshots
and Faust Tables can hold them. Every output gets a sequence number that a replay from
a snapshot reproduces, so sinks can drop the repeats of a crash.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from ingest.event import Event, event_from_trusted

ALLOWED_LATENESS_MS = 5_000
MAX_APPLIED_LATENESS_MS = 600_000  # further behind the watermark: stored, not applied
NO_WATERMARK = -(2**62)


class SetTimer(NamedTuple):
    """Output asking for `on_timer(name)` once the watermark reaches `deadline_ms`; replaces
    an earlier timer of the same name and key."""

    name: str
    deadline_ms: int


class CancelTimer(NamedTuple):
    """Output cancelling a timer of this key, if set."""

    name: str


class Processor(Protocol):
    """A pure, keyed step function the engine runs on every event it is routed."""

    name: str
    event_types: frozenset[str] | None  # types it wants; None means every event

    def keys(self, event: Event) -> Iterable[str]:
        """Keys of the state this event concerns (none, one or several)."""
        ...

    def step(self, state: Any, event: Event, key: str) -> tuple[Any, list[Any]]:
        """Apply one event to one key's state; None as state deletes it."""
        ...

    def on_timer(self, state: Any, key: str, name: str, deadline_ms: int) -> tuple[Any, list[Any]]:
        """A timer of this key fired at event time `deadline_ms`."""
        ...


# Optional, for speed: a processor may also offer
#   route(event_type, device) -> None | str | Callable[[Event], str | None]
# saying, for every event of that type from that device, what `keys` returns: None when it
# is always empty, a str when it is always that one key, or a function giving the event's
# only key (None: no key); and, with `route`,
#   step_for(event_type, device) -> StepFn | None
# a `step` specialised for such events, that must give what `step` gives (None: `step`).
# The engine asks once per (type, device) and caches the answers; tests/rules/test_dispatch.py
# checks the pack's against `keys` and `step`. A processor may also offer
#   moved(state, key, name, deadline_ms) -> int | None
# for a timer that, firing, would only be set again later with nothing else changed: it
# makes that change to the state in place and returns the new deadline (None: `on_timer`).
# The engine then counts the firing and re-arms the timer as `on_timer`'s SetTimer would.
# And a processor with `early` may offer
#   early_wanted(event) -> bool
# False when `early` would change nothing for this event (no state, no output): the engine
# then skips it, and the `keys` it would have asked for. tests/rules/test_rules_index.py checks it.
KeyOf = Callable[[Event], "str | None"]
Route = str | KeyOf | None
StepFn = Callable[[Any, Event, str], tuple[Any, list[Any]]]


@dataclass(slots=True)
class Emitted:
    """One processor output, stamped with its event time and a replay-stable number."""

    n: int
    processor: str
    key: str
    ts_ms: int
    output: Any


@dataclass(slots=True)
class EngineCounters:
    """What the engine has done; part of the snapshot."""

    pushed: int = 0
    applied: int = 0
    late: int = 0
    too_late: int = 0
    timers_fired: int = 0
    emitted: int = 0

    def as_dict(self) -> dict[str, int]:
        """Plain dict form."""
        return {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]


# (the processor's states, its fixed key or None, else its key function, step, the function gives
# several keys, the processor's name)
_Entry = tuple[dict[str, Any], "str | None", Callable[[Event], Any], StepFn, bool, str]
MAX_ROUTED_DEVICES = 16_384  # per event type; further (unknown) devices are routed on every event
_heappush, _heappop = heapq.heappush, heapq.heappop


class StateView(Mapping[tuple[str, str], Any]):
    """The engine's per-processor state dicts seen as one mapping keyed by (processor, key)."""

    def __init__(self, states: dict[str, dict[str, Any]]) -> None:
        self._states = states

    def __getitem__(self, slot: tuple[str, str]) -> Any:
        proc, key = slot
        return self._states[proc][key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for proc, states in self._states.items():
            for key in states:
                yield proc, key

    def __len__(self) -> int:
        return sum(len(states) for states in self._states.values())


class Engine:
    """Runs processors on event time; see the module docstring for the guarantees."""

    def __init__(self, processors: Sequence[Processor], lateness_ms: int = ALLOWED_LATENESS_MS,
                 max_applied_lateness_ms: int = MAX_APPLIED_LATENESS_MS, early_raises: bool = False) -> None:
        names = [p.name for p in processors]
        if len(set(names)) != len(names):
            raise ValueError(f"processor names must be unique: {names}")
        self.lateness_ms = lateness_ms
        self.max_applied_lateness_ms = max_applied_lateness_ms
        self._processors = {p.name: p for p in processors}
        # the order processors see an event in (and so the order of their outputs)
        self._order = [p for p in processors if p.event_types is None] + [
            p for p in processors if p.event_types is not None]
        # event type -> device -> what to run (see `_route`), filled as they come
        self._routes: dict[str, dict[str, list[_Entry]]] = {}
        self.max_ts_ms = NO_WATERMARK
        self.watermark_ms = NO_WATERMARK
        # keyed state, one dict per processor (its keys' hashes are cached str hashes)
        self._states: dict[str, dict[str, Any]] = {p.name: {} for p in processors}
        self.counters = EngineCounters()
        self._buffer: list[tuple[int, int, Event]] = []
        self._arrival = 0
        self._timers: list[tuple[int, int, str, str, str]] = []
        self._timer_slots: dict[tuple[str, str, str], tuple[int, int]] = {}  # -> (deadline, order)
        self._timer_order = 0
        self.early_raises = early_raises  # the live processor's choice; replays keep event order
        self._moved: dict[str, Callable[[Any, str, str, int], int | None]] = {
            p.name: p.moved for p in processors if getattr(p, "moved", None) is not None}  # type: ignore[attr-defined]
        # event type -> (processor, its `early_wanted` or None) for the processors early on that type
        self._early: dict[str, list[tuple[Processor, Callable[[Event], bool] | None]]] = {}
        for p in processors:
            for t in getattr(p, "early_types", ()):
                self._early.setdefault(t, []).append((p, getattr(p, "early_wanted", None)))

    @property
    def state(self) -> StateView:
        """The keyed state, as one read-only mapping of (processor, key) -> state."""
        return StateView(self._states)

    # ---- feeding ---------------------------------------------------------------------

    def is_late(self, event: Event) -> bool:
        """True when the event's time is already behind the watermark."""
        return event.ts_ms < self.watermark_ms

    def push(self, event: Event) -> list[Emitted]:
        """Offer one event; returns the outputs of everything the watermark released."""
        return self.push_many((event,))

    def push_many(self, events: Iterable[Event]) -> list[Emitted]:
        """`push` each event in turn; returns the outputs of all, in order. (One call for many
        events keeps the engine's attributes in locals: the loop of replays and of the live
        processor, which make nothing of outputs before the batch's end.)"""
        out: list[Emitted] = []
        counters, buffer, timers = self.counters, self._buffer, self._timers
        lateness, max_late = self.lateness_ms, self.max_applied_lateness_ms
        early = self._early if self.early_raises else None  # replays skip it
        apply, fire = self._apply, self._fire_next
        watermark, max_ts, arrival = self.watermark_ms, self.max_ts_ms, self._arrival
        try:
            for event in events:
                counters.pushed += 1
                ts = event.ts_ms
                if ts < watermark:
                    if ts < watermark - max_late:
                        counters.too_late += 1
                    else:
                        counters.late += 1
                        apply(event, out)
                    continue
                arrival += 1
                _heappush(buffer, (ts, arrival, event))
                if ts > max_ts:
                    max_ts = ts
                    if ts - lateness > watermark:
                        self.watermark_ms = watermark = ts - lateness
                        # _release, inline (it runs on nearly every event)
                        while buffer and buffer[0][0] <= watermark:
                            if timers and timers[0][0] < buffer[0][0]:
                                fire(out)
                            else:
                                apply(_heappop(buffer)[2], out)
                        while timers and timers[0][0] <= watermark:
                            fire(out)
                        if ts <= watermark:  # released already (only without allowed lateness)
                            continue
                if early is not None:  # still waiting its turn: early raises (see the module docstring)
                    procs = early.get(event.type)
                    if procs is not None:
                        self._feed_early(procs, event, out)
        finally:
            self.max_ts_ms, self._arrival = max_ts, arrival
        return out

    def advance(self, watermark_ms: int) -> list[Emitted]:
        """Move the watermark forward without an event (idle sources, end of input)."""
        out: list[Emitted] = []
        if watermark_ms > self.watermark_ms:
            self.watermark_ms = watermark_ms
            self.max_ts_ms = max(self.max_ts_ms, watermark_ms)
            self._release(out)
        return out

    def flush(self) -> list[Emitted]:
        """End of input: release every buffered event (the watermark moves to the last
        event time, so timers due by then fire; later ones stay pending)."""
        return self.advance(self.max_ts_ms)

    # ---- running processors ----------------------------------------------------------

    def _release(self, out: list[Emitted]) -> None:
        buffer, timers, watermark = self._buffer, self._timers, self.watermark_ms
        apply, fire = self._apply, self._fire_next
        while buffer and buffer[0][0] <= watermark:  # events, each after the timers due before it
            if timers and timers[0][0] < buffer[0][0]:
                fire(out)
            else:
                apply(_heappop(buffer)[2], out)
        while timers and timers[0][0] <= watermark:  # then the timers due by the watermark
            fire(out)

    def _fire_next(self, out: list[Emitted]) -> None:
        deadline, order, proc, key, name = _heappop(self._timers)
        at_timer = (proc, key, name)
        slot = self._timer_slots.get(at_timer)
        if slot is None or slot[1] != order:
            return  # replaced or cancelled
        del self._timer_slots[at_timer]
        self.counters.timers_fired += 1
        states = self._states[proc]
        moved = self._moved.get(proc)
        if moved is not None:
            later = moved(states.get(key), key, name, deadline)
            if later is not None:  # as on_timer's SetTimer(name, later) would (_arm, inline)
                self._timer_order = order = self._timer_order + 1
                self._timer_slots[at_timer] = (later, order)
                _heappush(self._timers, (later, order, proc, key, name))
                return
        new, outputs = self._processors[proc].on_timer(states.get(key), key, name, deadline)
        if new is None:
            states.pop(key, None)
        else:
            states[key] = new
        if outputs:
            self._collect(proc, key, deadline, outputs, out)

    def _route(self, event_type: str, device: str) -> list[_Entry]:
        """What runs on an event of this type from this device, in processor order: each
        processor that takes the type and, per its `route`, can find a key in such events."""
        entries: list[_Entry] = []
        for proc in self._order:
            types = proc.event_types
            if types is not None and event_type not in types:
                continue
            states = self._states[proc.name]
            route = getattr(proc, "route", None)
            if route is None:
                entries.append((states, None, proc.keys, proc.step, True, proc.name))
                continue
            found: Route = route(event_type, device)
            if found is None:
                continue
            step_for = getattr(proc, "step_for", None)
            step = (step_for(event_type, device) if step_for is not None else None) or proc.step
            if isinstance(found, str):
                entries.append((states, found, _no_key, step, False, proc.name))
            else:
                entries.append((states, None, found, step, False, proc.name))
        return entries

    def _apply(self, event: Event, out: list[Emitted]) -> None:
        """Run each processor's `step` on every key of the event."""
        self.counters.applied += 1
        by_device = self._routes.get(event.type)
        if by_device is None:
            by_device = self._routes[event.type] = {}
        entries = by_device.get(event.device)
        if entries is None:
            entries = self._route(event.type, event.device)
            if len(by_device) < MAX_ROUTED_DEVICES:  # unknown devices must not grow it for ever
                by_device[event.device] = entries
        for states, key, key_of, step, multi, name in entries:
            if key is None:
                if multi:
                    for each in key_of(event):
                        self._step(name, step, event, each, out)
                    continue
                key = key_of(event)
                if key is None:
                    continue
            old = states.get(key)
            new, outputs = step(old, event, key)
            if new is not old:  # most steps update their state in place
                if new is None:
                    del states[key]
                else:
                    states[key] = new
            if outputs:
                self._collect(name, key, event.ts_ms, outputs, out)

    def _step(self, name: str, step: StepFn, event: Event, key: str, out: list[Emitted]) -> None:
        states = self._states[name]
        new, outputs = step(states.get(key), event, key)
        if new is None:
            states.pop(key, None)
        else:
            states[key] = new
        if outputs:
            self._collect(name, key, event.ts_ms, outputs, out)

    def _feed_early(self, procs: list[tuple[Processor, Callable[[Event], bool] | None]], event: Event,
                    out: list[Emitted]) -> None:
        """Run each processor's `early` on every key of the event, on arrival (unless its
        `early_wanted` says that `early` would change nothing)."""
        for proc, wanted in procs:
            if wanted is not None and not wanted(event):
                continue
            for key in proc.keys(event):
                self._step(proc.name, proc.early, event, key, out)  # type: ignore[attr-defined]

    def _collect(self, proc: str, key: str, ts_ms: int, outputs: list[Any], out: list[Emitted]) -> None:
        counters = self.counters
        for output in outputs:
            if isinstance(output, SetTimer):
                self._arm(proc, key, output.name, output.deadline_ms)
            elif isinstance(output, CancelTimer):
                self._timer_slots.pop((proc, key, output.name), None)
            else:
                counters.emitted += 1
                out.append(Emitted(counters.emitted, proc, key, ts_ms, output))

    def _arm(self, proc: str, key: str, name: str, deadline_ms: int) -> None:
        """Set (or replace) a processor's timer: the slot says which heap entry is current."""
        self._timer_order = order = self._timer_order + 1
        self._timer_slots[(proc, key, name)] = (deadline_ms, order)
        _heappush(self._timers, (deadline_ms, order, proc, key, name))

    # ---- snapshots -------------------------------------------------------------------

    def pending_timers(self) -> list[tuple[int, str, str, str]]:
        """Active timers as (deadline_ms, processor, key, name), soonest first."""
        return sorted((s[0], p, k, n) for (p, k, n), s in self._timer_slots.items())

    def snapshot(self) -> dict[str, Any]:
        """Everything needed to continue exactly where the engine is (JSON-serialisable)."""
        return {
            "version": 1,
            "lateness_ms": self.lateness_ms,
            "max_ts_ms": self.max_ts_ms,
            "watermark_ms": self.watermark_ms,
            "counters": self.counters.as_dict(),
            "arrival": self._arrival,
            "buffer": [[ts, seq, ev.to_dict()] for ts, seq, ev in sorted(self._buffer, key=_order)],
            "timers": [
                [deadline, order, p, k, n] for (p, k, n), (deadline, order) in self._timer_slots.items()
            ],
            "timer_order": self._timer_order,
            "state": [[p, k, v] for p, states in self._states.items() for k, v in states.items()],
        }

    def restore(self, snap: dict[str, Any]) -> None:
        """Continue from a snapshot taken with the same processors."""
        if snap.get("version") != 1:
            raise ValueError(f"unsupported engine snapshot version {snap.get('version')!r}")
        self.max_ts_ms = snap["max_ts_ms"]
        self.watermark_ms = snap["watermark_ms"]
        self.counters = EngineCounters(**{"too_late": 0, **snap["counters"]})
        self._arrival = snap["arrival"]
        self._buffer = [(ts, seq, event_from_trusted(ev)) for ts, seq, ev in snap["buffer"]]
        heapq.heapify(self._buffer)
        self._timer_slots = {}
        self._timers = []
        for deadline, order, proc, key, name in snap["timers"]:
            if proc not in self._processors:
                continue  # a processor removed since the snapshot: its timers go too
            self._timer_slots[(proc, key, name)] = (deadline, order)
            self._timers.append((deadline, order, proc, key, name))
        heapq.heapify(self._timers)
        self._timer_order = snap["timer_order"]
        for states in self._states.values():
            states.clear()
        for p, k, v in snap["state"]:
            if p in self._processors:
                self._states[p][k] = v


def _no_key(event: Event) -> None:
    """The key function of an entry whose key is fixed (never called)."""


def _order(item: tuple[int, int, Event]) -> tuple[int, int]:
    return item[0], item[1]
