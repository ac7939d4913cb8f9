"""Conditions compiled against the registry: device attributes become a set of device ids at
compile time, so the per-event work is a type lookup, a set lookup and the data tests."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from ingest.event import EVENT_TYPES, Event
from ingest.registry import Device, Registry

Test = Callable[[Any], bool]

_ORDER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le,
}


class Matcher:
    """A compiled condition: event types, allowed devices (None = any) and field tests."""

    __slots__ = ("types", "devices", "subjects", "tests")

    def __init__(self, types: frozenset[str], devices: frozenset[str] | None,
                 tests: tuple[Callable[[Event], bool], ...],
                 subjects: frozenset[str] | None = None) -> None:
        self.types = types
        self.devices = devices
        self.subjects = subjects  # when set, only events of these subjects can match
        self.tests = tests

    def __call__(self, event: Event) -> bool:
        """True when the event satisfies every condition."""
        if event.type not in self.types:
            return False
        if self.devices is not None and event.device not in self.devices:
            return False
        for test in self.tests:
            if not test(event):
                return False
        return True

    def data_only(self, event: Event) -> bool:
        """The field tests alone (type and device already known to match)."""
        return all(test(event) for test in self.tests)


def value_test(value: Any) -> Test:
    """A test of one value: a literal, a list (one of), or an operator mapping."""
    if isinstance(value, list):
        allowed = frozenset(value)
        return lambda v: v in allowed
    if not isinstance(value, dict):
        return lambda v: v == value
    tests: list[Test] = []
    for op, arg in value.items():
        if op == "eq":
            tests.append(lambda v, a=arg: v == a)
        elif op == "ne":
            tests.append(lambda v, a=arg: v != a)
        elif op == "in":
            tests.append(lambda v, a=frozenset(arg): v in a)
        elif op == "not_in":
            tests.append(lambda v, a=frozenset(arg): v not in a)
        elif op == "exists":
            tests.append(lambda v, a=bool(arg): (v is not None) == a)
        else:
            fn = _ORDER_OPS[op]
            tests.append(lambda v, a=arg, fn=fn: _number(v) and fn(v, a))
    if len(tests) == 1:
        return tests[0]
    return lambda v: all(t(v) for t in tests)


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
            tests.append(lambda e, t=test: t(e.subject is not None and e.subject.id in watched))
            if value is True:
                subjects = watched
        elif path.startswith("subject."):
            attr = path[8:]
            tests.append(lambda e, t=test, a=attr: t(getattr(e.subject, a) if e.subject else None))
        else:
            name = path[5:]
            tests.append(lambda e, t=test, n=name: t(e.data.get(n)))
    return Matcher(types, devices, tuple(tests), subjects)


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
