"""`quiet`: nothing heard for a while (a device offline, a watched person inactive).

The whole rule lives in one engine key (START_KEY): one step per event instead of one per
key plus a shared one, and keys never heard from are armed from the first event processed.
Timers are lazy: a key's timer is set once and, when it fires, moved to last + `for` if
the key was heard meanwhile — a device's heartbeat costs a dict update, not a timer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ingest.event import Event
from rules.constructs.base import NONE, Construct, Context, Fire, Ident, Step
from rules.engine import SetTimer, StepFn
from rules.spec import QuietSpec

# entry per alert key: [last heard ms | None, last event id | None, pending deadline | None, device]
LAST, LAST_ID, DUE, DEVICE = 0, 1, 2, 3


_NOTHING: list[Any] = []  # never appended to: the engine only reads outputs


def _blank() -> list[Any]:
    return [None, None, None, None]


class QuietConstruct(Construct):
    """See the module docstring."""

    kind = "quiet"
    single_key = True  # the rule routes every event to START_KEY

    def __init__(self, idx: str, ctx: Context, spec: QuietSpec) -> None:
        super().__init__(idx, ctx)
        self.match = ctx.where(spec.where)
        self.matchers = [self.match]
        self.base = self.match
        self.quiet = ctx.duration(spec.for_)
        self.from_start = spec.from_start
        self._by_device = ctx.key == "device"
        self._quiet_ms: dict[str, int | None] = {}  # per alert key with a timer (see _quiet_of)

    def expected_keys(self) -> list[str]:
        """Registered devices (or watched subjects) the rule can name without hearing them."""
        if not self.from_start:
            return []
        if self.ctx.key == "subject":
            return sorted(w.subject for w in self.ctx.registry.watchlist)
        if self.ctx.key == "device" and self.match.devices is not None:
            return sorted(self.match.devices)
        return []

    def _ident(self, akey: str) -> Ident:
        return self.ctx.ident_of_key(akey)

    def step(self, cs: Any, event: Event, rkey: str) -> Step:
        """Note who was heard; the first event of all arms every expected key."""
        timers: Sequence[Any] = NONE
        if cs is None:
            cs, timers = self._arm(event.ts_ms)
        if not self.match.test(event) or self.heard(cs, event):
            return cs, NONE, timers  # the hot path (every heartbeat): an entry updated in place
        ident = self.ctx.ident(event)
        quiet = self.quiet(ident) if ident is not None else None
        if ident is None or quiet is None:
            return cs, NONE, timers
        entry = cs.get(ident.akey)
        if entry is None:
            entry = cs[ident.akey] = _blank()
        entry[LAST], entry[LAST_ID], entry[DEVICE] = event.ts_ms, event.id, event.device
        if entry[DUE] is None:
            due = entry[DUE] = event.ts_ms + quiet
            timers = [*timers, SetTimer(f"{self.idx}:{ident.akey}", due)]
        return cs, NONE, timers

    def _arm(self, now_ms: int) -> tuple[dict[str, Any], list[Any]]:
        """The first state, every expected key waiting from now, and their timers."""
        cs: dict[str, Any] = {}
        timers: list[Any] = []
        for key in self.expected_keys():
            quiet = self.quiet(self._ident(key))
            if quiet is not None:
                cs[key] = _blank()
                cs[key][DUE] = now_ms + quiet
                timers.append(SetTimer(f"{self.idx}:{key}", now_ms + quiet))
        return cs, timers

    def on_timer(self, cs: Any, sub: str, deadline_ms: int, rkey: str) -> Step:
        """Heard since the timer was set: move it. Silent until the deadline: fire."""
        entry = cs.get(sub) if cs is not None else None
        if entry is None:
            return cs, NONE, NONE
        quiet = self._quiet_of(sub)
        if entry[LAST] is not None and quiet is not None and entry[LAST] + quiet > deadline_ms:
            entry[DUE] = entry[LAST] + quiet
            return cs, NONE, [SetTimer(f"{self.idx}:{sub}", entry[DUE])]
        entry[DUE] = None
        evidence = [entry[LAST_ID]] if entry[LAST_ID] is not None else []
        facts = {"never_heard": entry[LAST] is None, "at_device": entry[DEVICE]}
        return cs, [Fire(deadline_ms, self._ident(sub), evidence, facts)], NONE

    def rule_moved(self, idx: str) -> Callable[[Any, str, str, int], int | None]:
        """The rule's `moved` for the engine (see rules.engine), `on_timer`'s first case alone:
        for the rule state's engine timer `name` of this construct (named `{idx}:{alert key}`),
        when its key was heard since the timer was set, move the timer as `on_timer` would and
        return its new deadline; otherwise None (`on_timer` must run). One closure: a quarter
        of the events fire such a timer."""
        prefix = f"{idx}:"
        cut = len(prefix)
        quiet_ms, quiet_of = self._quiet_ms, self._quiet_of

        def moved(state: Any, key: str, name: str, deadline_ms: int) -> int | None:
            if state is None or not name.startswith(prefix):
                return None
            cs = state["c"].get(idx)
            sub = name[cut:]
            entry = cs.get(sub) if cs is not None else None
            if entry is None or entry[LAST] is None:
                return None
            try:
                quiet = quiet_ms[sub]
            except KeyError:
                quiet = quiet_of(sub)
            if quiet is None or entry[LAST] + quiet <= deadline_ms:
                return None
            due = entry[DUE] = entry[LAST] + quiet
            return due
        return moved

    def heard(self, cs: Any, event: Event) -> bool:
        """`step`'s hot path alone, for an event its condition accepts: when the event's device
        has an entry with a pending timer, note the event there and return True (nothing else
        to do); otherwise False, and `step` must run."""
        if cs is None or not self._by_device:
            return False
        entry = cs.get(event.device)
        if entry is None or entry[DUE] is None:
            return False
        entry[LAST] = event.ts_ms
        entry[LAST_ID] = event.id
        return True

    def rule_step(self, idx: str, step: StepFn) -> StepFn | None:
        """`heard` fused into a whole rule step (one call less on nearly every event), for
        events the condition always accepts: a rule state `{"c": {idx: this construct's state},
        "a": {}}` (no active alert) gets the event noted in place, as `heard` notes it; anything
        else goes to the rule's `step`. None when keyed by subject (`heard` never notes those)."""
        if not self._by_device:
            return None

        def heard_step(state: Any, event: Event, key: str) -> tuple[Any, list[Any]]:
            if state is not None and not state["a"]:
                cs = state["c"].get(idx)
                entry = cs.get(event.device) if cs is not None else None
                if entry is not None and entry[DUE] is not None:
                    entry[LAST] = event.ts_ms
                    entry[LAST_ID] = event.id
                    return state, _NOTHING
            return step(state, event, key)
        return heard_step

    def _quiet_of(self, akey: str) -> int | None:
        """The quiet duration of an alert key (fixed per key: looked up once)."""
        try:
            return self._quiet_ms[akey]
        except KeyError:
            quiet = self._quiet_ms[akey] = self.quiet(self._ident(akey))
            return quiet
