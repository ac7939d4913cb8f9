"""Window constructs: `count` (sliding count), `distinct` (distinct values) and `sequence`
(A then B within T). State is a short list of recent matches, pruned on every event."""

from __future__ import annotations

from typing import Any

from ingest.event import Event
from rules.constructs.base import NONE, Construct, Context, Fire, Step, event_facts
from rules.spec import AttrNumber, CountSpec, DistinctSpec, SequenceSpec

EVIDENCE_MAX = 20


class CountConstruct(Construct):
    """At least N matching events within T; the Nth (and later) fire."""

    kind = "count"

    def __init__(self, idx: str, ctx: Context, spec: CountSpec) -> None:
        super().__init__(idx, ctx)
        self.match = ctx.where(spec.where)
        self.matchers = [self.match]
        self.base = self.match
        self.at_least = spec.at_least
        self.within = ctx.duration(spec.within)
        self.schedule = spec.during

    def step(self, cs: Any, event: Event, rkey: str) -> Step:
        """Keep [ts, id] of the matches within the window; fire from the Nth on."""
        if not self.match.test(event):
            return cs, NONE, NONE
        ident = self.ctx.ident(event)
        if ident is None:
            return cs, NONE, NONE
        within = self.within(ident)
        if within is None:
            return cs, NONE, NONE
        now = event.ts_ms
        recent = [m for m in (cs or []) if now - m[0] <= within]
        recent.append([now, event.id])
        fires: list[Fire] = []
        if len(recent) >= self.at_least and self.ctx.in_schedule(self.schedule, now):
            facts = event_facts(event)
            facts["window_count"] = len(recent)
            fires.append(Fire(now, ident, [m[1] for m in recent[-EVIDENCE_MAX:]], facts))
        return recent[-max(self.at_least, EVIDENCE_MAX):], fires, []


def _value_of(event: Event, field: str) -> Any:
    if field == "subject.id":
        return event.subject.id if event.subject is not None else None
    if field == "device":
        return event.device
    return event.data.get(field[5:])


class DistinctConstruct(Construct):
    """More than `above` distinct values within T; a new value that crosses it fires."""

    kind = "distinct"

    def __init__(self, idx: str, ctx: Context, spec: DistinctSpec) -> None:
        super().__init__(idx, ctx)
        self.match = ctx.where(spec.where)
        self.matchers = [self.match]
        self.base = self.match
        self.of = spec.of
        self.within = ctx.duration(spec.within)
        if isinstance(spec.above, AttrNumber):
            attr = spec.above.device
            self.limits = {d.id: getattr(d, attr) for d in ctx.registry.devices}
            self.fixed: int | None = None
        else:
            self.limits = {}
            self.fixed = spec.above

    def step(self, cs: Any, event: Event, rkey: str) -> Step:
        """State: {"o": oldest time kept, "v": {value: [last ts, last event id]}}.

        Updated in place and pruned only once the oldest entry has left the window, so a
        busy door with hundreds of visitors costs a dict update per event.
        """
        if not self.match.test(event):
            return cs, NONE, NONE
        value = _value_of(event, self.of)
        ident = self.ctx.ident(event)
        limit = self.fixed if self.fixed is not None else self.limits.get(event.device)
        if value is None or ident is None or limit is None:
            return cs, NONE, NONE
        within = self.within(ident)
        if within is None:
            return cs, NONE, NONE
        now = event.ts_ms
        if cs is None:
            cs = {"o": now, "v": {}}
        seen = cs["v"]
        if now - cs["o"] > within:
            for v in [v for v, m in seen.items() if now - m[0] > within]:
                del seen[v]
            cs["o"] = min((m[0] for m in seen.values()), default=now)
        value = str(value)
        new = value not in seen
        seen[value] = [now, event.id]
        fires: list[Fire] = []
        if new and len(seen) > limit:
            facts = event_facts(event)
            facts.update(distinct=len(seen), limit=limit)
            evidence = [m[1] for m in sorted(seen.values())][-EVIDENCE_MAX:]
            fires.append(Fire(now, ident, evidence, facts))
        return cs, fires, []


class SequenceConstruct(Construct):
    """`first` then `then` within T under the same key, optionally differing in some fields."""

    kind = "sequence"

    def __init__(self, idx: str, ctx: Context, spec: SequenceSpec) -> None:
        super().__init__(idx, ctx)
        self.first = ctx.where(spec.first)
        self.then = ctx.where(spec.then)
        self.matchers = [self.first, self.then]
        self.base = self.then
        self.within = ctx.duration(spec.within)
        self.differ = spec.differ

    def step(self, cs: Any, event: Event, rkey: str) -> Step:
        """State: [ts, id, *differ values] of recent `first` matches."""
        is_first, is_then = self.first.test(event), self.then.test(event)
        if not (is_first or is_then):
            return cs, NONE, NONE
        ident = self.ctx.ident(event)
        if ident is None:
            return cs, NONE, NONE
        within = self.within(ident)
        if within is None:
            return cs, NONE, NONE
        now = event.ts_ms
        values = [_value_of(event, f) for f in self.differ]
        recent = [m for m in (cs or []) if now - m[0] <= within]
        fires: list[Fire] = []
        if is_then:
            for m in recent:
                if all(a != b for a, b in zip(m[2:], values, strict=True)):
                    facts = event_facts(event)
                    facts["first_device"] = m[2] if self.differ == ["device"] else None
                    fires.append(Fire(now, ident, [m[1], event.id], facts))
                    break
        if is_first:
            recent.append([now, event.id, *values])
        return recent[-EVIDENCE_MAX:] or None, fires, []
