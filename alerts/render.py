"""Stage ④: engine outputs as the messages zhian publishes — alert transitions in the alert
schema of PRODUCT.md on `zhian/{community}/alerts`, commands on the device's command topic."""

from __future__ import annotations

import string
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from alerts.text import kind_words, place_en, place_zh
from ingest.registry import Registry
from rules.engine import Emitted
from rules.outputs import AlertTransition, DeviceCommand

Message = tuple[str, dict[str, Any]]


def rfc3339(ts_ms: int, tz: ZoneInfo) -> str:
    """Event time as RFC 3339 in community time with its offset, to the millisecond."""
    moment = datetime.fromtimestamp(ts_ms // 1000, tz).replace(microsecond=(ts_ms % 1000) * 1000)
    return moment.isoformat(timespec="milliseconds")


class _Lenient(string.Formatter):
    """Fills a summary template; a field the alert lacks reads as "?" rather than failing."""

    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        """A named field, or "?" when the alert lacks it."""
        value = kwargs.get(key) if isinstance(key, str) else None
        return "?" if value is None else value

    def format_field(self, value: Any, format_spec: str) -> str:
        """Numbers as a person writes them: 67 rather than 67.0."""
        if isinstance(value, float):
            value = int(value) if value.is_integer() else round(value, 1)
        return super().format_field(value, format_spec)


_FORMATTER = _Lenient()


def _where(t: AlertTransition) -> str | None:
    """The device the alert is about, or for a person's alert the one where it happened."""
    at = t.facts.get("at_device")
    return t.device or (at if isinstance(at, str) else None)


def summary_values(t: AlertTransition, registry: Registry) -> dict[str, Any]:
    """Everything a summary template may name."""
    where = _where(t)
    device = registry.get(where) if where else None
    values: dict[str, Any] = dict(t.facts)
    kind_zh, kind_en = kind_words(t.facts.get("kind"), t.facts.get("type"))
    first = t.facts.get("first_device")
    first_dev = registry.get(first) if isinstance(first, str) else None
    quiet = next((w.max_quiet_h for w in registry.watchlist if w.subject == t.subject), None)
    values.update(
        place=place_zh(device, where), place_en=place_en(device, where),
        device=t.device, subject=t.subject, port=t.port, count=t.count,
        household=device.household if device else None,
        first_place=place_zh(first_dev, first) if first else None,
        first_place_en=place_en(first_dev, first) if first else None,
        kind_zh=kind_zh, kind_en=kind_en, quiet_h=quiet,
    )
    return values


def alert_payload(t: AlertTransition, registry: Registry) -> dict[str, Any]:
    """One alert transition in the alert schema of PRODUCT.md, fields in its order."""
    where = _where(t)
    device = registry.get(where) if where else None
    values = summary_values(t, registry)
    zh, en = t.summary
    payload: dict[str, Any] = {
        "alert": t.alert,
        "rule": t.rule,
        "state": t.state,
        "severity": t.severity,
        "ts": rfc3339(t.ts_ms, registry.community.tz),
        "device": t.device,
        "subject": t.subject,
        "port": t.port,
        "location": {
            "community": registry.community.id,
            "building": device.building if device else None,
            "unit": device.unit if device else None,
            "floor": device.floor if device else None,
            "zone": device.zone if device else None,
        },
        "summary_zh": _FORMATTER.format(zh, **values) + (f"（已屏蔽：{t.silenced}）" if t.silenced else ""),
        "summary_en": _FORMATTER.format(en, **values) + (f" (silenced by {t.silenced})" if t.silenced else ""),
        "evidence": list(t.evidence),
        "count": t.count,
    }
    if t.silenced is not None:
        # beyond the schema's keys, only when a silence covers it: who silenced it, so that
        # consoles and pagers can record it without paging, and stores keep the flag
        payload["silenced"] = t.silenced
    return payload


def command_payload(c: DeviceCommand, registry: Registry) -> dict[str, Any]:
    """A device command in the command topic's payload form."""
    return {"v": 1, "id": c.id, "ts": rfc3339(c.ts_ms, registry.community.tz),
            "action": c.action, "reason": c.reason, "alert": c.alert}


def render_output(emitted: Emitted, registry: Registry) -> list[Message]:
    """The (topic, payload) messages one engine output publishes; empty for anything else."""
    output = emitted.output
    community = registry.community.id
    if isinstance(output, AlertTransition):
        # every transition, silenced ones too (marked in the payload: recorded, not paged)
        return [(f"zhian/{community}/alerts", alert_payload(output, registry))]
    if isinstance(output, DeviceCommand):
        return [(f"zhian/{community}/{output.device}/command", command_payload(output, registry))]
    return []
