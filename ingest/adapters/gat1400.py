"""GA/T 1400 (公安视频图像信息应用系统, 视图库) objects to `object.detected` events.

A camera or gateway that speaks GA/T 1400 posts `FaceListObject`, `PersonListObject` and
`NonMotorVehicleListObject` bodies (to /VIID/Faces, /VIID/Persons, /VIID/NonMotorVehicles);
the bridge publishes each body as one message. Every object becomes one event. Only the
object's id, time, box and the GB device code are kept: names, ID-card numbers and the
other personal fields of a face or person object never leave the adapter.
"""

from __future__ import annotations

from typing import Any

from ingest.adapters.common import Source, build, event_id, vendor_time_ms
from ingest.errors import RejectError
from ingest.event import Event

# list key -> (object key, id field, time fields in order of preference, default label)
LISTS: dict[str, tuple[str, str, tuple[str, ...], str]] = {
    "FaceListObject": ("FaceObject", "FaceID", ("ShotTime", "FaceAppearTime", "LocationMarkTime"), "face"),
    "PersonListObject": ("PersonObject", "PersonID", ("ShotTime", "PersonAppearTime", "LocationMarkTime"),
                         "person"),
    "NonMotorVehicleListObject": ("NonMotorVehicleObject", "NonMotorVehicleID",
                                  ("ShotTime", "AppearTime", "MarkTime"), "non_motor_vehicle"),
}
# GA/T 1400 objects carry no detection score: the device sends only what it has confirmed.
CONFIDENCE = 1.0


def adapt(obj: Any, source: Source) -> list[Event]:
    """Events from one GA/T 1400 list body (several objects make several events)."""
    if not isinstance(obj, dict):
        raise RejectError("invalid", None, "must be a JSON object")
    keys = [k for k in LISTS if k in obj]
    if not keys:
        raise RejectError("unknown_code", None, "GA/T 1400 body without FaceListObject, PersonListObject "
                          f"or NonMotorVehicleListObject (keys: {', '.join(sorted(obj))[:80]})")
    events: list[Event] = []
    for key in keys:
        item_key, id_key, time_keys, label = LISTS[key]
        items = obj[key].get(item_key) if isinstance(obj[key], dict) else None
        if not isinstance(items, list) or not items:
            raise RejectError("invalid", f"{key}.{item_key}", "must be a non-empty list")
        for i, item in enumerate(items):
            events.append(_object(item, f"{key}.{item_key}[{i}]", id_key, time_keys, label, source))
    return events


def _object(item: Any, where: str, id_key: str, time_keys: tuple[str, ...], label: str, source: Source) -> Event:
    if not isinstance(item, dict):
        raise RejectError("invalid", where, "must be an object")
    oid = item.get(id_key)
    if not isinstance(oid, str) or not oid:
        raise RejectError("invalid", f"{where}.{id_key}", "missing")
    stamp = next((item[k] for k in time_keys if item.get(k)), None)
    if stamp is None:
        raise RejectError("bad_ts", f"{where}.{time_keys[0]}", "missing")
    ts_ms = vendor_time_ms(stamp, source.tz, f"{where}.{time_keys[0]}")
    data: dict[str, Any] = {"label": _label(item, label), "confidence": CONFIDENCE, "track": oid[:64]}
    box = [item.get(k) for k in ("LeftTopX", "LeftTopY", "RightBtmX", "RightBtmY")]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in box):
        data["bbox"] = box
    if isinstance(item.get("DeviceID"), str):
        data["gb_device_id"] = item["DeviceID"][:20]
    return build(event_id("gat", oid), ts_ms, source.device, "object.detected", data=data)


def _label(item: dict[str, Any], default: str) -> str:
    """A non-motor vehicle is an e-bike or a bicycle when the device's type text says so."""
    if default != "non_motor_vehicle":
        return default
    text = " ".join(v for k in ("VehicleType", "VehicleClass", "VehicleBrand") if isinstance(v := item.get(k), str))
    text = text.lower()
    if "电动" in text or "electric" in text or "ebike" in text:
        return "ebike"
    if "自行车" in text or "bicycle" in text:
        return "bicycle"
    return default
