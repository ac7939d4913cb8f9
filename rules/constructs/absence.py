"""`absence`: an expected event that does not come.

Look ahead (`after`): A not followed by B within T raises at A + T, on a timer, so replay
and live traffic agree. Look back (`before`): A with no B in the T before it raises at A.
"""

from __future__ import annotations

from typing import Any

from ingest.event import Event
from rules.constructs.base import NONE, Construct, Context, Fire, Ident, Step, event_facts
from rules.engine import CancelTimer, SetTimer
from rules.spec import AbsenceSpec


class AbsenceConstruct(Construct):
    """See the module docstring."""

    kind = "absence"

    def __init__(self, idx: str, ctx: Context, spec: AbsenceSpec) -> None:
        super().__init__(idx, ctx)
        self.ahead = spec.after is not None
        anchor = spec.after if spec.after is not None else spec.before
        assert anchor is not None
        self.anchor = ctx.where(anchor)
        self.missing = ctx.where(spec.missing)
        self.matchers = [self.anchor, self.missing]
        self.base = self.anchor
        self.within = ctx.duration(spec.within)
        self.timer = f"{idx}:due"

    def step(self, cs: Any, event: Event, rkey: str) -> Step:
        """Ahead: state is the pending anchor. Back: state is the last `missing` time."""
        if self.missing.test(event):
            if self.ahead:
                return None, [], [CancelTimer(self.timer)] if cs is not None else []
            return {"m": event.ts_ms}, NONE, NONE
        if not self.anchor.test(event):
            return cs, NONE, NONE
        ident = self.ctx.ident(event)
        within = self.within(ident) if ident is not None else None
        if ident is None or within is None:
            return cs, NONE, NONE
        if self.ahead:
            if cs is not None:
                return cs, NONE, NONE  # already waiting since the first anchor
            pending = {"t": event.ts_ms, "id": event.id, "who": list(ident), "f": event_facts(event)}
            return pending, [], [SetTimer(self.timer, event.ts_ms + within)]
        last = cs["m"] if cs else None
        if last is not None and event.ts_ms - last <= within:
            return cs, NONE, NONE
        return cs, [Fire(event.ts_ms, ident, [event.id], event_facts(event))], []

    def on_timer(self, cs: Any, sub: str, deadline_ms: int, rkey: str) -> Step:
        """The wait ran out: fire at the deadline with the anchor as evidence."""
        if cs is None:
            return None, NONE, NONE
        facts = dict(cs["f"])
        facts["waited_s"] = (deadline_ms - cs["t"]) // 1000
        return None, [Fire(deadline_ms, Ident(*cs["who"]), [cs["id"]], facts)], []
