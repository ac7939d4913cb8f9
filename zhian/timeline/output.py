"""A timeline as a readable table, JSON lines or CSV; the same rows in each form."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from alerts.render import rfc3339
from zhian.timeline.model import AlertRow, EventRow, Timeline

CSV_COLUMNS = ("kind", "ts", "ts_ms", "device", "id", "type", "state", "severity", "subject",
               "building", "unit", "floor", "zone", "detail")


def merged(t: Timeline) -> list[EventRow | AlertRow]:
    """Events and alert transitions in one list by time (events first at the same instant)."""
    rows: list[EventRow | AlertRow] = [*t.events, *t.alerts]
    return sorted(rows, key=lambda r: (r.ts_ms, 0 if isinstance(r, EventRow) else 1, str(r.sort_key())))


def as_dict(row: EventRow | AlertRow, tz: ZoneInfo) -> dict[str, Any]:
    """One row as a JSON object: `kind` event (schema v1 plus location) or alert (alert schema)."""
    if isinstance(row, EventRow):
        out: dict[str, Any] = {"kind": "event", **row.event(), "ts": rfc3339(row.ts_ms, tz), "ts_ms": row.ts_ms}
        out["location"] = {"building": row.building, "unit": row.unit, "floor": row.floor, "zone": row.zone}
        return out
    return {"kind": "alert", **row.payload, "ts_ms": row.ts_ms, "n": row.n, "silenced": row.silenced}


def json_lines(t: Timeline, tz: ZoneInfo) -> Iterator[str]:
    """One JSON object per row."""
    for row in merged(t):
        yield orjson.dumps(as_dict(row, tz)).decode()


def csv_record(row: EventRow | AlertRow, tz: ZoneInfo, lang: str = "zh") -> dict[str, Any]:
    """One row flattened onto CSV_COLUMNS."""
    if isinstance(row, EventRow):
        return {"kind": "event", "ts": rfc3339(row.ts_ms, tz), "ts_ms": row.ts_ms, "device": row.device,
                "id": row.id, "type": row.type, "state": "", "severity": "", "subject": row.subject or "",
                "building": row.building or "", "unit": row.unit or "",
                "floor": "" if row.floor is None else row.floor, "zone": row.zone or "",
                "detail": orjson.dumps(row.data).decode() if row.data else ""}
    p = row.payload
    loc = p.get("location") or {}
    return {"kind": "alert", "ts": p["ts"], "ts_ms": row.ts_ms, "device": p.get("device") or "",
            "id": p["alert"], "type": p["rule"], "state": p["state"], "severity": p["severity"],
            "subject": p.get("subject") or "", "building": loc.get("building") or "", "unit": loc.get("unit") or "",
            "floor": "" if loc.get("floor") is None else loc["floor"], "zone": loc.get("zone") or "",
            "detail": p.get("summary_en" if lang == "en" else "summary_zh") or ""}


def csv_text(t: Timeline, tz: ZoneInfo, lang: str = "zh") -> str:
    """The timeline as CSV with a header row."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in merged(t):
        writer.writerow(csv_record(row, tz, lang))
    return buf.getvalue()


def _width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def table(t: Timeline, tz: ZoneInfo, lang: str = "zh") -> str:
    """A readable table: time, what, device, subject, place, detail."""
    head = ("time", "what", "device", "subject", "place", "detail")
    lines = []
    for row in merged(t):
        r = csv_record(row, tz, lang)
        what = r["type"] if r["kind"] == "event" else f"ALERT {r['type']} {r['state']} ({r['severity']})"
        place = "-".join(str(x) for x in (r["building"], r["unit"], r["floor"]) if x != "")
        place = f"{place} {r['zone']}".strip()
        stamp = rfc3339(row.ts_ms, tz)[:23].replace("T", " ")
        detail = str(r["detail"])
        detail = detail if len(detail) <= 80 else detail[:77] + "..."
        lines.append((stamp, what, r["device"], r["subject"], place, detail))
    widths = [max([_width(h)] + [_width(x[i]) for x in lines]) for i, h in enumerate(head)]
    out = ["  ".join(_pad(h, w) for h, w in zip(head, widths, strict=True)).rstrip()]
    out += ["  ".join(_pad(c, w) for c, w in zip(x, widths, strict=True)).rstrip() for x in lines]
    out.append(f"{len(t.events)} events, {len(t.alerts)} alert transitions")
    return "\n".join(out) + "\n"
