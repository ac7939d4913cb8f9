"""What every construct shares: the rule context, alert identities and the Fire record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from ingest.event import Event
from ingest.registry import Registry
from rules.match import Matcher, compile_where
from rules.spec import AttrDuration, KeySpec, Schedule, parse_duration_ms

NONE: tuple[()] = ()  # "no fires", "no timers": shared, as nothing appends to what a step returns
# Engine key of the state that arms timers for keys never heard from (quiet constructs).
START_KEY = "~start"


class Ident(NamedTuple):
    """Who an alert is about: its key within the rule and the fields of the alert schema."""

    akey: str
    device: str | None
    subject: str | None
    port: int | None


class Fire(NamedTuple):
    """A construct's decision that its rule's condition holds at `ts_ms` for `ident`."""

    ts_ms: int
    ident: Ident
    evidence: list[str]
    facts: dict[str, Any]


DurationFn = Callable[[Ident], int | None]
# what a construct returns: (its new state, fires, engine timer outputs)
Step = tuple[Any, Sequence[Fire], Sequence[Any]]


class Context:
    """The rule-wide things constructs need: registry, key spec, time zone."""

    def __init__(self, registry: Registry, key: KeySpec) -> None:
        self.registry = registry
        self.key = key
        self.tz: ZoneInfo = registry.community.tz
        self._heartbeat = {d.id: registry.heartbeat_s(d) for d in registry.devices}
        self._quiet_h = {w.subject: w.max_quiet_h for w in registry.watchlist}

    def ident(self, event: Event) -> Ident | None:
        """The alert identity of an event under this rule's key, or None when it has none."""
        key = self.key
        if key == "device":
            return Ident(event.device, event.device, None, None)
        if key == "subject":
            sid = event.subject.id if event.subject is not None else None
            # a person's alert is not a device's: the place where it happened is a fact
            return None if sid is None else Ident(sid, None, sid, None)
        port = event.data.get("port")
        if port is None:
            return Ident(event.device, event.device, None, None)
        return Ident(f"{event.device}:{port}", event.device, None, port)

    def ident_of_key(self, akey: str) -> Ident:
        """An identity rebuilt from an alert key alone (keys armed from the registry)."""
        if self.key == "subject":
            return Ident(akey, None, akey, None)
        device, _, port = akey.partition(":")
        return Ident(akey, device, None, int(port) if port else None)

    def where(self, where: dict[str, Any]) -> Matcher:
        """Compile a condition against this registry."""
        return compile_where(where, self.registry)

    def duration(self, value: str | AttrDuration) -> DurationFn:
        """A duration, fixed or looked up per device or watched subject."""
        if isinstance(value, str):
            ms = parse_duration_ms(value)
            return lambda ident: ms
        times = value.times
        if value.device is not None:
            beats = self._heartbeat
            return lambda ident: (
                round(beats[ident.device] * 1000 * times) if ident.device in beats else None
            )
        quiet = self._quiet_h
        return lambda ident: (
            round(quiet[ident.subject] * 3_600_000 * times) if ident.subject in quiet else None
        )

    def in_schedule(self, schedule: Schedule | None, ts_ms: int) -> bool:
        """True when `ts_ms` falls in the daily window, in community time."""
        if schedule is None:
            return True
        local = datetime.fromtimestamp(ts_ms / 1000, self.tz)
        minute = local.hour * 60 + local.minute
        start, end = schedule.minutes()
        if start <= end:
            return start <= minute < end
        return minute >= start or minute < end


class Construct:
    """Base of the raising constructs; `idx` prefixes its timers and names its state slot."""

    kind = "construct"

    def __init__(self, idx: str, ctx: Context) -> None:
        self.idx = idx
        self.ctx = ctx
        self.matchers: list[Matcher] = []  # every condition it listens to (routing)
        self.base: Matcher | None = None  # the events that keep an incident alive
        self.location: tuple[str, ...] | None = None  # joined location attributes, if any

    @property
    def types(self) -> frozenset[str]:
        """Event types it listens to."""
        out: frozenset[str] = frozenset()
        for m in self.matchers:
            out |= m.types
        return out

    def step(self, cs: Any, event: Event, rkey: str) -> Step:
        """Apply an event; returns (state, fires, timer outputs)."""
        raise NotImplementedError

    def on_timer(self, cs: Any, sub: str, deadline_ms: int, rkey: str) -> Step:
        """A timer named `{idx}:{sub}` fired."""
        return cs, NONE, NONE

    def expected_keys(self) -> list[str]:
        """Alert keys to watch from the first event on, even if never heard from."""
        return []


def event_facts(event: Event) -> dict[str, Any]:
    """The triggering event's data, for summaries (copied: outputs must not alias events)."""
    facts = dict(event.data)
    facts.setdefault("type", event.type)
    facts["at_device"] = event.device
    return facts
