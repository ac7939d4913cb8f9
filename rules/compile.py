"""A validated RuleSpec compiled into an engine Processor: routing, constructs, lifecycle."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ingest.event import ALERT_ACK, DESK_ACTIONS, Event
from ingest.registry import Registry
from rules.constructs import build
from rules.constructs.base import START_KEY, Construct, Context, Ident
from rules.engine import Route, StepFn
from rules.lifecycle import RuleInfo, acknowledge_early, drop_early, ident_from_ack, keep_alive, raise_early
from rules.lifecycle import acknowledge as _ack
from rules.lifecycle import clear as _clear
from rules.lifecycle import fire as _fire
from rules.lifecycle import on_timer as _lifecycle_timer
from rules.lifecycle import resolve as _resolve
from rules.match import Matcher, union_devices, union_subjects
from rules.silence import Silence, Silencer
from rules.spec import RuleSpec, parse_duration_ms

DEFAULT_ESCALATE_MS = 5 * 60_000
# constructs that, without state, keep none for an event none of their conditions matches
_INERT_WHEN_UNMATCHED = frozenset({"event", "count", "distinct", "sequence", "absence", "dwell", "sustained"})
_NOTHING: list[Any] = []  # never appended to: the engine only reads outputs


class CompiledRule:
    """One rule as a pure, keyed engine Processor.

    State per engine key: {"c": {construct idx: state}, "a": {alert key: alert record}}.
    The engine key is the alert key, except for a rule with a location join, whose state is
    keyed by location so that both sides of the join meet.
    """

    def __init__(self, spec: RuleSpec, registry: Registry, source: str = "",
                 silences: list[Silence] | None = None) -> None:
        self.name = spec.rule
        self.spec = spec
        self.source = source
        self.ctx = Context(registry, spec.key)
        self.constructs: list[Construct] = [
            build(kind, leaf, str(i), self.ctx) for i, (kind, leaf) in enumerate(spec.raise_.leaves())
        ]
        self.clear_on: Matcher | None = (
            self.ctx.where(spec.clear.on) if spec.clear.on is not None else None
        )
        quiet = spec.clear.quiet
        quiet_ms = parse_duration_ms(quiet) if isinstance(quiet, str) else None
        escalate = spec.escalate_after
        if isinstance(escalate, str):
            escalate_ms: int | None = parse_duration_ms(escalate)
        else:
            escalate_ms = DEFAULT_ESCALATE_MS if spec.severity == "critical" else None
        self.info = RuleInfo(spec.rule, spec.severity, (spec.summary.zh, spec.summary.en),
                             escalate_ms, quiet_ms, spec.clear.ack, spec.commands, registry,
                             Silencer(spec.rule, silences or []))
        self._bases = [c.base.test for c in self.constructs if c.base is not None]
        self._clear = self.clear_on.test if self.clear_on is not None else None
        matchers = [m for c in self.constructs for m in c.matchers]
        if self.clear_on is not None:
            matchers.append(self.clear_on)
        types: set[str] = set(DESK_ACTIONS)
        for m in matchers:
            types |= m.types
        self.event_types: frozenset[str] | None = frozenset(types)
        self._devices = union_devices(matchers)
        self._subjects = union_subjects(matchers)
        self._by_idx = {c.idx: c for c in self.constructs}  # timers are named `{idx}:…`
        self._by_type: dict[str, list[Construct]] = {}
        for c in self.constructs:
            for t in c.types:
                self._by_type.setdefault(t, []).append(c)
        joins = [c.location for c in self.constructs if c.location is not None]
        if joins and len(self.constructs) > 1:
            # its state is keyed by location, which the other constructs do not expect
            raise ValueError("a sustained construct with while: cannot be combined with others")
        self._location = joins[0] if joins else None
        self._locations: dict[str, str] = {}
        if self._location is not None:
            for d in registry.devices:
                parts = [getattr(d, a) for a in self._location]
                if all(p is not None for p in parts):
                    self._locations[d.id] = "/".join(str(p) for p in parts)
        self._single = any(getattr(c, "single_key", False) for c in self.constructs)
        if self._single and len(self.constructs) > 1:
            raise ValueError("a quiet construct cannot be combined with others in one rule")
        # a single-key rule sees every event; most only need "not mine" (see step)
        self._mine = self.constructs[0].matchers[0].test if self._single else None
        # and a quiet construct's hot path, which the rule may take alone (see step)
        self._heard: Callable[[Any, Event], bool] | None = (
            getattr(self.constructs[0], "heard", None) if self._single else None)
        self._idx0 = self.constructs[0].idx
        # a quiet construct's timers mostly move on (see `moved`); other rules' timers fire
        move = getattr(self.constructs[0], "rule_moved", None) if self._single else None
        self.moved: Callable[[Any, str, str, int], int | None] | None = (
            move(self._idx0) if move is not None else None)
        fused = getattr(self.constructs[0], "rule_step", None) if self._single else None
        self._heard_step: StepFn | None = fused(self._idx0, self.step) if fused is not None else None
        # the subjects a quiet rule's condition and clear can match, when both name some
        self._watched = frozenset().union(*(m.subjects or () for m in [self.constructs[0].matchers[0], self.clear_on]
                                            if m is not None))
        self._subjects_step = self._subjects_step_fn()
        # an event's alert key where it is not its engine key (see `step`)
        self._akey: Callable[[Event], str | None] | None = None
        if self._single or self._location is not None:
            self._akey = {"device": _device_key, "subject": _subject_key}.get(spec.key, _port_key)
        # one event is enough for these constructs, whatever came before: their raises can be
        # published on arrival instead of after the reorder window (see `early`)
        self._early_by_type: dict[str, list[Construct]] = {}
        if self._location is None and not self._single:
            for c in self.constructs:
                if c.kind == "event":
                    for t in c.types:
                        self._early_by_type.setdefault(t, []).append(c)
        # and the desk's acknowledgement stops the alarm on arrival, for every rule
        self.early_types = frozenset({*self._early_by_type, ALERT_ACK})
        self.early_wanted = self._early_wanted_fn()

    # ---- routing ---------------------------------------------------------------------

    def _route(self, ident: Ident) -> str | None:
        if self._location is None:
            return ident.akey
        return self._locations.get(ident.device or "")

    def keys(self, event: Event) -> Iterable[str]:
        """The engine key(s) of this event: its alert key, or its location for a join."""
        key = self.key_of(event)
        return (key,) if key is not None else ()

    def key_of(self, event: Event) -> str | None:
        """The one engine key of this event, or None when it concerns no key of this rule."""
        if event.type in DESK_ACTIONS:
            if event.data.get("rule") != self.name:
                return None
            if self._single:
                return START_KEY
            ident = ident_from_ack(self.ctx.key, event.data)
            return self._route(ident) if ident is not None else None
        if self._single:
            return START_KEY  # "never heard from" counts from the first event of all
        if self._devices is not None and event.device not in self._devices:
            return None
        if self._subjects is not None and (
            event.subject is None or event.subject.id not in self._subjects
        ):
            return None
        if self._location is not None:
            return self._locations.get(event.device)
        ident = self.ctx.ident(event)
        return ident.akey if ident is not None else None

    def route(self, event_type: str, device: str) -> Route:
        """`key_of` settled per (event type, device) for the engine (see rules.engine): the
        device filter and, for device and location keys, the key itself are known then."""
        if event_type in DESK_ACTIONS:
            return self.key_of
        if self._single:
            return START_KEY
        if self._devices is not None and device not in self._devices:
            return None
        if self._subjects is not None:
            return self.key_of
        if self._location is not None:
            return self._locations.get(device)
        if self.ctx.key == "device":
            return device
        if self.ctx.key == "subject":
            return _subject_key
        return _port_key

    def step_for(self, event_type: str, device: str) -> StepFn | None:
        """`step` specialised for events of this type from this device, where the route settles
        part of its work (None: the generic `step`). A key without state stays so for events
        no construct's condition accepts; a quiet rule, once armed, is unchanged by events
        neither its condition nor its clear can match, and notes a watched device's heartbeat
        in place."""
        if event_type in DESK_ACTIONS:
            return None
        if not self._single:
            return self._fresh_step_for(event_type, device)
        mine, clear = self.constructs[0].matchers[0], self.clear_on
        if not mine.may_match(event_type, device) and (clear is None or not clear.may_match(event_type, device)):
            return self._idle_step
        if mine.subjects is not None and (clear is None or clear.subjects is not None):
            return self._subjects_step
        if self._heard_step is not None and mine.always(event_type, device):
            return self._heard_step
        return None

    def _fresh_step_for(self, event_type: str, device: str) -> StepFn | None:
        """For a key without state, an event that none of the constructs' conditions accepts
        leaves it without state (constructs keep nothing of events they do not match): such
        an event needs only those conditions tested, not the whole step."""
        constructs = self._by_type.get(event_type, ())
        if any(c.kind not in _INERT_WHEN_UNMATCHED for c in constructs):
            return None
        tests = [m.test for c in constructs for m in c.matchers if m.may_match(event_type, device)]
        step = self.step
        if len(tests) == 1:
            only = tests[0]

            def fresh_one(state: Any, event: Event, key: str) -> tuple[Any, list[Any]]:
                if state is None and not only(event):
                    return None, _NOTHING
                return step(state, event, key)
            return fresh_one

        def fresh(state: Any, event: Event, key: str) -> tuple[Any, list[Any]]:
            if state is None and not any(test(event) for test in tests):
                return None, _NOTHING
            return step(state, event, key)
        return fresh

    def _idle_step(self, state: Any, event: Event, key: str) -> tuple[Any, list[Any]]:
        if state is not None and self._idx0 in state["c"]:
            return state, _NOTHING
        return self.step(state, event, key)

    # The one below runs on nearly every event (a quiet rule sees them all), like the quiet
    # construct's `rule_step`: a closure over what it reads saves the attribute lookups of methods.

    def _subjects_step_fn(self) -> StepFn:
        watched, idx, step = self._watched, self._idx0, self.step

        def subjects_step(state: Any, event: Event, key: str) -> tuple[Any, list[Any]]:
            subject = event.subject
            if (subject is None or subject.id not in watched) and state is not None and idx in state["c"]:
                return state, _NOTHING  # neither its condition nor its clear concern this subject
            return step(state, event, key)
        return subjects_step

    # ---- processing ------------------------------------------------------------------

    def step(self, state: Any, event: Event, key: str) -> tuple[Any, list[Any]]:
        """Clear or keep alive active alerts, then let each construct decide."""
        if state is None:
            st: dict[str, Any] = {"c": {}, "a": {}}
        else:
            mine = self._mine
            if mine is not None and not state["a"]:
                if not mine(event):
                    return state, _NOTHING  # armed already, no alert to clear, not an event it watches
                heard = self._heard
                if heard is not None and event.type not in DESK_ACTIONS and heard(state["c"].get(self._idx0), event):
                    return state, _NOTHING  # a heartbeat noted in place: nothing else can happen
            st = state
        if event.type in DESK_ACTIONS:
            return self._desk(st, event)
        alerts: dict[str, Any] = st["a"]
        out: list[Any] = []
        if alerts:
            # the engine key is the alert key, except for a join's location or a quiet rule
            akey = self._akey(event) if self._akey is not None else key
            if akey is not None and akey in alerts:
                if self._clear is not None and self._clear(event):
                    _clear(self.info, alerts, akey, event.ts_ms, out, event.id)
                elif self.info.quiet_ms is not None and any(b(event) for b in self._bases):
                    keep_alive(self.info, alerts, akey, event.ts_ms, out)
        cstates: dict[str, Any] = st["c"]
        for c in self._by_type.get(event.type, ()):
            idx = c.idx
            cs, fires, timers = c.step(cstates.get(idx), event, key)
            if cs is None:
                cstates.pop(idx, None)
            else:
                cstates[idx] = cs
            if timers:
                out.extend(timers)
            for hit in fires:
                _fire(self.info, alerts, hit, event.ts_ms, out, st.get("e"))
        if "e" in st:
            early = st["e"]
            if early:
                drop_early(self.info, early, _ref(event), event.ts_ms, out)
            if not early:
                del st["e"]
        if cstates or alerts or "e" in st:
            return st, out
        return None, out

    def _desk(self, st: dict[str, Any], event: Event) -> tuple[Any, list[Any]]:
        """The desk acknowledged or resolved an alert of this rule."""
        out: list[Any] = []
        ident = ident_from_ack(self.ctx.key, event.data)
        if ident is not None:
            alert = event.data.get("alert")
            act = _ack if event.type == ALERT_ACK else _resolve
            act(self.info, st["a"], ident.akey, event.ts_ms, alert if isinstance(alert, str) else None, out)
        return _compact(st), out

    def early(self, state: Any, event: Event, key: str) -> tuple[Any, list[Any]]:
        """On arrival, before the event's turn in event-time order: the raise (and commands) a
        one-event construct makes of it when no alert of its key is active; the state records
        it so that the in-order `step` adopts that alert instead of raising it again."""
        out: list[Any] = []
        if event.type == ALERT_ACK:
            ident = ident_from_ack(self.ctx.key, event.data)
            if ident is not None and state is not None:
                alert = event.data.get("alert")
                acknowledge_early(self.info, state["a"], state.get("e", {}), ident.akey, event.ts_ms,
                                  alert if isinstance(alert, str) else None, out)
            return state, out
        for c in self._early_by_type.get(event.type, ()):
            _, fires, _ = c.step(None, event, key)  # event constructs keep no state
            for hit in fires:
                st = state if state is not None else {"c": {}, "a": {}}
                raise_early(self.info, st["a"], st.setdefault("e", {}), hit, _ref(event), out)
                state = _compact(st)
        return state, out

    def _early_wanted_fn(self) -> Callable[[Event], bool]:
        """`early_wanted` for the engine (see rules.engine): an event of a construct's type
        that none of the one-event constructs' conditions accepts raises nothing on arrival
        (`early` then changes nothing); an acknowledgement always goes to `early`."""
        tests = {t: tuple(m.test for c in cs for m in c.matchers) for t, cs in self._early_by_type.items()
                 if t != ALERT_ACK}

        def early_wanted(event: Event) -> bool:
            mine = tests.get(event.type)
            if mine is None:  # the desk's acknowledgement
                return True
            for test in mine:
                if test(event):
                    return True
            return False
        return early_wanted

    def on_timer(self, state: Any, key: str, name: str, deadline_ms: int) -> tuple[Any, list[Any]]:
        """Lifecycle timers (escalation, quiet clear) and construct timers (`{idx}:…`)."""
        if state is None:
            return None, []
        idx, _, sub = name.partition(":")
        c = self._by_idx.get(idx)
        if c is None:
            out: list[Any] = []
            _lifecycle_timer(self.info, state["a"], name, deadline_ms, out)
            return _compact(state), out
        cstates = state["c"]
        cs, fires, timers = c.on_timer(cstates.get(idx), sub, deadline_ms, key)
        if cs is None:
            cstates.pop(idx, None)
        else:
            cstates[idx] = cs
        if not fires:  # a quiet rule's timer moved on: what the construct gave is all
            return _compact(state), list(timers)
        out = list(timers)
        for hit in fires:
            _fire(self.info, state["a"], hit, deadline_ms, out, state.get("e"))
        return _compact(state), out


def _device_key(event: Event) -> str:
    return event.device


def _subject_key(event: Event) -> str | None:
    return event.subject.id if event.subject is not None else None


def _port_key(event: Event) -> str:
    port = event.data.get("port")
    return event.device if port is None else f"{event.device}:{port}"


def _compact(st: dict[str, Any]) -> dict[str, Any] | None:
    if "e" in st and not st["e"]:
        del st["e"]
    return st if st["c"] or st["a"] or "e" in st else None


def _ref(event: Event) -> str:
    return f"{event.device}/{event.id}"
