"""What replay, the live processor and the Faust runtime share: decode, pseudonymise subjects,
reject, feed the engine, render outputs.

With a deployment salt (ingest/pseudonym.py) every subject id is replaced by its keyed
pseudonym right after decoding, so nothing downstream (log, rules, alerts, sinks) sees a
clear id. What the rules compare subjects with is mapped with the same function: the
watchlist of devices.yaml, `subject.id` values in rule conditions and the `subject` of
silences; rule tests keep running on clear ids, as their files are written.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alerts.render import render_output
from ingest.decode import Decoder, MultipleEvents, Payload, UnknownDevice
from ingest.errors import ConfigProblem, RegistryError, RejectError
from ingest.event import UNKNOWN_DEVICE, Event, Subject
from ingest.pseudonym import Pseudonymizer, Redactor, pseudonymizer_from_env
from ingest.registry import Registry
from rules.activity import DeviceActivity
from rules.compile import CompiledRule
from rules.engine import Emitted, Engine, Processor
from rules.load import compile_doc, load_docs, load_silences
from rules.pack import load_rules
from rules.reload import ReloadReport, plan_reload

log = logging.getLogger(__name__)

Message = tuple[str, dict[str, Any]]  # (topic, payload) to publish
Renderer = Callable[[Emitted], list[Message]]


class _FromEnv:
    """Marker: take the pseudonymizer from the environment (the deployment salt)."""


FROM_ENV = _FromEnv()
Pseudonyms = Pseudonymizer | None | _FromEnv


def _resolve(pseudonyms: Pseudonyms) -> Pseudonymizer | None:
    return pseudonymizer_from_env() if isinstance(pseudonyms, _FromEnv) else pseudonyms


def rules_registry(registry: Registry, pseudonyms: Pseudonyms = FROM_ENV) -> Registry:
    """The registry as the rules must see it: watchlist subjects pseudonymised like events."""
    pseudo = _resolve(pseudonyms)
    if pseudo is None or not registry.watchlist:
        return registry
    watchlist = [w.model_copy(update={"subject": pseudo(w.subject)}) for w in registry.watchlist]
    return registry.model_copy(update={"watchlist": watchlist})


def load_processors(registry: Registry, rules_dir: Path | None,
                    pseudonyms: Pseudonyms = FROM_ENV) -> list[Processor]:
    """The built-in processors plus the rule pack (default rules and `rules_dir` overrides),
    with subjects mapped as pseudonymised events need them.

    Raises ingest.errors.RegistryError for bad rules and for unusable salt settings."""
    pseudo = _resolve(pseudonyms)
    if pseudo is None:
        return [DeviceActivity(), *load_rules(registry, rules_dir)]
    return [DeviceActivity(), *pseudonymised_rules(registry, rules_dir, pseudo)]


def pseudonymised_rules(registry: Registry, rules_dir: Path | None, pseudo: Pseudonymizer) -> list[CompiledRule]:
    """`rules.load.load_rule_set` with every subject the rules name mapped to its pseudonym."""
    problems: list[ConfigProblem] = []
    docs = load_docs(rules_dir, problems)
    silences = [s.model_copy(update={"subject": pseudo(s.subject)}) if s.subject is not None else s
                for s in load_silences(rules_dir, problems)]
    mapped = rules_registry(registry, pseudo)
    rules = []
    for doc in docs.values():
        _map_subject_values(doc.tree, doc.tree.get("params"), pseudo, set())
        rule = compile_doc(doc, mapped, problems, silences)
        if rule is not None:
            rules.append(rule)
    if problems:
        unique = {str(p): p for p in problems}.values()
        raise RegistryError(sorted(unique, key=lambda p: (p.file, p.line or 0, p.key)))
    return sorted(rules, key=lambda r: r.name)


_SUBJECT_OPS = ("eq", "ne", "in", "not_in")  # operators whose values are subject ids


def _map_subject_values(node: Any, params: Any, pseudo: Pseudonymizer, done: set[str]) -> None:
    """Map, in place, the values of every `subject.id` condition of a rule document (and the
    parameters such a value names as `$name`, once each)."""
    if isinstance(node, list):
        for item in node:
            _map_subject_values(item, params, pseudo, done)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "subject.id":
            if isinstance(value, dict):
                for op in _SUBJECT_OPS:
                    if op in value:
                        value[op] = _mapped(value[op], params, pseudo, done)
            else:
                node[key] = _mapped(value, params, pseudo, done)
        elif key != "params":
            _map_subject_values(value, params, pseudo, done)


def _mapped(value: Any, params: Any, pseudo: Pseudonymizer, done: set[str]) -> Any:
    if isinstance(value, list):
        return [_mapped(v, params, pseudo, done) for v in value]
    if not isinstance(value, str):
        return value
    if value.startswith("$") and len(value) > 1:  # substituted later, by compile_doc
        name = value[1:]
        if isinstance(params, dict) and name in params and name not in done:
            done.add(name)
            params[name] = _mapped(params[name], None, pseudo, done)
        return value
    return pseudo(value)


def plan_rules_reload(registry: Registry, rules_dir: Path, current: list[Processor],
                      pseudonyms: Pseudonyms = FROM_ENV) -> tuple[list[CompiledRule] | None, ReloadReport]:
    """`rules.reload.plan_reload`, with the accepted rules' subjects mapped like
    `load_processors` maps them; the rule tests still run on clear ids, as they are written."""
    new, report = plan_reload(registry, rules_dir, current)
    pseudo = _resolve(pseudonyms)
    if new is None or pseudo is None:
        return new, report
    try:
        return pseudonymised_rules(registry, rules_dir, pseudo), report
    except RegistryError as exc:  # the directory changed again in between
        return None, ReloadReport(False, problems=[str(p) for p in exc.problems])


def make_renderer(registry: Registry) -> Renderer:
    """Turns engine outputs into (topic, payload) messages: alert transitions and commands."""
    def render(emitted: Emitted) -> list[Message]:
        return render_output(emitted, registry)
    return render


@dataclass(slots=True)
class Outcome:
    """What became of one message: events (vendor lists make several), a rejection, or an
    internal event and a rejection (unknown device)."""

    events: list[Event]
    reject: RejectError | None

    @property
    def event(self) -> Event | None:
        """The first event, or None."""
        return self.events[0] if self.events else None


class Pipeline:
    """Decodes messages and runs the engine; the caller decides about storage and dedup.

    `pseudonyms` defaults to the deployment salt of the environment; None keeps ids clear.
    `early_raises` lets one-event rules raise on arrival (the live processor; rules/engine.py);
    replays keep strict event order."""

    def __init__(self, registry: Registry, processors: list[Processor], renderer: Renderer | None = None,
                 pseudonyms: Pseudonyms = FROM_ENV, early_raises: bool = False) -> None:
        self.registry = registry
        self.decoder = Decoder(registry)
        self.engine = Engine(processors, early_raises=early_raises)
        self.pseudonym = _resolve(pseudonyms)
        # alert texts look watched subjects up (max_quiet_h) by the pseudonyms alerts carry
        self.render = renderer or make_renderer(rules_registry(registry, self.pseudonym))
        self.rejects: Counter[str] = Counter()
        self._redactor = Redactor(self.pseudonym, self.pseudonym.digest) if self.pseudonym else None
        # the hot path of replay and Faust: the decoder itself when ids stay clear
        self.decode_one: Callable[[str, Payload], Event] = (
            self.decoder.decode if self.pseudonym is None else self._decode_pseudonymised)
        # replay's common case, a native device's parsed object, decoded in its loop (ids clear)
        self.native_topics: dict[str, str] = self.decoder.native_topics if self.pseudonym is None else {}
        # the live path's common case: an event, or None when `decode` must say what it is
        self.decode_common: Callable[[str, Payload], Event | None] = (
            self.decoder.decode_common if self.pseudonym is None else self._decode_common_pseudonymised)

    def decode(self, topic: str, payload: Payload) -> Outcome:
        """Decode one message. An unknown device yields a rejection *and* an internal
        `zhian.unknown_device` event, so that the rules can raise `unknown_device`."""
        try:
            return Outcome(self._pseudonymise(self.decoder.decode_all(topic, payload)), None)
        except RejectError as exc:
            return self.rejected(exc, topic)

    def _decode_pseudonymised(self, topic: str, payload: Payload) -> Event:
        event = self.decoder.decode(topic, payload)
        subject = event.subject
        if subject is not None:
            assert self.pseudonym is not None
            event.subject = Subject(self.pseudonym(subject.id), subject.kind, subject.credential)
        return event

    def _decode_common_pseudonymised(self, topic: str, payload: Payload) -> Event | None:
        event = self.decoder.decode_common(topic, payload)
        if event is not None:
            self._pseudonymise([event])
        return event

    def _pseudonymise(self, events: list[Event]) -> list[Event]:
        pseudo = self.pseudonym
        if pseudo is not None:
            for event in events:
                subject = event.subject
                if subject is not None:
                    event.subject = Subject(pseudo(subject.id), subject.kind, subject.credential)
        return events

    def redact(self, payload: bytes) -> bytes:
        """A rejected payload as it may be stored: subject ids pseudonymised (identity
        without a salt); an unparsable payload becomes a note saying why it was not kept."""
        return payload if self._redactor is None else self._redactor.payload(bytes(payload))

    def redact_detail(self, detail: str, payload: bytes) -> str:
        """A reject's detail with the subject ids of its payload pseudonymised."""
        return detail if self._redactor is None else self._redactor.detail(detail, bytes(payload))

    def rejected(self, exc: RejectError, topic: str) -> Outcome:
        """What a decoding failure amounts to, without decoding again: a vendor list's
        events, an unknown device's internal event and rejection, or a counted rejection."""
        if isinstance(exc, MultipleEvents):
            return Outcome(self._pseudonymise(exc.events), None)
        self.rejects[exc.reason] += 1
        if isinstance(exc, UnknownDevice):
            ts = exc.ts_ms if exc.ts_ms is not None else self.engine.max_ts_ms
            if ts <= 0:
                return Outcome([], exc)
            internal = Event(exc.message_id, ts, exc.device, UNKNOWN_DEVICE, None, {"topic": topic})
            return Outcome([internal], exc)
        return Outcome([], exc)

    def push(self, event: Event) -> list[Emitted]:
        """Feed one new (deduplicated) event to the engine."""
        return self.engine.push(event)

    def messages(self, emitted: list[Emitted]) -> list[tuple[Emitted, Message]]:
        """The messages each output publishes."""
        out = []
        for item in emitted:
            for message in self.render(item):
                out.append((item, message))
        return out
