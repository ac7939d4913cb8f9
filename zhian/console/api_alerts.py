"""Alert routes: list and filter, one alert with its events, the live stream (SSE), and the
desk's actions (acknowledge, clear, note, assign, false positive)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ingest.event import ALERT_ACK, ALERT_RESOLVE, Event
from zhian.console.book import SEVERITIES, STATES, AlertView
from zhian.console.context import ConsoleContext, User, context, now_ms, require, session_user
from zhian.timeline.model import EVIDENCE_LOOKBACK_MS
from zhian.timeline.output import as_dict
from zhian.timeline.sqlite import SqliteTimeline

router = APIRouter(prefix="/api/alerts", tags=["alerts"])

Ctx = Annotated[ConsoleContext, Depends(context)]
Reader = Annotated[User, Depends(require("alerts.read"))]
Actor = Annotated[User, Depends(require("alerts.act"))]
PING_S = 15.0


class NoteIn(BaseModel):
    """A free-text note on an alert."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)


class AssignIn(BaseModel):
    """Who handles an alert (a guard's name or call sign)."""

    model_config = ConfigDict(extra="forbid")
    assignee: str = Field(min_length=1, max_length=64)


class FalsePositiveIn(BaseModel):
    """Mark (or unmark) an alert as a false alarm, with an optional reason."""

    model_config = ConfigDict(extra="forbid")
    false_positive: bool = True
    reason: str | None = Field(default=None, max_length=2000)


class ActionIn(BaseModel):
    """An optional comment with an acknowledgement or a clear."""

    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(default=None, max_length=2000)


def _view(ctx: ConsoleContext, alert: str) -> AlertView:
    with ctx.feed.lock:
        view = ctx.feed.book.get(alert)
    if view is None:
        raise HTTPException(404, f"no alert {alert!r}")
    return view


def _with_marks(ctx: ConsoleContext, views: list[AlertView]) -> list[dict[str, Any]]:
    with ctx.feed.lock:
        summaries = [v.summary() for v in views]
    marks = ctx.users.marks([v.alert for v in views])
    return [{**s, "marks": marks.get(s["alert"], {})} for s in summaries]


@router.get("", summary="Alerts, most recently changed first")
def list_alerts(ctx: Ctx, _user: Reader,
                state: Annotated[str | None, Query(description="comma-separated states")] = None,
                severity: Annotated[str | None, Query(description="critical, major or minor")] = None,
                rule: str | None = None, device: str | None = None,
                since_ms: Annotated[int | None, Query(description="latest transition at or after (epoch ms)")] = None,
                until_ms: Annotated[int | None, Query(description="latest transition before (epoch ms)")] = None,
                open_only: bool = False,
                limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> dict[str, Any]:
    """Filter by state, severity, rule, device and time of the latest transition."""
    if state is not None and not set(state.split(",")) <= set(STATES):
        raise HTTPException(422, f"state {state!r}: comma-separated values of {', '.join(STATES)}")
    if severity is not None and severity not in SEVERITIES:
        raise HTTPException(422, f"severity {severity!r}: one of {', '.join(SEVERITIES)}")
    with ctx.feed.lock:
        views = ctx.feed.book.select(state=state, severity=severity, rule=rule, device=device, since_ms=since_ms,
                                     until_ms=until_ms, open_only=open_only, limit=limit)
        position = ctx.feed.book.position
    return {"position": position, "alerts": _with_marks(ctx, views)}


@router.get("/stream", summary="Live alert transitions (text/event-stream)")
async def stream(request: Request, ctx: Ctx, _user: Reader) -> StreamingResponse:
    """Server-sent events: `alert` for each transition, `marks` for desk changes; a comment every 15 s."""
    feed = ctx.feed
    queue = feed.subscribe()

    async def events() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 2000\n"
            yield b"event: hello\ndata: " + orjson.dumps({"position": feed.book.position}) + b"\n\n"
            while not feed.closing and feed.subscribed(queue):
                try:
                    message = await asyncio.wait_for(queue.get(), PING_S)
                except TimeoutError:
                    if session_user(request) is None:  # logged out or expired: the stream ends too
                        return
                    yield b": ping\n\n"
                    continue
                yield (f"id: {message.get('n', '')}\nevent: {message['type']}\n".encode()
                       + b"data: " + orjson.dumps(message) + b"\n\n")
        finally:
            feed.unsubscribe(queue)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/{alert}", summary="One alert: latest state, history, notes, marks")
def get_alert(ctx: Ctx, _user: Reader, alert: str) -> dict[str, Any]:
    """The alert with every transition seen, the desk's notes and marks."""
    view = _view(ctx, alert)
    with ctx.feed.lock:
        history = list(view.history)
    return {**_with_marks(ctx, [view])[0], "history": history, "notes": ctx.users.notes(alert)}


@router.get("/{alert}/events", summary="The events behind an alert (its evidence ids)")
def alert_events(ctx: Ctx, _user: Reader, alert: str) -> dict[str, Any]:
    """The stored events the alert cites, with their device's location."""
    view = _view(ctx, alert)
    with ctx.feed.lock:
        ids = {e for e in view.latest.get("evidence") or [] if isinstance(e, str)}
        start_ms, end_ms = view.raised_ms - EVIDENCE_LOOKBACK_MS, view.ts_ms + 1
    rows = []
    if ids:
        timeline = SqliteTimeline(ctx.store_path, ctx.registry)
        try:
            rows = timeline.events_by_id(ids, start_ms, end_ms)
        finally:
            timeline.close()
    tz = ctx.registry.community.tz
    return {"alert": alert, "evidence": sorted(ids), "events": [as_dict(r, tz) for r in rows]}


def desk_event_ts(engine_now_ms: int, alert_ts_ms: int) -> int:
    """Event time of a desk action: the engine's now, but never before the alert's latest
    transition. An alert raised early (on arrival, before its event's turn in event-time
    order) only exists in the in-order state once the watermark reaches it; an action
    ordered before that would find no alert and be ignored."""
    return max(engine_now_ms, alert_ts_ms)


def _desk_event(ctx: ConsoleContext, alert: str, latest: dict[str, Any], alert_ts_ms: int, kind: str,
                user: User) -> Event:
    data: dict[str, Any] = {"alert": alert, "rule": latest["rule"], "by": user.name}
    for key in ("device", "subject", "port"):  # the identity the rule keys the alert on
        if latest.get(key) is not None:
            data[key] = latest[key]
    return Event(f"desk-{kind}-{uuid.uuid4().hex[:24]}", desk_event_ts(ctx.event_time(), alert_ts_ms), "desk",
                 ALERT_ACK if kind == "ack" else ALERT_RESOLVE, None, data)


def _act(ctx: ConsoleContext, user: User, alert: str, kind: str, comment: str | None) -> dict[str, Any]:
    view = _view(ctx, alert)
    with ctx.feed.lock:
        latest, alert_ts_ms = dict(view.latest), view.ts_ms
    if latest.get("state") == "cleared":
        raise HTTPException(409, f"alert {alert} is cleared already")
    if kind == "ack" and view.acknowledged:
        raise HTTPException(409, f"alert {alert} is acknowledged already")
    if ctx.submit is None:
        raise HTTPException(503, "this console is not attached to a running processor")
    event = _desk_event(ctx, view.alert, latest, alert_ts_ms, kind, user)
    ctx.submit(event)
    text = comment or ""
    ctx.users.add_note(alert, user.name, kind, text, now_ms())
    ctx.audit(user.name, f"alert.{kind}", {"alert": alert, "rule": latest.get("rule"), "event": event.id,
                                            "comment": text})
    # the engine's transition follows through the outbox; the page sees it on the stream
    return {"alert": alert, "submitted": event.id, "event_ts_ms": event.ts_ms}


@router.post("/{alert}/ack", status_code=202, summary="Acknowledge (the engine emits `acknowledged`)")
def acknowledge(ctx: Ctx, user: Actor, alert: str, body: ActionIn | None = None) -> dict[str, Any]:
    """Feed a `zhian.alert.ack` event to the processor; audited."""
    return _act(ctx, user, alert, "ack", body.comment if body else None)


@router.post("/{alert}/clear", status_code=202, summary="Resolve (the engine emits `cleared`)")
def clear(ctx: Ctx, user: Actor, alert: str, body: ActionIn | None = None) -> dict[str, Any]:
    """Feed a `zhian.alert.resolve` event to the processor; audited."""
    return _act(ctx, user, alert, "clear", body.comment if body else None)


def _changed(ctx: ConsoleContext, alert: str) -> None:
    ctx.feed.post({"type": "marks", "alert": alert, "marks": ctx.users.marks([alert]).get(alert, {}),
                      "notes": len(ctx.users.notes(alert))})


@router.post("/{alert}/notes", summary="Add a note")
def add_note(ctx: Ctx, user: Actor, alert: str, body: NoteIn) -> dict[str, Any]:
    """Append a note to the alert; audited."""
    _view(ctx, alert)
    note = ctx.users.add_note(alert, user.name, "note", body.text, now_ms())
    ctx.audit(user.name, "alert.note", {"alert": alert, "note": note["seq"]})
    _changed(ctx, alert)
    return note


def _mark(ctx: ConsoleContext, user: User, alert: str, action: str, note: tuple[str, str],
          detail: dict[str, Any], **change: Any) -> dict[str, Any]:
    """Set a mark on an alert, with a note (kind, text) in its history and the audit entry
    `alert.<action>`."""
    _view(ctx, alert)
    marks = ctx.users.mark(alert, user.name, now_ms(), **change)
    ctx.users.add_note(alert, user.name, *note, now_ms())
    ctx.audit(user.name, f"alert.{action}", {"alert": alert, **detail})
    _changed(ctx, alert)
    return marks


@router.post("/{alert}/assign", summary="Assign to a guard")
def assign(ctx: Ctx, user: Actor, alert: str, body: AssignIn) -> dict[str, Any]:
    """Record who handles the alert; audited."""
    return _mark(ctx, user, alert, "assign", ("assign", body.assignee), {"assignee": body.assignee},
                 assignee=body.assignee)


@router.post("/{alert}/false-positive", summary="Mark or unmark as a false alarm")
def false_positive(ctx: Ctx, user: Actor, alert: str, body: FalsePositiveIn) -> dict[str, Any]:
    """Record the desk's judgement (kept for tuning rules); audited."""
    reason = body.reason or ""
    kind = "false_positive" if body.false_positive else "not_false_positive"
    return _mark(ctx, user, alert, "false_positive", (kind, reason),
                 {"false_positive": body.false_positive, "reason": reason}, false_positive=body.false_positive)
