"""Conditions compiled against the registry: device attributes become a set of device ids at
compile time, so the per-event work is a type lookup, a set lookup and the data tests."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from ingest.event import EVENT_TYPES, Event
from ingest.registry import Device, Registry

Test = Callable[[Any], bool]

class Matcher:
    """A compiled condition: event types, allowed devices (None = any) and field tests.

    `test` is the whole condition as one plain function (hot paths call it rather than the
    Matcher, whose `__call__` costs a slot lookup more per event)."""

    __slots__ = ("types", "devices", "subjects", "tests", "test")

    def __init__(self, types: frozenset[str], devices: frozenset[str] | None,
                 tests: tuple[Callable[[Event], bool], ...],
                 subjects: frozenset[str] | None = None) -> None:
        self.types = types
        self.devices = devices
        self.subjects = subjects  # when set, only events of these subjects can match
        self.tests = tests
        self.test: Callable[[Event], bool] = _whole(types, devices, tests)

    def __call__(self, event: Event) -> bool:
        """True when the event satisfies every condition."""
        return self.test(event)

    def may_match(self, event_type: str, device: str) -> bool:
        """False when no event of this type from this device can match."""
        return event_type in self.types and (self.devices is None or device in self.devices)

    def always(self, event_type: str, device: str) -> bool:
        """True when every event of this type from this device matches (no field tests)."""
        return not self.tests and self.may_match(event_type, device)

    def data_only(self, event: Event) -> bool:
        """The field tests alone (type and device already known to match)."""
        return all(test(event) for test in self.tests)


def _whole(types: frozenset[str], devices: frozenset[str] | None,
           tests: tuple[Callable[[Event], bool], ...]) -> Callable[[Event], bool]:
    """Type, then device, then the field tests, in one function shaped for what is given."""
    if len(tests) == 1:
        only = tests[0]
        if devices is None:
            return lambda e: e.type in types and only(e)
        return lambda e: e.type in types and e.device in devices and only(e)
    if tests:
        if devices is None:
            return lambda e: e.type in types and all(t(e) for t in tests)
        return lambda e: e.type in types and e.device in devices and all(t(e) for t in tests)
    if devices is None:
        return lambda e: e.type in types
    return lambda e: e.type in types and e.device in devices


def value_test(value: Any) -> Test:
    """A test of one value: a literal, a list (one of), or an operator mapping."""
    if isinstance(value, list):
        return _one_of(value)
    if not isinstance(value, dict):
        return _equals(value)
    tests = [_OPS[op](arg) for op, arg in value.items()]
    if len(tests) == 1:
        return tests[0]
    return lambda v: all(t(v) for t in tests)


def _equals(arg: Any) -> Test:
    return lambda v: v == arg


def _differs(arg: Any) -> Test:
    return lambda v: v != arg


def _one_of(arg: Any) -> Test:
    allowed = frozenset(arg)
    return lambda v: v in allowed


def _none_of(arg: Any) -> Test:
    banned = frozenset(arg)
    return lambda v: v not in banned


def _exists(arg: Any) -> Test:
    wanted = bool(arg)
    return lambda v: (v is not None) == wanted


def _ordered(fn: Callable[[Any, Any], bool]) -> Callable[[Any], Test]:
    def make(arg: Any) -> Test:
        return lambda v: _number(v) and fn(v, arg)
    return make


_OPS: dict[str, Callable[[Any], Test]] = {
    "eq": _equals, "ne": _differs, "in": _one_of, "not_in": _none_of, "exists": _exists,
    "gt": _ordered(operator.gt), "gte": _ordered(operator.ge),
    "lt": _ordered(operator.lt), "lte": _ordered(operator.le),
}


def _number(v: Any) -> bool:
    return (type(v) is int or type(v) is float) and v is not True


def device_attr(registry: Registry, device: Device, attr: str) -> Any:
    """A device attribute as conditions see it (`registered` is always true here)."""
    if attr == "registered":
        return True
    if attr == "heartbeat_s":
        return registry.heartbeat_s(device)
    return getattr(device, attr)


def compile_where(where: dict[str, Any], registry: Registry,
                  extra_types: frozenset[str] = frozenset()) -> Matcher:
    """Compile a validated condition mapping; without `type` it matches every schema v1 type."""
    types: frozenset[str] = EVENT_TYPES | extra_types
    devices: frozenset[str] | None = None
    tests: list[Callable[[Event], bool]] = []
    subjects: frozenset[str] | None = None
    watched = frozenset(w.subject for w in registry.watchlist)
    for path, value in where.items():
        if path == "type":
            types = frozenset(value) if isinstance(value, list) else frozenset([value])
            continue
        test = value_test(value)
        if path == "device":
            chosen = frozenset(d.id for d in registry.devices if test(d.id))
            devices = chosen if devices is None else devices & chosen
        elif path.startswith("device."):
            attr = path[7:]
            chosen = frozenset(
                d.id for d in registry.devices if test(device_attr(registry, d, attr))
            )
            devices = chosen if devices is None else devices & chosen
        elif path == "subject.watchlist":
            tests.append(_watch_test(value, watched))
            if value is True:
                subjects = watched
        elif path.startswith("subject."):
            tests.append(_subject_test(value, path[8:]))
        else:
            tests.append(_data_test(value, path[5:]))
    return Matcher(types, devices, tuple(tests), subjects)


EventTest = Callable[[Event], bool]


def _watch_test(value: Any, watched: frozenset[str]) -> EventTest:
    if value is True:  # the usual form, in one function
        return lambda e: e.subject is not None and e.subject.id in watched
    test = value_test(value)
    return lambda e: test(e.subject is not None and e.subject.id in watched)


def _subject_test(value: Any, attr: str) -> EventTest:
    if not isinstance(value, list | dict):  # a literal, in one function
        return lambda e: (getattr(e.subject, attr) if e.subject is not None else None) == value
    test = value_test(value)
    return lambda e: test(getattr(e.subject, attr) if e.subject is not None else None)


def _data_test(value: Any, name: str) -> EventTest:
    """`data.<name>` against a condition value; the common shapes in one function each."""
    if isinstance(value, list):
        allowed = frozenset(value)
        return lambda e: e.data.get(name) in allowed
    if not isinstance(value, dict):
        return lambda e: e.data.get(name) == value
    if len(value) == 1:
        ((op, arg),) = value.items()
        compare = _COMPARE.get(op)
        if compare is not None:
            def ordered(e: Event) -> bool:
                v = e.data.get(name)
                return (type(v) is int or type(v) is float) and compare(v, arg)
            return ordered
    test = value_test(value)
    return lambda e: test(e.data.get(name))


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


def union_subjects(matchers: list[Matcher]) -> frozenset[str] | None:
    """Subjects any of the matchers may accept; None when one accepts any subject."""
    out: set[str] = set()
    for m in matchers:
        if m.subjects is None:
            return None
        out |= m.subjects
    return frozenset(out)


def union_devices(matchers: list[Matcher]) -> frozenset[str] | None:
    """Devices any of the matchers may accept; None when one accepts any device."""
    out: set[str] = set()
    for m in matchers:
        if m.devices is None:
            return None
        out |= m.devices
    return frozenset(out)
