"""`sustained`: a reported level that holds for a while (a socket drawing ≥ 50 W for 5 min),
optionally only `while` something is present at the same location (a join).

A device reports a level and it holds until the next report, so this runs on a timer at
start + lasting. With a join, the rule's state is keyed by location (building/unit/floor)
so the camera's sightings and the socket's readings meet in one state.
"""

from __future__ import annotations

from typing import Any

from ingest.event import Event
from rules.constructs.base import NONE, Construct, Context, Fire, Ident, Step, event_facts
from rules.engine import CancelTimer, SetTimer
from rules.spec import SustainedSpec


class SustainedConstruct(Construct):
    """See the module docstring."""

    kind = "sustained"

    def __init__(self, idx: str, ctx: Context, spec: SustainedSpec) -> None:
        super().__init__(idx, ctx)
        self.match = ctx.where(spec.where)
        self.condition = ctx.where(spec.condition)
        self.lasting = ctx.duration(spec.lasting)
        self.matchers = [self.match]
        self.base = self.match
        self.presence = None
        if spec.while_ is not None:
            self.presence = ctx.where(spec.while_.presence.where)
            self.presence_gap = ctx.duration(spec.while_.presence.max_gap)
            self.location = tuple(spec.while_.same)
            self.matchers.append(self.presence)

    def _present(self, cs: dict[str, Any], at_ms: int, ident: Ident) -> bool:
        if self.presence is None:
            return True
        seen = cs.get("p")
        gap = self.presence_gap(ident)
        return seen is not None and gap is not None and 0 <= at_ms - seen <= gap

    def step(self, cs: Any, event: Event, rkey: str) -> Step:
        """State: {"p": last presence, "r": {alert key: run}}; a run is [start, id, due, fired, who]."""
        cs = cs or {"r": {}}
        fires: list[Fire] = []
        timers: list[Any] = []
        if self.presence is not None and self.presence.test(event):
            cs = {**cs, "p": max(event.ts_ms, cs.get("p") or event.ts_ms)}
            # a level already held long enough fires once presence appears
            for run in cs["r"].values():
                if run[2] and not run[3]:
                    run[3] = True
                    fires.append(Fire(event.ts_ms, Ident(*run[4]), [run[1], event.id], run[5]))
        if self.match.test(event):
            ident = self.ctx.ident(event)
            lasting = self.lasting(ident) if ident is not None else None
            if ident is not None and lasting is not None:
                runs = dict(cs["r"])
                name = f"{self.idx}:{ident.akey}"
                if self.condition.data_only(event):
                    if ident.akey not in runs:
                        runs[ident.akey] = [event.ts_ms, event.id, False, False, list(ident),
                                            event_facts(event)]
                        timers.append(SetTimer(name, event.ts_ms + lasting))
                elif ident.akey in runs:
                    del runs[ident.akey]
                    timers.append(CancelTimer(name))
                cs = {**cs, "r": runs}
        if not cs["r"] and "p" not in cs:
            return None, fires, timers
        return cs, fires, timers

    def on_timer(self, cs: Any, sub: str, deadline_ms: int, rkey: str) -> Step:
        """The level held for `lasting`: fire now if the joined presence holds."""
        run = (cs or {}).get("r", {}).get(sub)
        if run is None:
            return cs, NONE, NONE
        run[2] = True
        ident = Ident(*run[4])
        if not self._present(cs, deadline_ms, ident):
            return cs, NONE, NONE
        run[3] = True
        facts = dict(run[5])
        facts["minutes"] = (deadline_ms - run[0]) // 60_000
        return cs, [Fire(deadline_ms, ident, [run[1]], facts)], []
