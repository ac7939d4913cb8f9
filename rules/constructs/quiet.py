"""`quiet`: nothing heard for a while (a device offline, a watched person inactive).

Each matching event re-arms a timer at its time + `for`; the timer raises at that deadline.
Keys never heard from at all are armed from the first event the rule processes, in one
shared state under START_KEY, which also remembers who has been heard since.
"""

from __future__ import annotations

from typing import Any

from ingest.event import Event
from rules.constructs.base import START_KEY, Construct, Context, Fire, Ident
from rules.engine import CancelTimer, SetTimer
from rules.spec import QuietSpec


class QuietConstruct(Construct):
    """See the module docstring."""

    kind = "quiet"

    def __init__(self, idx: str, ctx: Context, spec: QuietSpec) -> None:
        super().__init__(idx, ctx)
        self.match = ctx.where(spec.where)
        self.matchers = [self.match]
        self.base = self.match
        self.quiet = ctx.duration(spec.for_)
        self.from_start = spec.from_start
        self.timer = f"{idx}:q"

    def expected_keys(self) -> list[str]:
        """Registered devices (or watched subjects) the rule can name without hearing them."""
        if not self.from_start:
            return []
        if self.ctx.key == "subject":
            return sorted(w.subject for w in self.ctx.registry.watchlist)
        if self.ctx.key == "device" and self.match.devices is not None:
            return sorted(self.match.devices)
        return []

    def step(self, cs: Any, event: Event, rkey: str) -> tuple[Any, list[Fire], list[Any]]:
        """Per key: re-arm the timer. Under START_KEY: arm every key once, note who spoke."""
        if rkey == START_KEY:
            return self._start(cs, event)
        if not self.match(event):
            return cs, [], []
        ident = self.ctx.ident(event)
        if ident is None:
            return cs, [], []
        quiet = self.quiet(ident)
        if quiet is None:
            return cs, [], []
        return [event.id, list(ident)], [], [SetTimer(self.timer, event.ts_ms + quiet)]

    def _start(self, cs: Any, event: Event) -> tuple[Any, list[Fire], list[Any]]:
        ident = self.ctx.ident(event) if self.match(event) else None
        akey = ident.akey if ident is not None else None
        timers: list[Any] = []
        if cs is None:
            cs = {}
            for key in self.expected_keys():
                if key != akey:
                    quiet = self.quiet(self.ctx.ident_of_key(key))
                    if quiet is not None:
                        timers.append(SetTimer(f"{self.idx}:b:{key}", event.ts_ms + quiet))
                        cs[key] = 0
        if akey is not None and cs.get(akey) == 0:
            cs[akey] = 1  # in place: thousands of keys are heard in the first minutes
            timers.append(CancelTimer(f"{self.idx}:b:{akey}"))
        return cs, [], timers

    def on_timer(self, cs: Any, sub: str, deadline_ms: int, rkey: str) -> tuple[Any, list[Fire], list[Any]]:
        """Silent until the deadline: fire, stamped with it."""
        if cs is None:
            return cs, [], []
        if rkey == START_KEY:
            key = sub[2:]
            if cs.get(key) != 0:
                return cs, [], []
            ident = self.ctx.ident_of_key(key)
            cs[key] = 2
            return cs, [Fire(deadline_ms, ident, [], {"never_heard": True})], []
        last_id, who = cs
        return cs, [Fire(deadline_ms, Ident(*who), [last_id], {})], []
