"""Read routes: recent events, devices with live status, police timelines and case exports,
evidence files, and the audit log."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from alerts.render import rfc3339
from ingest.decode import EVENTS_TOPIC_RE
from zhian.console.context import ConsoleContext, User, context, now_ms, require
from zhian.devices import online
from zhian.store import Store
from zhian.timeline.export import sha256_file, write_package
from zhian.timeline.model import EVIDENCE_LOOKBACK_MS, EventRow, TimelineQuery, run_query
from zhian.timeline.output import as_dict
from zhian.timeline.sqlite import SqliteTimeline

router = APIRouter(prefix="/api")

Ctx = Annotated[ConsoleContext, Depends(context)]
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
DAY_MS = 86_400_000


def _events(ctx: ConsoleContext, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    """Events selected as (ts_ms, body), in the timeline's JSON form (with their device's location)."""
    timeline = SqliteTimeline(ctx.store_path, ctx.registry)
    try:
        # the timeline's own row mapping, so the console and `zhian timeline` show events alike
        rows = [timeline._row(ts, body) for ts, body in timeline.db.execute(sql, args)]
    finally:
        timeline.close()
    tz = ctx.registry.community.tz
    return [as_dict(r, tz) for r in rows]


@router.get("/events", tags=["events"], summary="Recent events, newest first")
def recent_events(ctx: Ctx, _user: Annotated[User, Depends(require("events.read"))],
                  device: str | None = None, type: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """The newest stored events (by log order; by event time for one device)."""
    sql, args = "SELECT ts_ms, body FROM events", list[Any]()
    where = []
    if device is not None:
        where.append("device = ?")
        args.append(device)
    if type is not None:
        where.append("type = ?")
        args.append(type)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += (" ORDER BY ts_ms DESC" if device is not None else " ORDER BY seq DESC") + " LIMIT ?"
    return {"events": _events(ctx, sql, [*args, limit])}


def _local(ms: int | None, tz: ZoneInfo) -> str | None:
    """RFC 3339 in the community's time zone (what alerts show), or None."""
    return None if ms is None else rfc3339(ms, tz)


def reject_device(device: str | None, topic: str, community: str) -> str | None:
    """Which device a rejected message is charged to: the one it named, else its topic's (a
    payload that is not JSON names none, but its topic does)."""
    if device:
        return device
    match = EVENTS_TOPIC_RE.fullmatch(topic)
    return match.group(2) if match and match.group(1) == community else None


@router.get("/devices", tags=["devices"], summary="Registered devices with live status and rejects")
def devices(ctx: Ctx, _user: Annotated[User, Depends(require("devices.read"))]) -> dict[str, Any]:
    """Online/offline (last event newer than 3 × heartbeat), last seen, rejects by reason."""
    now = now_ms()
    stored, unknown = online.from_store(ctx.store_path.resolve(), ctx.registry, now - DAY_MS)
    with ctx.read() as db:
        rejects: dict[str, dict[str, int]] = {}
        last_reject: dict[str, int] = {}
        for device, topic, reason, count, last_ms in db.execute(
                "SELECT device, topic, reason, count(*), max(received_ms) FROM dead_letters"
                " GROUP BY device, topic, reason"):
            who = reject_device(device, topic, ctx.registry.community.id)
            if who is None:
                continue
            per = rejects.setdefault(who, {})
            per[reason] = per.get(reason, 0) + int(count)
            last_reject[who] = max(last_reject.get(who, 0), int(last_ms))
        totals = {name.removeprefix("rejected."): int(v) for name, v in db.execute(
            "SELECT name, value FROM counters WHERE name LIKE 'rejected.%'")}
    out = []
    tz = ctx.registry.community.tz
    for status in online.statuses(ctx.registry, {}, stored, now):
        d = ctx.registry.by_id[status.device]
        out.append({"id": d.id, "name": d.name, "type": d.type, "zone": d.zone, "building": d.building,
                    "unit": d.unit, "floor": d.floor, "vendor": d.vendor,
                    "heartbeat_s": ctx.registry.heartbeat_s(d), "state": status.state, "last_seen_ms": status.last_ms,
                    "last_seen": _local(status.last_ms, tz), "rejects": rejects.get(d.id, {}),
                    "last_reject_ms": last_reject.get(d.id)})
    return {"now_ms": now, "devices": out, "rejects_by_reason": totals,
            "unregistered": [{"id": d, "last_seen_ms": ms, "last_seen": _local(ms, tz), "rejects": rejects.get(d, {})}
                             for d, ms in online.unregistered(ctx.registry, {}, unknown).items()]}


@router.get("/devices/{device}/events", tags=["devices", "events"], summary="A device's latest events")
def device_events(ctx: Ctx, _user: Annotated[User, Depends(require("events.read"))], device: str,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """The device's stored events, newest first, and its recent rejects."""
    if ctx.registry.get(device) is None:
        raise HTTPException(404, f"no device {device!r} in devices.yaml")
    events = _events(ctx, "SELECT ts_ms, body FROM events WHERE device = ? ORDER BY ts_ms DESC LIMIT ?",
                     [device, limit])
    with ctx.read() as db:
        rejects = [{"received_ms": r, "reason": why, "field": f, "detail": detail} for r, why, f, detail in db.execute(
            "SELECT received_ms, reason, field, detail FROM dead_letters WHERE device = ? ORDER BY seq DESC LIMIT 20",
            (device,))]
    return {"device": device, "events": events, "rejects": rejects}


# ---- timelines (police) ------------------------------------------------------------------------


def _query(ctx: ConsoleContext, start: int, end: int, building: str | None, unit: str | None,
           floor: int | None, zone: str | None, device: str | None, subject: str | None, rule: str | None,
           only: str | None) -> TimelineQuery:
    if start >= end:
        raise HTTPException(422, "the range is empty: from_ms must be before to_ms")
    if only not in (None, "events", "alerts"):
        raise HTTPException(422, f"only {only!r}: events or alerts")
    return TimelineQuery(start, end, community=None, building=building, unit=unit, floor=floor, zone=zone,
                         device=device, subject=subject, rule=rule, events=only != "alerts", alerts=only != "events")


class TimelineParams:
    """The query parameters shared by the timeline and its export."""

    def __init__(self, from_ms: Annotated[int, Query(description="start, inclusive (epoch ms)")],
                 to_ms: Annotated[int, Query(description="end, exclusive (epoch ms)")],
                 building: str | None = None, unit: str | None = None, floor: int | None = None,
                 zone: str | None = None, device: str | None = None, subject: str | None = None,
                 rule: str | None = None,
                 only: Annotated[str | None, Query(description="events or alerts")] = None) -> None:
        self.args = (from_ms, to_ms, building, unit, floor, zone, device, subject, rule, only)


@router.get("/timeline", tags=["timeline"], summary="Events and alert transitions by place, device, person (audited)")
def timeline(ctx: Ctx, user: Annotated[User, Depends(require("timeline.query"))],
             params: Annotated[TimelineParams, Depends()]) -> dict[str, Any]:
    """The police timeline of `zhian timeline`, from the store; every query is audited."""
    q = _query(ctx, *params.args)
    backend = SqliteTimeline(ctx.store_path, ctx.registry)
    try:
        t = run_query(backend, q)
    finally:
        backend.close()
    tz = ctx.registry.community.tz
    ctx.audit(user.name, "query", {"backend": "sqlite", "source": str(ctx.store_path), "query": q.describe(),
                                   "format": "json", "rows": {"events": len(t.events), "alerts": len(t.alerts)}})
    return {"query": q.describe(), "events": [as_dict(e, tz) for e in t.events],
            "alerts": [as_dict(a, tz) for a in t.alerts]}


@router.get("/timeline/export", tags=["timeline"], summary="Case package as a zip (audited)",
            response_class=FileResponse)
def export(ctx: Ctx, user: Annotated[User, Depends(require("timeline.export"))],
           params: Annotated[TimelineParams, Depends()]) -> FileResponse:
    """The case package of `zhian timeline --export` (events, alerts, evidence files, SHA-256
    manifest), kept under `<store dir>/exports/` and sent as a zip; audited with the manifest's hash."""
    q = _query(ctx, *params.args)
    backend = SqliteTimeline(ctx.store_path, ctx.registry)
    tz = ctx.registry.community.tz
    stamp = f"{now_ms()}-{user.name}"
    directory = ctx.store_path.parent / "exports" / stamp
    try:
        t = run_query(backend, q)
        ids = {e for a in t.alerts for e in a.payload.get("evidence") or []}
        missing = ids - {e.id for e in t.events}
        cited: list[EventRow] = (backend.events_by_id(missing, q.start_ms - EVIDENCE_LOOKBACK_MS, q.end_ms)
                                 if missing else [])
        assert ctx.evidence_dir is not None
        manifest = write_package(directory, t, cited, tz, user=user.name, backend="sqlite",
                                 source=str(ctx.store_path), evidence_root=ctx.evidence_dir)
    finally:
        backend.close()
    ctx.audit(user.name, "export", {"backend": "sqlite", "source": str(ctx.store_path), "query": q.describe(),
                                    "format": "zip", "rows": {"events": len(t.events), "alerts": len(t.alerts)},
                                    "export": {"dir": str(directory.resolve()), "counts": manifest["counts"],
                                               "manifest_sha256": sha256_file(directory / "manifest.json")}})
    tmp = Path(tempfile.mkdtemp(prefix="zhian-export-"))
    archive = shutil.make_archive(str(tmp / f"zhian-case-{stamp}"), "zip", directory)
    return FileResponse(archive, media_type="application/zip", filename=Path(archive).name,
                        background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True))


# ---- evidence and audit ---------------------------------------------------------------------------


@router.get("/evidence/{camera}/{name}", tags=["evidence"], summary="An evidence file (trajectory image, clip)",
            response_class=FileResponse)
def evidence(ctx: Ctx, _user: Annotated[User, Depends(require("evidence.read"))], camera: str,
             name: str) -> FileResponse:
    """A file under `<store dir>/evidence/<camera>/`, as named in a `throwing.detected` event."""
    if not _NAME.fullmatch(camera) or not _NAME.fullmatch(name):
        raise HTTPException(404, "no such evidence file")
    assert ctx.evidence_dir is not None
    root = ctx.evidence_dir.resolve()
    path = (root / camera / name).resolve()
    if root not in path.parents or not path.is_file():
        raise HTTPException(404, f"no evidence file {camera}/{name}")
    return FileResponse(path)


@router.get("/audit", tags=["audit"], summary="The audit log (newest first) and whether its chain is intact")
def audit(ctx: Ctx, _user: Annotated[User, Depends(require("audit.read"))],
          limit: Annotated[int, Query(ge=1, le=5000)] = 200) -> dict[str, Any]:
    """Every query, export and desk action, with the hash chain checked."""
    store = Store(ctx.store_path)
    try:
        entries = store.audit_log()
        intact = store.audit_chain_ok()
    finally:
        store.close()
    return {"chain_ok": intact, "entries": list(reversed(entries))[:limit]}
