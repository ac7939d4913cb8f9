"""Silences (a door under repair): matching alert transitions are marked with the silence's
owner instead of paging the desk; they are still emitted so sinks record them.

They live in `silences.yaml` of the community rules directory and apply on event time, so
a replay silences exactly what the live processor did.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from ingest.event import parse_ts_ms

SILENCES_FILE = "silences.yaml"


class Silence(BaseModel):
    """One silence: what it matches, who owns it, until when."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    rule: str | None = None
    device: str | None = None
    subject: str | None = None
    owner: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    reason: str = ""
    from_: str | None = Field(None, alias="from", title="RFC 3339; default: always")
    until: str = Field(title="RFC 3339 expiry")

    @field_validator("from_", "until")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None:
            parse_ts_ms(value)
        return value

    @model_validator(mode="after")
    def _matches_something(self) -> Silence:
        if self.rule is None and self.device is None and self.subject is None:
            raise ValueError("a silence names at least one of rule, device, subject")
        return self

    @property
    def window_ms(self) -> tuple[int, int]:
        """[from, until) in epoch ms."""
        start = parse_ts_ms(self.from_) if self.from_ is not None else 0
        return start, parse_ts_ms(self.until)


class SilencesFile(BaseModel):
    """The silences.yaml document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    silences: list[Silence] = Field(default_factory=list)


class Silencer:
    """The silences of one rule, compiled to (device, subject, from, until, owner) tuples."""

    def __init__(self, rule: str, silences: list[Silence]) -> None:
        self.entries = [
            (s.device, s.subject, *s.window_ms, s.owner)
            for s in silences if s.rule is None or s.rule == rule
        ]

    def owner(self, device: str | None, subject: str | None, facts: dict[str, Any], ts_ms: int) -> str | None:
        """The owner of the silence covering this transition, or None."""
        at = facts.get("at_device")
        for dev, sub, start, until, owner in self.entries:
            if not start <= ts_ms < until:
                continue
            if dev is not None and dev != device and dev != at:
                continue
            if sub is not None and sub != subject:
                continue
            return owner
        return None
