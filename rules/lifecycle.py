"""Alert lifecycle inside a rule's keyed state: raised, updated, acknowledged, cleared,
escalated. One active alert per (rule, alert key); the records are plain JSON so engine
snapshots carry them, and ids derive from (rule, key, raise time) so replays agree."""

from __future__ import annotations

from typing import Any

from ingest.registry import Registry
from rules.constructs.base import Fire, Ident
from rules.engine import CancelTimer, SetTimer
from rules.outputs import AlertTransition, DeviceCommand, alert_id, command_id
from rules.silence import Silencer
from rules.spec import Command

EVIDENCE_MAX = 20
EARLY = "early"  # an alert's "ack" when acknowledged on arrival, before the ack's turn in event time
ESCALATE = "esc:"
QUIET_CLEAR = "clr:"


class RuleInfo:
    """What the lifecycle needs to know about its rule."""

    def __init__(self, name: str, severity: str, summary: tuple[str, str], escalate_ms: int | None,
                 quiet_ms: int | None, clear_on_ack: bool, commands: list[Command],
                 registry: Registry, silencer: Silencer | None = None) -> None:
        self.name = name
        self.severity = severity
        self.summary = summary
        self.escalate_ms = escalate_ms
        self.quiet_ms = quiet_ms
        self.clear_on_ack = clear_on_ack
        self.commands = commands
        self.elevators = {d.id: d.elevator for d in registry.devices if d.elevator}
        self.silencer = silencer if silencer is not None and silencer.entries else None


def _transition(info: RuleInfo, rec: dict[str, Any], state: str, ts_ms: int) -> AlertTransition:
    akey, device, subject, port = rec["who"]
    owner = info.silencer.owner(device, subject, rec["f"], ts_ms) if info.silencer else None
    return AlertTransition(rec["id"], info.name, state, info.severity, ts_ms, device, subject, port,
                           tuple(rec["ev"]), rec["n"], rec["f"], info.summary, owner)


def fire(info: RuleInfo, alerts: dict[str, Any], hit: Fire, now_ms: int, out: list[Any],
         early_raised: dict[str, Any] | None = None) -> None:
    """Raise a new alert for the fire's key, or update the active one (count, last time). A
    raise published early for this key (see `raise_early`) is adopted: same id, not repeated."""
    akey = hit.ident.akey
    rec = alerts.get(akey)
    if rec is not None:
        rec["n"] += 1
        rec["t"] = max(rec["t"], hit.ts_ms)
        rec["ev"] = (rec["ev"] + [e for e in hit.evidence if e not in rec["ev"]])[-EVIDENCE_MAX:]
        rec["f"] = {**rec["f"], **hit.facts}
        out.append(_transition(info, rec, "updated", hit.ts_ms))
        _arm_quiet_clear(info, rec, akey, now_ms, out)
        return
    early = early_raised.pop(akey, None) if early_raised else None
    rec = {"id": early["id"] if early else alert_id(info.name, akey, hit.ts_ms), "t0": hit.ts_ms, "t": hit.ts_ms,
           "n": 1, "ack": early.get("ack", False) if early else False, "esc": False,
           "ev": list(hit.evidence[-EVIDENCE_MAX:]),
           "who": list(hit.ident), "f": hit.facts}
    alerts[akey] = rec
    if early is None:  # else its raise and commands went out when the event arrived
        out.append(_transition(info, rec, "raised", hit.ts_ms))
        for cmd in info.commands:
            target = hit.ident.device if cmd.to == "device" else info.elevators.get(hit.ident.device or "")
            if target:
                out.append(DeviceCommand(command_id(rec["id"], cmd.action), hit.ts_ms, target,
                                         cmd.action, cmd.reason, rec["id"]))
    if info.escalate_ms is not None:
        out.append(SetTimer(ESCALATE + akey, hit.ts_ms + info.escalate_ms))
    _arm_quiet_clear(info, rec, akey, now_ms, out)


def raise_early(info: RuleInfo, alerts: dict[str, Any], early_raised: dict[str, Any], hit: Fire,
                event_ref: str, out: list[Any]) -> None:
    """Publish the raise (and commands) of a one-event fire on arrival, before the event's
    turn in event-time order, when no alert of its key is active or already raised early.
    The record in `early_raised` makes the in-order `fire` adopt that alert instead of
    raising again; `drop_early` ends it if the in-order run never raises it."""
    akey = hit.ident.akey
    if akey in alerts or akey in early_raised:
        return  # an update: nothing urgent, it comes in order
    scratch: dict[str, Any] = {}
    fire(info, scratch, hit, hit.ts_ms, out)
    out[:] = [o for o in out if isinstance(o, AlertTransition | DeviceCommand)]  # timers come in order
    rec = scratch[akey]
    early_raised[akey] = {"id": rec["id"], "e": event_ref, "ev": rec["ev"], "who": rec["who"], "f": rec["f"], "n": 1}


def drop_early(info: RuleInfo, early_raised: dict[str, Any], event_ref: str, ts_ms: int, out: list[Any]) -> None:
    """The event that raised an alert early was applied in order without raising it (the
    rules changed in between): clear that alert so it does not stay open for ever."""
    for akey, early in list(early_raised.items()):
        if early["e"] == event_ref:
            del early_raised[akey]
            out.append(_transition(info, early, "cleared", ts_ms))


def _arm_quiet_clear(info: RuleInfo, rec: dict[str, Any], akey: str, now_ms: int, out: list[Any]) -> None:
    # lazy: one timer at a time; when it fires early it moves to the latest deadline ("q")
    if info.quiet_ms is not None:
        rec["q"] = max(rec.get("q", 0), now_ms + info.quiet_ms)
        if not rec.get("qt"):
            rec["qt"] = True
            out.append(SetTimer(QUIET_CLEAR + akey, rec["q"]))


def keep_alive(info: RuleInfo, alerts: dict[str, Any], akey: str, now_ms: int, out: list[Any]) -> None:
    """A raising-type event for an active alert pushes its quiet clear further away."""
    rec = alerts.get(akey)
    if rec is not None:
        _arm_quiet_clear(info, rec, akey, now_ms, out)


def clear(info: RuleInfo, alerts: dict[str, Any], akey: str, ts_ms: int, out: list[Any],
          evidence: str | None = None) -> None:
    """End the alert of this key, if one is active."""
    rec = alerts.pop(akey, None)
    if rec is None:
        return
    if evidence is not None and evidence not in rec["ev"]:
        rec["ev"] = (rec["ev"] + [evidence])[-EVIDENCE_MAX:]
    out.append(_transition(info, rec, "cleared", ts_ms))
    out.append(CancelTimer(ESCALATE + akey))
    out.append(CancelTimer(QUIET_CLEAR + akey))


def acknowledge(info: RuleInfo, alerts: dict[str, Any], akey: str, ts_ms: int, alert: str | None,
                out: list[Any]) -> None:
    """The desk acknowledged: stop escalation; rules cleared by acknowledgement end here."""
    rec = alerts.get(akey)
    if rec is None or (alert is not None and alert != rec["id"]) or rec["ack"] is True:
        return
    if rec["ack"] != EARLY:  # else `acknowledge_early` published it on arrival
        out.append(_transition(info, rec, "acknowledged", ts_ms))
        out.append(CancelTimer(ESCALATE + akey))
    rec["ack"] = True
    if info.clear_on_ack:
        clear(info, alerts, akey, ts_ms, out)


def acknowledge_early(info: RuleInfo, alerts: dict[str, Any], early_raised: dict[str, Any], akey: str,
                      ts_ms: int, alert: str | None, out: list[Any]) -> None:
    """On arrival of the desk's acknowledgement: publish `acknowledged` and stop escalation
    now (of an active alert, or of one raised early whose turn has not come). The clear of
    a rule cleared by acknowledgement waits for the acknowledgement's turn in event time,
    so that events stamped before it still update this alert instead of raising another."""
    rec = alerts.get(akey) or early_raised.get(akey)
    if rec is None:
        return
    if (alert is not None and alert != rec["id"]) or rec.get("ack"):
        return
    rec["ack"] = EARLY
    out.append(_transition(info, rec, "acknowledged", ts_ms))
    out.append(CancelTimer(ESCALATE + akey))


def resolve(info: RuleInfo, alerts: dict[str, Any], akey: str, ts_ms: int, alert: str | None,
            out: list[Any]) -> None:
    """The desk ended the alert by hand (dealt with, or a false alarm): clear it now, whatever
    the rule's own clear condition; a later matching event raises a new alert."""
    rec = alerts.get(akey)
    if rec is None or (alert is not None and alert != rec["id"]):
        return
    clear(info, alerts, akey, ts_ms, out)


def on_timer(info: RuleInfo, alerts: dict[str, Any], name: str, deadline_ms: int, out: list[Any]) -> None:
    """Escalation and quiet-clear timers."""
    if name.startswith(ESCALATE):
        rec = alerts.get(name[len(ESCALATE):])
        if rec is not None and not rec["ack"] and not rec["esc"]:
            rec["esc"] = True
            out.append(_transition(info, rec, "escalated", deadline_ms))
    elif name.startswith(QUIET_CLEAR):
        akey = name[len(QUIET_CLEAR):]
        rec = alerts.get(akey)
        if rec is not None and rec.get("q", 0) > deadline_ms:
            out.append(SetTimer(name, rec["q"]))  # kept alive since: wait on
        else:
            clear(info, alerts, akey, deadline_ms, out)


def ident_from_ack(key: str, data: dict[str, Any]) -> Ident | None:
    """The alert identity an acknowledgement names (it echoes the alert's device/subject/port)."""
    device, subject, port = data.get("device"), data.get("subject"), data.get("port")
    if key == "subject":
        return Ident(subject, None, subject, None) if isinstance(subject, str) else None
    if not isinstance(device, str):
        return None
    if key == "device+port" and port is not None:
        return Ident(f"{device}:{port}", device, None, port)
    return Ident(device, device, None, None)
