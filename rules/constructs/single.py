"""`event`: every matching event raises (or updates the active alert)."""

from __future__ import annotations

from typing import Any

from ingest.event import Event
from rules.constructs.base import NONE, Construct, Context, Fire, Step, event_facts
from rules.spec import EventSpec


class EventConstruct(Construct):
    """One event is enough: a forced door, a duress code, a thrown object."""

    kind = "event"

    def __init__(self, idx: str, ctx: Context, spec: EventSpec) -> None:
        super().__init__(idx, ctx)
        self.match = ctx.where(spec.where)
        self.schedule = spec.during
        self.matchers = [self.match]
        self.base = self.match

    def step(self, cs: Any, event: Event, rkey: str) -> Step:
        """Stateless: fire when the event matches (inside the schedule, if any)."""
        if not self.match.test(event) or not self.ctx.in_schedule(self.schedule, event.ts_ms):
            return cs, NONE, NONE
        ident = self.ctx.ident(event)
        if ident is None:
            return cs, NONE, NONE
        return cs, [Fire(event.ts_ms, ident, [event.id], event_facts(event))], []
