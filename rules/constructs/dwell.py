"""`dwell`: presence that lasts — matching events with no gap over `max_gap`, for `lasting`.

It fires on the first sighting at or after first + lasting, stamped first + lasting: a
camera reports sightings, so presence needs evidence up to that time (an e-bike seen for
9 minutes and then gone never fires).
"""

from __future__ import annotations

from typing import Any

from ingest.event import Event
from rules.constructs.base import NONE, Construct, Context, Fire, Step, event_facts
from rules.spec import DwellSpec

EVIDENCE_HEAD = 5


class DwellConstruct(Construct):
    """See the module docstring."""

    kind = "dwell"

    def __init__(self, idx: str, ctx: Context, spec: DwellSpec) -> None:
        super().__init__(idx, ctx)
        self.match = ctx.where(spec.where)
        self.matchers = [self.match]
        self.base = self.match
        self.max_gap = ctx.duration(spec.max_gap)
        self.lasting = ctx.duration(spec.lasting)

    def step(self, cs: Any, event: Event, rkey: str) -> Step:
        """State: [first, last, fired, first event ids] of the current run."""
        if not self.match.test(event):
            return cs, NONE, NONE
        ident = self.ctx.ident(event)
        if ident is None:
            return cs, NONE, NONE
        gap, lasting = self.max_gap(ident), self.lasting(ident)
        if gap is None or lasting is None:
            return cs, NONE, NONE
        now = event.ts_ms
        if cs is None or now - cs[1] > gap or now < cs[0]:
            cs = [now, now, False, [event.id]]
        else:
            cs = [cs[0], max(cs[1], now), cs[2], cs[3]]
            if len(cs[3]) < EVIDENCE_HEAD:
                cs[3] = [*cs[3], event.id]
        if cs[2] or now - cs[0] < lasting:
            return cs, NONE, NONE
        cs[2] = True
        facts = event_facts(event)
        facts["minutes"] = lasting // 60_000
        return cs, [Fire(cs[0] + lasting, ident, [*cs[3], event.id], facts)], []
