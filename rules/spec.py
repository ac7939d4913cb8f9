"""The rule file format: one validated pydantic model per concept (see rules/README.md)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from ingest.event import EVENT_TYPES, INTERNAL_TYPES

RuleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Severity = Literal["critical", "major", "minor", "info"]
KeySpec = Literal["device", "subject", "device+port"]
Scalar = str | int | float | bool | None

_DURATION_RE = re.compile(r"^(?:(\d+(?:\.\d+)?)(ms|s|m|h|d))+$")
_PART_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_CLOCK_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

# Fields a condition may test; `device.*` attributes resolve against devices.yaml.
DEVICE_ATTRS = frozenset({
    "type", "zone", "building", "unit", "floor", "household", "occupants", "elevator",
    "vendor", "registered",
})
SUBJECT_ATTRS = frozenset({"id", "kind", "credential", "watchlist"})
KNOWN_TYPES = EVENT_TYPES | INTERNAL_TYPES
OPS = frozenset({"eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists"})


def parse_duration_ms(text: str) -> int:
    """'120s', '10m', '1h30m', '7d', '500ms' as milliseconds; ValueError otherwise."""
    if type(text) is not str or not _DURATION_RE.fullmatch(text.strip()):
        raise ValueError(f"not a duration like 120s, 10m, 36h or 7d: {text!r}")
    return round(sum(float(n) * _UNIT_MS[u] for n, u in _PART_RE.findall(text)))


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AttrDuration(_Spec):
    """A duration taken from the registry: a device attribute or the watchlist entry."""

    device: Literal["heartbeat_s"] | None = None
    watch: Literal["max_quiet_h"] | None = None
    times: Annotated[float, Field(gt=0, le=1000)] = 1

    @model_validator(mode="after")
    def _one_source(self) -> AttrDuration:
        if (self.device is None) == (self.watch is None):
            raise ValueError("give exactly one of device: heartbeat_s or watch: max_quiet_h")
        return self


def _check_duration(value: Any) -> Any:
    if isinstance(value, str):
        parse_duration_ms(value)
    return value


DurationValue = Annotated[str, AfterValidator(_check_duration)] | AttrDuration


class Schedule(_Spec):
    """A daily window in community time; wraps midnight when `to` is before `from`."""

    from_: str = Field(alias="from")
    to: str

    @field_validator("from_", "to")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK_RE.fullmatch(value):
            raise ValueError(f"not a time of day like 22:00: {value!r}")
        return value

    def minutes(self) -> tuple[int, int]:
        """(from, to) as minutes after local midnight."""
        a, b = (int(t[:2]) * 60 + int(t[3:]) for t in (self.from_, self.to))
        return a, b


Where = dict[str, Any]


def check_where(where: Any) -> Where:
    """Validate a condition mapping: field paths and operators (values are checked at compile)."""
    if not isinstance(where, dict):
        raise ValueError("a condition must be a mapping of field: value")
    for path, value in where.items():
        check_path(path)
        if path == "type":
            names = value if isinstance(value, list) else [value]
            unknown = [n for n in names if n not in KNOWN_TYPES]
            if unknown:
                raise ValueError(f"unknown event type {unknown[0]!r}")
        if isinstance(value, dict):
            unknown = sorted(set(value) - OPS)
            if unknown:
                raise ValueError(f"{path}: unknown operator {unknown[0]!r} (use {', '.join(sorted(OPS))})")
    return where


def check_path(path: str) -> None:
    """A condition field: type, device, device.<attr>, subject.<attr> or data.<name>."""
    if path in ("type", "device"):
        return
    head, _, tail = path.partition(".")
    if head == "device" and tail in DEVICE_ATTRS:
        return
    if head == "subject" and tail in SUBJECT_ATTRS:
        return
    if head == "data" and re.fullmatch(r"[a-z_][a-z0-9_]{0,39}", tail):
        return
    raise ValueError(
        f"unknown field {path!r} (type, device, device.<{'|'.join(sorted(DEVICE_ATTRS))}>, "
        f"subject.<{'|'.join(sorted(SUBJECT_ATTRS))}>, data.<name>)"
    )


WhereField = Annotated[Where, BeforeValidator(check_where)]


class EventSpec(_Spec):
    """Raise on every event that matches."""

    where: WhereField
    during: Schedule | None = None


class CountSpec(_Spec):
    """Raise when at least `at_least` matching events fall within `within` (sliding)."""

    where: WhereField
    at_least: Annotated[int, Field(ge=1, le=10_000)]
    within: DurationValue
    during: Schedule | None = Field(None, title="the last event must fall in this window")


class AttrNumber(_Spec):
    """A number taken from the device's registry entry."""

    device: Literal["occupants", "floor"]


class DistinctSpec(_Spec):
    """Raise when the distinct values of `of` among matching events within `within` exceed `above`."""

    where: WhereField
    of: Literal["subject.id", "device", "data.track"] = "subject.id"
    within: DurationValue
    above: int | AttrNumber


class SequenceSpec(_Spec):
    """Raise on `then` when a `first` happened within `within` before (same key)."""

    first: WhereField
    then: WhereField
    within: DurationValue
    differ: list[Literal["device", "subject.id"]] = Field(default_factory=list)


class AbsenceSpec(_Spec):
    """`after` not followed by `missing` within T (raised at after + T), or `before`: an
    event with no `missing` in the T before it."""

    after: WhereField | None = None
    before: WhereField | None = None
    missing: WhereField
    within: DurationValue

    @model_validator(mode="after")
    def _one_anchor(self) -> AbsenceSpec:
        if (self.after is None) == (self.before is None):
            raise ValueError("give exactly one of after (look ahead) or before (look back)")
        return self


class DwellSpec(_Spec):
    """Raise when matching events keep coming with no gap over `max_gap` for `lasting`."""

    where: WhereField
    max_gap: DurationValue
    lasting: DurationValue


class Presence(_Spec):
    """Something seen recently (no gap over `max_gap`) at the joined location."""

    where: WhereField
    max_gap: DurationValue


class JoinSpec(_Spec):
    """Holds while `presence` holds at a device sharing the `same` location attributes."""

    same: list[Literal["building", "unit", "floor"]] = Field(min_length=1)
    presence: Presence


class SustainedSpec(_Spec):
    """Raise when matching events report `condition` continuously for `lasting`."""

    where: WhereField
    condition: WhereField
    lasting: DurationValue
    while_: JoinSpec | None = Field(None, alias="while")


class QuietSpec(_Spec):
    """Raise when no matching event arrives for `for` (raised at the last one + `for`)."""

    where: WhereField
    for_: DurationValue = Field(alias="for")
    from_start: bool = Field(True, title="keys never seen count from the first event processed")


CONSTRUCTS = ("event", "count", "distinct", "sequence", "absence", "dwell", "sustained", "quiet")


class Trigger(_Spec):
    """Exactly one construct, or `any` of several."""

    event: EventSpec | None = None
    count: CountSpec | None = None
    distinct: DistinctSpec | None = None
    sequence: SequenceSpec | None = None
    absence: AbsenceSpec | None = None
    dwell: DwellSpec | None = None
    sustained: SustainedSpec | None = None
    quiet: QuietSpec | None = None
    any: list[Trigger] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> Trigger:
        given = [n for n in (*CONSTRUCTS, "any") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(CONSTRUCTS)} or any (got {given or 'none'})")
        return self

    def leaves(self) -> list[tuple[str, Any]]:
        """The constructs as (kind, spec), `any` flattened."""
        if self.any is not None:
            return [leaf for t in self.any for leaf in t.leaves()]
        return [(n, getattr(self, n)) for n in CONSTRUCTS if getattr(self, n) is not None]


class Clear(_Spec):
    """How an alert ends: an event (`on`), a quiet period of the raising events, or an ack."""

    on: WhereField | None = None
    quiet: DurationValue | None = None
    ack: bool = False

    @model_validator(mode="after")
    def _something(self) -> Clear:
        if self.on is None and self.quiet is None and not self.ack:
            raise ValueError("give on, quiet or ack: true")
        return self


class Command(_Spec):
    """A device command published on raise (once per incident)."""

    to: Literal["device", "device.elevator"] = "device"
    action: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class Summary(_Spec):
    """Alert text templates; {place}, {place_en}, {device}, {subject}, {port}, {count} and the
    triggering event's data fields are filled in."""

    zh: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    en: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class RuleSpec(_Spec):
    """One rule file."""

    rule: RuleName
    description: str = ""
    enabled: bool = True
    severity: Severity
    key: KeySpec = "device"
    params: dict[str, Scalar | dict[str, Any]] = Field(default_factory=dict)
    raise_: Trigger = Field(alias="raise")
    clear: Clear
    escalate_after: DurationValue | None = Field(
        None, title="unacknowledged for this long escalates; default 5m for critical"
    )
    commands: list[Command] = Field(default_factory=list)
    summary: Summary



class OverrideSpec(_Spec):
    """A community file that tunes a shipped rule without copying it."""

    override: RuleName
    enabled: bool | None = None
    severity: Severity | None = None
    params: dict[str, Scalar | dict[str, Any]] = Field(default_factory=dict)
