"""Frigate NVR `…/events` messages (tracked objects) to `object.detected` events.

Frigate publishes on `{topic_prefix}/events`; set `mqtt.topic_prefix` to
`zhian/{community}/{nvr}` in Frigate's config, with `{nvr}` a device registered with
`vendor: frigate`, and its messages arrive on the NVR's own events topic. Each message
names its camera (`after.camera`); the camera name, lower-cased with `_` as `-`, is the
zhian device id of that camera, which must be registered with `vendor: frigate` too.
"""

from __future__ import annotations

import re
from typing import Any

from ingest.adapters.common import Source, build, epoch_s_to_ms, event_id, need, scalar, shown
from ingest.errors import RejectError
from ingest.event import ID_RE, Event

# Frigate's stock (COCO) model has no e-bike class: a motorised two-wheeler in a compound's
# lift or corridor is an e-bike (电动车), so `motorcycle` counts as one. Custom models'
# e-bike labels map too; any other label passes through lower-cased.
LABELS = {"motorcycle": "ebike", "ebike": "ebike", "e-bike": "ebike", "e_bike": "ebike",
          "electric_bike": "ebike", "scooter": "ebike"}
_CAMERA_RE = re.compile(r"[^a-z0-9-]")


def camera_device(name: Any) -> str:
    """The zhian device id of a Frigate camera name (`Elevcam_3_1` -> `elevcam-3-1`)."""
    if not isinstance(name, str) or not name:
        raise RejectError("invalid", "after.camera", "missing")
    device = name.lower().replace("_", "-")
    if _CAMERA_RE.search(device) or not ID_RE.fullmatch(device):
        raise RejectError("invalid", "after.camera", f"camera {shown(name)} is not a valid device id")
    return device


def adapt(obj: Any, source: Source) -> list[Event]:
    """One event per message: the tracked object as seen in `after` at its frame time."""
    kind = need(obj, "type")
    after = need(obj, "after")
    if kind not in ("new", "update", "end"):
        raise RejectError("unknown_code", "type", f"Frigate event type {shown(kind)} has no mapping")
    if not isinstance(after, dict):
        raise RejectError("invalid", "after", "must be an object")
    if after.get("false_positive"):
        raise RejectError("ignored", "after.false_positive", "Frigate marks it a false positive")
    device = camera_device(after.get("camera"))
    track = scalar(need(after, "id", "after"), "after.id")
    label = need(after, "label", "after")
    if not isinstance(label, str):
        raise RejectError("invalid", "after.label", "must be a string")
    ts_ms = epoch_s_to_ms(after.get("frame_time", after.get("start_time")), "after.frame_time")
    score = after.get("top_score", after.get("score"))
    data: dict[str, Any] = {"label": LABELS.get(label.lower(), label.lower()), "confidence": score,
                            "track": str(track)[:64], "frigate_type": kind}
    if label.lower() != data["label"]:
        data["vendor_label"] = label
    box = after.get("box")
    if isinstance(box, list) and len(box) == 4:
        data["bbox"] = box
    zones = after.get("current_zones") or []
    if isinstance(zones, list) and zones and isinstance(zones[0], str):
        data["zone"] = zones[0][:40]
    if after.get("stationary") is not None:
        data["stationary"] = bool(after["stationary"])
    return [build(event_id("fg", track, ts_ms), ts_ms, device, "object.detected", data=data)]
